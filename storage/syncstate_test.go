package storage

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestOneActiveBackfillPerWorkspace(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	org := seedWorkspace(t, s, "T1")
	if _, err := s.CreateWorkspace(ctx, org, "T2", "two"); err != nil {
		t.Fatal(err)
	}
	first, err := s.CreateJob(ctx, NewJob{OrgID: org, WorkspaceID: "T1", Kind: "backfill"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateJob(ctx, NewJob{OrgID: org, WorkspaceID: "T1", Kind: "backfill"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("second queued backfill of T1: %v, want ErrConflict", err)
	}
	if _, err := s.ClaimJob(ctx, "me", []string{"backfill"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateJob(ctx, NewJob{OrgID: org, WorkspaceID: "T1", Kind: "backfill"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("backfill of T1 while one runs: %v, want ErrConflict", err)
	}
	if a, err := s.ActiveJob(ctx, "T1", "backfill"); err != nil || a.ID != first.ID {
		t.Fatalf("active backfill = %+v, %v; want job %d", a, err, first.ID)
	}
	// Another workspace, and another kind, are not held up.
	if _, err := s.CreateJob(ctx, NewJob{OrgID: org, WorkspaceID: "T2", Kind: "backfill"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateJob(ctx, NewJob{OrgID: org, WorkspaceID: "T1", Kind: "import"}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishJob(ctx, first.ID, "me", JobEnd{Status: JobSucceeded}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateJob(ctx, NewJob{OrgID: org, WorkspaceID: "T1", Kind: "backfill"}); err != nil {
		t.Fatalf("backfill of T1 after the first ended: %v", err)
	}
}

func TestSyncState(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	write := func(fn func(w *MessageWriter) error) {
		t.Helper()
		if err := s.WriteMessages(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	state := func() ChannelSync {
		t.Helper()
		list, err := s.ListChannelSyncs(ctx, "T1")
		if err != nil || len(list) != 1 {
			t.Fatalf("channel syncs = %+v, %v", list, err)
		}
		return list[0]
	}
	if c := state(); c.Included != nil || c.Member || c.Run.Active() || c.OldestTS != "" {
		t.Fatalf("fresh state = %+v", c)
	}

	// Two history runs: the covered range is their union.
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, run := range []HistoryRun{{Oldest: "1700000000.000000", Latest: "1700500000.000000"},
		{Oldest: "1700400000.000000", Latest: "1700900000.000000"}} {
		write(func(w *MessageWriter) error {
			if err := w.SetChannelMember(ctx, "T1", "C1", true); err != nil {
				return err
			}
			run.Upper, run.Cursor = "1700450000.000000", "bmV4dA=="
			return w.SaveHistoryRun(ctx, "T1", "C1", run)
		})
		if c := state(); c.Run != run || !c.Member {
			t.Fatalf("run in progress = %+v, want %+v", c.Run, run)
		}
		write(func(w *MessageWriter) error { return w.FinishHistoryRun(ctx, "T1", "C1", run, at) })
	}
	c := state()
	if c.Run.Active() || c.OldestTS != "1700000000.000000" || c.NewestTS != "1700900000.000000" || !c.LastSyncedAt.Equal(at) {
		t.Fatalf("after two runs = %+v", c)
	}
	// A run that ends on its first page saved no state: it still counts.
	later := at.Add(time.Hour)
	write(func(w *MessageWriter) error {
		return w.FinishHistoryRun(ctx, "T1", "C1", HistoryRun{Oldest: "1700800000.000000", Latest: "1701000000.000000"}, later)
	})
	if c := state(); c.Run.Active() || c.OldestTS != "1700000000.000000" || c.NewestTS != "1701000000.000000" || !c.LastSyncedAt.Equal(later) {
		t.Fatalf("after a one-page run = %+v", c)
	}

	// Include and exclude; a channel the workspace lacks is not found.
	no := false
	if err := s.SetChannelsIncluded(ctx, "T1", []ChannelChoice{{ChannelID: "C1", Included: &no}}); err != nil {
		t.Fatal(err)
	}
	if c := state(); c.Included == nil || *c.Included {
		t.Fatalf("excluded channel = %+v", c.Included)
	}
	yes := true
	if err := s.SetChannelsIncluded(ctx, "T1", []ChannelChoice{{ChannelID: "C1", Included: &yes}, {ChannelID: "C9", Included: &no}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("include a missing channel: %v", err)
	}
	if c := state(); c.Included == nil || *c.Included {
		t.Fatalf("a refused change was half written: %+v", c.Included)
	}

	// A thread is pending until read through what history last showed.
	wantThread := func(latest string) (pending bool) {
		write(func(w *MessageWriter) (err error) {
			pending, err = w.WantThread(ctx, "T1", "C1", "1700000001.000000", latest)
			return err
		})
		return pending
	}
	pendingTS := func() []string {
		list, err := s.PendingThreads(ctx, "T1", []string{"C1"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, th := range list {
			out = append(out, th.ThreadTS+"@"+th.Wanted+"/"+th.Cursor)
		}
		return out
	}
	if !wantThread("1700000005.000000") {
		t.Fatal("a new thread is not pending")
	}
	write(func(w *MessageWriter) error {
		return w.SaveThreadRun(ctx, "T1", "C1", "1700000001.000000", "cur", "1700000003.000000")
	})
	if got := pendingTS(); !slices.Equal(got, []string{"1700000001.000000@1700000005.000000/cur"}) {
		t.Fatalf("pending = %v", got)
	}
	write(func(w *MessageWriter) error {
		return w.FinishThread(ctx, "T1", "C1", "1700000001.000000", "1700000005.000000")
	})
	if wantThread("1700000005.000000") || len(pendingTS()) != 0 {
		t.Fatalf("a thread read as history shows it is pending again: %v", pendingTS())
	}
	if !wantThread("1700000009.000000") {
		t.Fatal("a thread with a newer reply is not pending")
	}
	write(func(w *MessageWriter) error {
		return w.FinishThread(ctx, "T1", "C1", "1700000001.000000", "1700000009.000000")
	})
	if !wantThread("1700000005.000000") {
		t.Fatal("a thread whose latest reply was deleted is not pending")
	}
	if got, _ := s.PendingThreads(ctx, "T1", []string{"C2"}, 10); len(got) != 0 {
		t.Fatalf("pending threads of another channel: %v", got)
	}
}

func TestDeleteMissing(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	put(t, s, msg("1700000001.000000", "", "one"), msg("1700000002.000000", "1700000002.000000", "parent"),
		msg("1700000003.000000", "1700000002.000000", "reply"), msg("1700000004.000000", "1700000002.000000", "reply two"),
		msg("1700000005.000000", "", "five"), msg("1700000006.000000", "", "six"))
	del := func(thread, from, to string, keep ...string) int64 {
		var n int64
		err := s.WriteMessages(ctx, func(w *MessageWriter) (err error) {
			n, err = w.DeleteMissing(ctx, "T1", "C1", thread, from, to, keep)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// History over [1, 6): 1 and 5 gone, the parent kept, replies left alone, 6 outside.
	if n := del("", "1700000001.000000", "1700000006.000000", "1700000002.000000"); n != 2 {
		t.Fatalf("deleted %d from history, want 2", n)
	}
	// Replies after 3 with no upper end: 4 gone, the parent never touched.
	if n := del("1700000002.000000", "1700000003.000000", "", "1700000003.000000"); n != 1 {
		t.Fatalf("deleted %d replies, want 1", n)
	}
	var left []string
	msgs, _ := s.ListMessages(ctx, "T1", "C1")
	for _, m := range msgs {
		left = append(left, m.Text)
	}
	if !slices.Equal(left, []string{"parent", "reply", "six"}) {
		t.Fatalf("left = %v", left)
	}
	if got := search(t, s, "five"); len(got) != 0 {
		t.Fatalf("a deleted message is still found: %v", got)
	}
}
