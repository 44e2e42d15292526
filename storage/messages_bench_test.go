package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkBulkPutAll is the single writer's part of an import without the
// index: bulk transactions of 5,000 new messages of one channel (a tenth
// thread parents, a seventh replies), as app/sync's import writes them.
//
//	go test ./storage -run '^$' -bench BulkPutAll -count 5
func BenchmarkBulkPutAll(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	seedWorkspaceB(b, s)
	if err := s.WriteMessages(ctx, func(w *MessageWriter) error {
		return w.UpsertChannel(ctx, Channel{WorkspaceID: "T1", ID: "C1", Name: "deploys"})
	}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("deploy rollback kubernetes postgres incident runbook alert pager staging canary release")
	const batch = 5000
	t := 1_700_000_000
	var parents []string
	next := func() Prepared {
		t += 1 + rng.IntN(300)
		ts := fmt.Sprintf("%d.000100", t)
		var text []string
		for range 4 + rng.IntN(26) {
			text = append(text, words[rng.IntN(len(words))])
		}
		m := Message{WorkspaceID: "T1", ChannelID: "C1", TS: ts, UserID: fmt.Sprintf("U%03d", rng.IntN(200)), Text: strings.Join(text, " ")}
		m.Body = m.Text
		switch r := rng.Float64(); {
		case len(parents) > 0 && r < 0.15:
			m.ThreadTS = parents[rng.IntN(len(parents))]
		case r < 0.25:
			m.ThreadTS, m.ReplyCount, m.LatestReply = ts, 2, ts
			parents = append(parents[max(0, len(parents)-19):], ts)
		}
		return Prepare(m)
	}
	msgs := make([]Prepared, batch)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for i := range msgs {
			msgs[i] = next()
		}
		b.StartTimer()
		if err := s.WriteMessages(ctx, func(w *MessageWriter) error {
			_, err := w.PutAll(ctx, msgs)
			return err
		}, BulkLoad(), DeferIndex()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/message")
}
