package storage

import (
	"context"
	"testing"
	"time"
)

// BenchmarkDeleteMessagesBefore deletes the older half of 40,000 messages
// (threads among them) and reports deleted messages per second.
func BenchmarkDeleteMessagesBefore(b *testing.B) {
	ctx := context.Background()
	const total = 40000
	cutoff := time.Unix(1_000_000_000+total/2, 0)
	var deleted int64
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		s := openTest(b)
		org := seedWorkspaceB(b, s)
		err := s.WriteMessages(ctx, func(w *MessageWriter) error {
			if err := w.UpsertChannel(ctx, Channel{WorkspaceID: "T1", ID: "C1", Name: "general"}); err != nil {
				return err
			}
			batch := make([]Prepared, 0, total)
			for i := range total {
				ts := itoa(int64(1_000_000_000+i)) + ".000100"
				thread := ""
				if i%10 != 0 {
					thread = itoa(int64(1_000_000_000+i-i%10)) + ".000100"
				}
				batch = append(batch, Prepare(Message{WorkspaceID: "T1", ChannelID: "C1", TS: ts, ThreadTS: thread, UserID: "U1",
					Text: "the deploy of service " + itoa(int64(i%97)) + " went fine after the migration"}))
			}
			_, err := w.PutAll(ctx, batch)
			return err
		}, BulkLoad())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		res, err := s.DeleteMessagesBefore(ctx, org, cutoff)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.ReclaimSpace(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		deleted += res.Messages
	}
	b.ReportMetric(float64(deleted)/elapsed.Seconds(), "deleted_msgs/s")
}

func seedWorkspaceB(b *testing.B, s *Store) int64 {
	b.Helper()
	ctx := context.Background()
	o, err := s.CreateOrganization(ctx, "Org")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateWorkspace(ctx, o.ID, "T1", "Team"); err != nil {
		b.Fatal(err)
	}
	return o.ID
}
