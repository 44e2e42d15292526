package storage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMessagesPerDay: messages are counted on the UTC day of their ts,
// midnight belonging to the day it begins, within the days asked for only,
// and never another organization's.
func TestMessagesPerDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	org := seedWorkspace(t, s, "T1")
	seedWorkspace(t, s, "T2")
	seedChannel(t, s, "T1", "C1")
	seedChannel(t, s, "T1", "C2")
	seedChannel(t, s, "T2", "C1")
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	ts := func(t time.Time) string { return fmt.Sprintf("%d.000100", t.Unix()) }
	at := func(ws, ch string, t time.Time) Message {
		m := msg(ts(t), "", "status")
		m.WorkspaceID, m.ChannelID = ws, ch
		return m
	}
	put(t, s,
		at("T1", "C1", day(1).Add(-time.Second)), // the last second of the day before the window
		at("T1", "C1", day(1)),                   // midnight: the first of day 1
		at("T1", "C2", day(1).Add(23*time.Hour)),
		at("T1", "C1", day(3).Add(time.Hour)),
		at("T1", "C2", day(3).Add(2*time.Hour)),
		at("T1", "C2", day(3).Add(3*time.Hour)),
		at("T1", "C1", day(5).Add(12*time.Hour)), // the last day asked for
		at("T1", "C1", day(6)),                   // after it
		at("T2", "C1", day(3)),                   // another organization's
	)
	got, err := s.MessagesPerDay(ctx, org, day(1).Add(15*time.Hour), day(5).Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, d := range got {
		lines = append(lines, fmt.Sprintf("%s %d", d.Day.Format(time.RFC3339), d.Messages))
	}
	want := "2026-11-01T00:00:00Z 2, 2026-11-03T00:00:00Z 3, 2026-11-05T00:00:00Z 1"
	if strings.Join(lines, ", ") != want {
		t.Fatalf("per day: %s, want %s", strings.Join(lines, ", "), want)
	}
	if got, err := s.MessagesPerDay(ctx, 999, day(1), day(5)); err != nil || len(got) != 0 {
		t.Fatalf("a missing organization: %v %v", got, err)
	}
}

// TestMessagesPerDayReadsOnlyTheDays holds MessagesPerDay to its plan: a
// range of the messages' unique index per channel, not a scan of all the
// organization's messages.
func TestMessagesPerDayReadsOnlyTheDays(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	rows, err := s.read.Query(`EXPLAIN QUERY PLAN `+messagesPerDayQuery, 1, "1", "2", 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "\n"); !strings.Contains(p, "SEARCH m USING COVERING INDEX sqlite_autoindex_messages_1 (workspace_id=? AND channel_id=? AND ts>? AND ts<?)") {
		t.Fatalf("plan:\n%s", p)
	}
}
