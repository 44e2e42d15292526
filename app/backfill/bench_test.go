package backfill_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"lore/app/backfill"
	"lore/app/slackfake"
	"lore/storage"
)

// BenchmarkBackfill3000 backfills a generated workspace of 3,000 messages
// (20 channels of 60 messages, every second a thread of 3 replies) from the
// fake, whose conversations.history and conversations.replies each allow
// 600 calls a minute (Slack's tier bucket, burst 5) while Lore is
// configured for 900 (LORE_SLACK_HISTORY_RATE): the limiter must find the
// ceiling itself, with history and replies running at once. History pages
// hold 3 messages, so that both methods have more to do than their ceiling
// allows for most of the run (600 replies, 400 history pages). It
// reports per method the calls made, the 429s met and the share of the
// ceiling used (answered calls over what 600 a minute allows in the time
// the method was called); the goal is ≥ 90% and 429s ≤ 5% of calls.
//
//	go test ./app/backfill -run '^$' -bench Backfill3000 -benchtime 1x
func BenchmarkBackfill3000(b *testing.B) {
	const ceiling, configured = 600, 900
	for b.Loop() {
		e := newEnv(b, realTime(), rates(map[string]int{"conversations.history": configured, "conversations.replies": configured,
			"conversations.list": 60000, "users.list": 60000}), pageSize(3))
		e.fake.AddUser(slackfake.User{ID: "U1", Name: "maya", RealName: "Maya Chen"})
		total := 0
		base := time.Now().Add(-24 * time.Hour).Unix()
		for c := range 20 {
			id := fmt.Sprintf("C%02d", c)
			e.fake.AddChannel(slackfake.Channel{ID: id, Name: "channel-" + id, Member: true})
			for i := range 60 {
				ts := fmt.Sprintf("%d.%06d", base+int64(i*60), c*1000+i)
				e.fake.Post(id, slackfake.Message{TS: ts, User: "U1", Text: "message about deploys " + ts})
				total++
				if i%2 == 0 {
					for r := range 3 {
						e.fake.Post(id, slackfake.Message{TS: fmt.Sprintf("%d.%06d", base+int64(i*60+r+1), c*1000+i), ThreadTS: ts, User: "U1", Text: "reply"})
						total++
					}
				}
			}
		}
		e.fake.Tier("conversations.history", ceiling, 5)
		e.fake.Tier("conversations.replies", ceiling, 5)
		start := time.Now()
		j := e.backfill(b, context.Background(), backfill.Request{})
		elapsed := time.Since(start)
		if j.Status != storage.JobSucceeded {
			b.Fatalf("backfill: %s %q %s", j.Status, j.Error, j.Result)
		}
		if n, _ := e.store.CountMessages(context.Background(), ws); n != int64(total) {
			b.Fatalf("%d messages stored, want %d", n, total)
		}
		var calls, limited int
		for _, m := range []string{"conversations.history", "conversations.replies"} {
			reqs := e.fake.Requests(m)
			served := e.fake.Served(m)
			span := reqs[len(reqs)-1].At.Sub(reqs[0].At)
			allowed := span.Seconds()*ceiling/60 + 5
			share := float64(served) / allowed
			calls += len(reqs)
			limited += len(reqs) - served
			b.Logf("%s: %d calls, %d 429s (%.1f%%), %d answered in %s: %.1f%% of the ceiling; limiter now at %.0f/min",
				m, len(reqs), len(reqs)-served, 100*float64(len(reqs)-served)/float64(len(reqs)), served, span.Round(time.Millisecond),
				100*share, e.client.Rate(ws, m))
			b.ReportMetric(100*share, "%ceiling-"+m[len("conversations."):])
		}
		b.Logf("%d messages in %s; %d history and replies calls, %d 429s (%.1f%%)", total, elapsed.Round(time.Millisecond),
			calls, limited, 100*float64(limited)/float64(calls))
		b.ReportMetric(float64(calls), "calls")
		b.ReportMetric(float64(limited), "429s")
		b.ReportMetric(100*float64(limited)/float64(calls), "%429")
	}
}
