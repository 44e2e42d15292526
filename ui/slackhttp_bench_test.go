package ui

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

// BenchmarkSlackCommandAck measures, over real HTTP, how long Slack waits
// for the ack of a signed /ask when 50 commands arrive at once (Slack wants
// it within 3 s): each op is 50 concurrent commands, and p50-ms and p99-ms
// are over every command but the first op's. The answers service takes 50 ms a question, which
// the ack must not wait for.
func BenchmarkSlackCommandAck(b *testing.B) {
	f := newSlackFixture(b)
	f.ans.delay = 50 * time.Millisecond
	srv := httptest.NewServer(clockedHandler(b, f.app, time.Now))
	defer srv.Close()
	const concurrent = 50
	var latencies []time.Duration
	var mu gosync.Mutex
	n := 0
	for b.Loop() {
		var wg gosync.WaitGroup
		for range concurrent {
			n++
			body := f.commandBody(slackWS, "how do we deploy?", fmt.Sprintf("cmd%d", n))
			wg.Go(func() {
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/"+slackWS+"/commands", strings.NewReader(body))
				req.Header.Set("Content-Type", formType)
				req.Header.Set("X-Slack-Request-Timestamp", ts)
				req.Header.Set("X-Slack-Signature", signatureOf(slackSecret, ts, body))
				start := time.Now()
				resp, err := srv.Client().Do(req)
				d := time.Since(start)
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Errorf("ack: %v %v", err, resp)
					return
				}
				resp.Body.Close()
				mu.Lock()
				latencies = append(latencies, d)
				mu.Unlock()
			})
		}
		wg.Wait()
		f.app.Bot.Wait()
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
