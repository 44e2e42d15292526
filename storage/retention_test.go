package storage

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDeleteMessagesBeforeTakesExactlyTheOldRowsAndTheirIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	org := seedWorkspace(t, s, "T1")
	seedWorkspace(t, s, "T2")
	seedChannel(t, s, "T1", "C1")
	seedChannel(t, s, "T2", "C1")
	cutoff := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old := func(d int) string { return itoa(cutoff.Unix()-int64(d)) + ".000100" }
	recent := func(d int) string { return itoa(cutoff.Unix()+int64(d)) + ".000100" }
	put(t, s,
		msg(old(100), old(100), "zebra migration plan"), // an old parent
		msg(recent(10), old(100), "agreed, ship it"),    // its reply, kept
		msg(old(5), "", "walrus outage notes"),
		msg(old(1), "", "walrus follow up"),
		msg(recent(1), "", "walrus postmortem"),
	)
	theirs := msg(old(100), "", "walrus in another organization")
	theirs.WorkspaceID = "T2"
	put(t, s, theirs)
	// A document of the organization, which retention never touches.
	if _, err := s.write.Exec(`INSERT INTO documents (org_id, title) VALUES (?, 'Runbook')`, org); err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, "zebra"); len(got) != 2 {
		t.Fatalf("before: zebra matches %v, want the parent and, by its context, the reply", got)
	}

	// The count ahead of the run is what the run deletes: the
	// organization's old rows, not another organization's.
	if n, err := s.CountMessagesBefore(ctx, org, cutoff); err != nil || n != 3 {
		t.Fatalf("CountMessagesBefore = %d, %v; want 3", n, err)
	}
	res, err := s.DeleteMessagesBefore(ctx, org, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountMessagesBefore(ctx, org, cutoff); err != nil || n != 0 {
		t.Fatalf("CountMessagesBefore after the run = %d, %v; want 0", n, err)
	}
	if res.Messages != 3 || res.Threads != 1 {
		t.Fatalf("result = %+v, want 3 messages deleted and 1 thread reindexed", res)
	}
	if got := search(t, s, "walrus"); !slices.Equal(got, []string{recent(1)}) {
		t.Fatalf("walrus matches %v, want only the recent message", got)
	}
	if got := search(t, s, "zebra"); len(got) != 0 {
		t.Fatalf("zebra matches %v: the deleted parent's words linger in the index or the reply's context", got)
	}
	if got := search(t, s, "agreed"); !slices.Equal(got, []string{recent(10)}) {
		t.Fatalf("agreed matches %v, want the kept reply", got)
	}
	if n, _ := s.CountMessages(ctx, "T1"); n != 2 {
		t.Fatalf("T1 holds %d messages, want 2", n)
	}
	if n, _ := s.CountMessages(ctx, "T2"); n != 1 {
		t.Fatalf("the other organization's workspace holds %d messages, want its 1 untouched", n)
	}
	var docs, pending int
	s.read.QueryRow(`SELECT count(*) FROM documents WHERE org_id = ?`, org).Scan(&docs)
	s.read.QueryRow(`SELECT count(*) FROM messages_fts_pending`).Scan(&pending)
	if docs != 1 || pending != 0 {
		t.Fatalf("documents = %d (want 1), pending index rows = %d (want 0)", docs, pending)
	}
	// Again: nothing more to delete.
	if res, err := s.DeleteMessagesBefore(ctx, org, cutoff); err != nil || res.Messages != 0 {
		t.Fatalf("second run: %+v %v", res, err)
	}
}

func TestAutoVacuumIsIncrementalAndSpaceIsReclaimed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	if mode, err := s.AutoVacuum(ctx); err != nil || mode != 2 {
		t.Fatalf("auto_vacuum = %d (%v), want 2 (incremental) after migration 00016", mode, err)
	}
	org := seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	var msgs []Message
	for i := range 3000 {
		msgs = append(msgs, msg(itoa(int64(1_000_000_000+i))+".000100", "", strings.Repeat("filler words here ", 20)+itoa(int64(i))))
	}
	put(t, s, msgs...)
	if _, err := s.DeleteMessagesBefore(ctx, org, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	freed, err := s.ReclaimSpace(ctx)
	if err != nil || freed <= 0 {
		t.Fatalf("reclaimed %d bytes (%v), want the deleted rows' pages back", freed, err)
	}
	var free int
	s.write.QueryRow(`PRAGMA freelist_count`).Scan(&free)
	if free != 0 {
		t.Fatalf("%d free pages left after the incremental vacuum", free)
	}
}

func TestMigration16DownAndUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	if err := s.MigrateTo(ctx, 15); err != nil { // before migration 16, whatever came after it
		t.Fatal(err)
	}
	if mode, _ := s.AutoVacuum(ctx); mode != 0 {
		t.Fatalf("auto_vacuum after down = %d, want 0", mode)
	}
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	if mode, _ := s.AutoVacuum(ctx); mode != 2 {
		t.Fatalf("auto_vacuum after up = %d, want 2", mode)
	}
}
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
