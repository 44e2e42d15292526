package storage

import (
	"context"
	"testing"
	"time"
)

// BenchmarkMessagesPerDay counts the last 90 days of an organization
// holding 200,000 messages over two years in four channels, beside another
// organization's 50,000: the dashboard's chart.
func BenchmarkMessagesPerDay(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	org := seedWorkspaceB(b, s)
	other, err := s.CreateOrganization(ctx, "Other")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateWorkspace(ctx, other.ID, "T2", "Other team"); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	const total, span = 200000, 730 * 86400
	seed := func(ws string, n int) {
		err := s.WriteMessages(ctx, func(w *MessageWriter) error {
			for _, ch := range []string{"C1", "C2", "C3", "C4"} {
				if err := w.UpsertChannel(ctx, Channel{WorkspaceID: ws, ID: ch, Name: ch}); err != nil {
					return err
				}
			}
			batch := make([]Prepared, 0, n)
			for i := range n {
				ts := itoa(now.Unix()-int64(span)+int64(i)*span/int64(n)) + ".000100"
				batch = append(batch, Prepare(Message{WorkspaceID: ws, ChannelID: []string{"C1", "C2", "C3", "C4"}[i%4], TS: ts,
					UserID: "U1", Text: "status update " + itoa(int64(i%97))}))
			}
			_, err := w.PutAll(ctx, batch)
			return err
		}, BulkLoad())
		if err != nil {
			b.Fatal(err)
		}
	}
	seed("T1", total)
	seed("T2", total/4)
	since := now.AddDate(0, 0, -89)
	var days int
	for b.Loop() {
		got, err := s.MessagesPerDay(ctx, org, since, now)
		if err != nil {
			b.Fatal(err)
		}
		days = len(got)
	}
	if days != 90 {
		b.Fatalf("%d days counted, want 90", days)
	}
}
