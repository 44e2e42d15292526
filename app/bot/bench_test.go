package bot_test

import (
	"context"
	"fmt"
	"slices"
	gosync "sync"
	"testing"
	"time"
)

// BenchmarkCommandAck measures the bot's share of a command's ack, which
// either transport waits for before acking (the Socket Mode envelope's ack
// has nothing else in its way): each op is 50 commands at once, and p50-ms
// and p99-ms are over every command but the first op's. Answering (50 ms a question here)
// happens after the ack.
func BenchmarkCommandAck(b *testing.B) {
	e := newEnv(b)
	e.ans.delay = 50 * time.Millisecond
	const concurrent = 50
	var latencies []time.Duration
	var mu gosync.Mutex
	n := 0
	for b.Loop() {
		var wg gosync.WaitGroup
		for range concurrent {
			n++
			cmd := e.command("/ask", public, "general", "how do we deploy?", fmt.Sprintf("cmd%d", n))
			wg.Go(func() {
				start := time.Now()
				if ack := e.bot.Command(context.Background(), e.ws, cmd); ack != nil {
					b.Errorf("ack %+v", ack)
				}
				d := time.Since(start)
				mu.Lock()
				latencies = append(latencies, d)
				mu.Unlock()
			})
		}
		wg.Wait()
		e.bot.Wait()
		if n == concurrent {
			latencies = latencies[:0] // the first op opens the database's connections
		}
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(concurrent), "concurrent")
}
