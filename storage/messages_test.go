package storage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func seedChannel(t *testing.T, s *Store, ws, ch string) {
	t.Helper()
	err := s.WriteMessages(context.Background(), func(w *MessageWriter) error {
		return w.UpsertChannel(context.Background(), Channel{WorkspaceID: ws, ID: ch, Name: "deploys"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func msg(ts, threadTS, body string) Message {
	return Message{WorkspaceID: "T1", ChannelID: "C1", TS: ts, ThreadTS: threadTS, UserID: "U1",
		Text: body, Body: body, PostedAt: time.Unix(1700000000, 0)}
}

func put(t *testing.T, s *Store, msgs ...Message) []PutResult {
	t.Helper()
	var out []PutResult
	err := s.WriteMessages(context.Background(), func(w *MessageWriter) error {
		for _, m := range msgs {
			r, err := w.Put(context.Background(), m)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// search returns the ts of the messages matching, best first.
func search(t *testing.T, s *Store, match string) []string {
	t.Helper()
	ids, err := s.SearchMessages(context.Background(), "T1", match, 10)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, id := range ids {
		var ts string
		if err := s.read.QueryRow(`SELECT ts FROM messages WHERE message_id = ?`, id).Scan(&ts); err != nil {
			t.Fatal(err)
		}
		out = append(out, ts)
	}
	return out
}

func TestPutStoresOnceUpdatesEditsSkipsUnchanged(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")

	if got := put(t, s, msg("1.1", "", "the deploy freeze starts friday")); got[0] != PutNew {
		t.Fatalf("first put: %v", got)
	}
	if got := put(t, s, msg("1.1", "", "the deploy freeze starts friday")); got[0] != PutUnchanged {
		t.Fatalf("same again: %v, want unchanged", got)
	}
	edited := msg("1.1", "", "the deploy freeze starts monday")
	edited.Edited, edited.EditedTS = true, "2.0"
	if got := put(t, s, edited); got[0] != PutUpdated {
		t.Fatalf("edit: %v, want updated", got)
	}
	n, _ := s.CountMessages(context.Background(), "T1")
	m, err := s.Message(context.Background(), "T1", "C1", "1.1")
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || m.Body != "the deploy freeze starts monday" || !m.Edited || m.Revision != 1 {
		t.Fatalf("after edit: %d rows, %+v", n, m)
	}
	if got := search(t, s, "friday"); len(got) != 0 {
		t.Errorf("the old words are still indexed: %v", got)
	}
	if got := search(t, s, "monday"); !slices.Equal(got, []string{"1.1"}) {
		t.Errorf("the new words: %v", got)
	}
}

func TestUnchangedPutQueuesNoIndexWrite(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	put(t, s, msg("1.1", "", "quarterly budget review"))
	err := s.WriteMessages(context.Background(), func(w *MessageWriter) error {
		r, err := w.Put(context.Background(), msg("1.1", "", "quarterly budget review"))
		if r != PutUnchanged {
			t.Errorf("put: %v", r)
		}
		var queued int64
		w.tx.QueryRow(`SELECT count(*) FROM messages_fts_pending`).Scan(&queued)
		if queued != 0 {
			t.Errorf("an unchanged message queued %d index rows", queued)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestThreadContextBothWays(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	// The reply comes first, in another transaction, as in exports where a
	// reply is older than its parent or sits in an earlier day file.
	put(t, s, msg("5.0", "4.0", "use the blue runbook"))
	if got := search(t, s, "context: kubernetes"); len(got) != 0 {
		t.Fatalf("context before the parent exists: %v", got)
	}
	put(t, s, msg("4.0", "4.0", "how do I restart kubernetes"))
	if got := search(t, s, "context: kubernetes"); !slices.Equal(got, []string{"5.0"}) {
		t.Errorf("the reply carries its parent's words: %v", got)
	}
	if got := search(t, s, "context: runbook"); !slices.Equal(got, []string{"4.0"}) {
		t.Errorf("the parent carries its reply's words: %v", got)
	}
	// An edited parent refreshes its replies' context.
	put(t, s, msg("4.0", "4.0", "how do I restart postgres"))
	if got := search(t, s, "context: kubernetes"); len(got) != 0 {
		t.Errorf("the reply still carries the parent's old words: %v", got)
	}
	if got := search(t, s, "context: postgres"); !slices.Equal(got, []string{"5.0"}) {
		t.Errorf("the reply carries the edited parent's words: %v", got)
	}
	// A question's words find the answering reply before the question itself
	// only through context; both are found.
	if got := search(t, s, "postgres"); len(got) != 2 {
		t.Errorf("postgres finds %v, want parent and reply", got)
	}
	// Deleting the reply takes its words out of the parent's context.
	err := s.WriteMessages(context.Background(), func(w *MessageWriter) error {
		ok, err := w.Delete(context.Background(), "T1", "C1", "5.0")
		if !ok {
			t.Error("delete found nothing")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, "runbook"); len(got) != 0 {
		t.Errorf("a deleted reply's words are still found: %v", got)
	}
}

func TestNoiseIsStoredNotIndexed(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	join := msg("1.0", "", "maya has joined the channel")
	join.Noise, join.Subtype = true, "channel_join"
	put(t, s, join)
	if got := search(t, s, "joined"); len(got) != 0 {
		t.Errorf("a join is indexed: %v", got)
	}
	if m, err := s.Message(context.Background(), "T1", "C1", "1.0"); err != nil || !m.Noise || m.Subtype != "channel_join" {
		t.Errorf("join stored as %+v, %v", m, err)
	}
}

func TestDeletingAWorkspaceEmptiesTheIndex(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	org := seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	put(t, s, msg("1.0", "", "roadmap planning"), msg("2.0", "1.0", "roadmap reply"))
	if err := s.Tx(context.Background(), func(tx *Tx) error { return tx.DeleteWorkspace(context.Background(), org, "T1") }); err != nil {
		t.Fatal(err)
	}
	var n int
	s.read.QueryRow(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'roadmap'`).Scan(&n)
	if n != 0 {
		t.Errorf("%d index rows outlive their workspace", n)
	}
}

func TestTermStats(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	put(t, s, msg("1.0", "", "deploy the release"), msg("2.0", "", "release notes"), msg("3.0", "", "lunch"))
	if err := s.OptimizeIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := s.TermStats(context.Background(), []string{"releas", "lunch", "absent"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Documents != 3 || st.Terms["releas"] != 2 || st.Terms["lunch"] != 1 || st.Terms["absent"] != 0 {
		t.Errorf("term stats: %+v", st)
	}
}

// TestTermStatsRefreshWhenTheIndexChanged: messages stored one at a time
// (live events) and deleted (retention) bring the frequencies up to date at
// the next refresh; a refresh with nothing changed writes nothing.
func TestTermStatsRefreshWhenTheIndexChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	refresh := func(wantRefreshed bool, wantCount int64) {
		t.Helper()
		refreshed, n, err := s.RefreshTermStatsIfChanged(ctx)
		if err != nil || refreshed != wantRefreshed || n != wantCount {
			t.Fatalf("refresh = %v, %d, %v; want %v, %d", refreshed, n, err, wantRefreshed, wantCount)
		}
	}
	refresh(false, 0)
	put(t, s, msg("1.0", "", "deploy the release"), msg("2.0", "", "release notes"))
	refresh(true, 2)
	if st, err := s.TermStats(ctx, []string{"deploi"}); err != nil || st.Terms["deploi"] != 1 {
		t.Fatalf("term stats after the first messages: %+v, %v", st, err)
	}
	var at string
	s.read.QueryRow(`SELECT refreshed_at FROM message_term_stats`).Scan(&at)
	refresh(false, 2)
	var again string
	s.read.QueryRow(`SELECT refreshed_at FROM message_term_stats`).Scan(&again)
	if again != at {
		t.Errorf("an unchanged index was counted again: %s, then %s", at, again)
	}
	err := s.WriteMessages(ctx, func(w *MessageWriter) error {
		_, err := w.Delete(ctx, "T1", "C1", "1.0")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, msg("3.0", "", "release lunch"), msg("4.0", "", "lunch"))
	refresh(true, 3)
	st, err := s.TermStats(ctx, []string{"releas", "lunch", "deploi"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Documents != 3 || st.Terms["releas"] != 2 || st.Terms["lunch"] != 2 || st.Terms["deploi"] != 0 {
		t.Errorf("term stats after the changes: %+v", st)
	}
}

// TestAParentStoredBeforeItsRepliesBecomesTheirParent: a live message has
// no thread_ts until it is replied to; its first reply makes it the thread's
// parent, so it gains the reply's words, and deleting it takes its words out
// of the reply's context.
func TestAParentStoredBeforeItsRepliesBecomesTheirParent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, indexed := range []bool{true, false} {
		s := openTest(t)
		seedWorkspace(t, s, "T1")
		seedChannel(t, s, "T1", "C1")
		if indexed {
			put(t, s, msg("4.0", "", "how do I restart kubernetes"))
			put(t, s, msg("5.0", "4.0", "use the blue runbook"))
		} else {
			put(t, s, msg("4.0", "", "how do I restart kubernetes"), msg("5.0", "4.0", "use the blue runbook"))
		}
		if m, err := s.Message(ctx, "T1", "C1", "4.0"); err != nil || m.ThreadTS != "4.0" {
			t.Fatalf("indexed apart %v: parent = %+v, %v; want thread_ts 4.0", indexed, m, err)
		}
		if got := search(t, s, "context: runbook"); !slices.Equal(got, []string{"4.0"}) {
			t.Errorf("indexed apart %v: the parent by its reply's words: %v", indexed, got)
		}
		if got := search(t, s, "context: kubernetes"); !slices.Equal(got, []string{"5.0"}) {
			t.Errorf("indexed apart %v: the reply by its parent's words: %v", indexed, got)
		}
		err := s.WriteMessages(ctx, func(w *MessageWriter) error {
			_, err := w.Delete(ctx, "T1", "C1", "4.0")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := search(t, s, "context: kubernetes"); len(got) != 0 {
			t.Errorf("indexed apart %v: the deleted parent's words still find %v", indexed, got)
		}
	}
}

// TestANoiseReplyIsNotAmongTheFirstReplies: a join inside a thread takes no
// place among the three first replies that lend a parent their words, so a
// fourth reply coming later is one of them.
func TestANoiseReplyIsNotAmongTheFirstReplies(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	join := msg("4.1", "4.0", "maya joined")
	join.Noise, join.Subtype = true, "channel_join"
	put(t, s, msg("4.0", "4.0", "question"), join, msg("4.2", "4.0", "second"), msg("4.3", "4.0", "third"))
	put(t, s, msg("4.4", "4.0", "fourthword"))
	if got := search(t, s, "context: fourthword"); !slices.Equal(got, []string{"4.0"}) {
		t.Errorf("the parent by its third reply that is not noise: %v", got)
	}
}

func TestPutNeedsItsChannel(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	err := s.WriteMessages(context.Background(), func(w *MessageWriter) error {
		_, err := w.Put(context.Background(), msg("1.0", "", "orphan"))
		return err
	})
	if err == nil || !IsConstraintViolation(errors.Unwrap(err)) && !IsConstraintViolation(err) {
		t.Fatalf("a message without its channel: %v", err)
	}
}

func TestDeferredIndexIsWrittenLater(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	ctx := context.Background()
	err := s.WriteMessages(ctx, func(w *MessageWriter) error {
		_, err := w.PutAll(ctx, prepared(msg("1.0", "", "backlog grooming"), msg("2.0", "1.0", "every tuesday")))
		return err
	}, BulkLoad(), DeferIndex())
	if err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, "grooming"); len(got) != 0 {
		t.Fatalf("indexed before IndexPending: %v", got)
	}
	if err := s.IndexPending(ctx, BulkLoad()); err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, "grooming"); !slices.Equal(got, []string{"2.0", "1.0"}) && !slices.Equal(got, []string{"1.0", "2.0"}) {
		t.Errorf("after IndexPending: %v", got)
	}
	var secure int
	s.write.QueryRow(`PRAGMA secure_delete`).Scan(&secure)
	if secure != 1 {
		t.Errorf("secure_delete left at %d after a bulk load", secure)
	}
}

func TestPutAllTellsNewUpdatedUnchanged(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	put(t, s, msg("1.0", "", "one"), msg("2.0", "", "two"))
	ctx := context.Background()
	var got []PutResult
	err := s.WriteMessages(ctx, func(w *MessageWriter) (err error) {
		got, err = w.PutAll(ctx, prepared(msg("1.0", "", "one"), msg("2.0", "", "two, edited"), msg("3.0", "", "three"), msg("3.0", "", "three")))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []PutResult{PutUnchanged, PutUpdated, PutNew, PutUnchanged}; !slices.Equal(got, want) {
		t.Errorf("PutAll: %v, want %v", got, want)
	}
	// A new message before one stored: the stored one's skipped row still
	// uses up an id, so the new ones' ids are not consecutive.
	err = s.WriteMessages(ctx, func(w *MessageWriter) (err error) {
		got, err = w.PutAll(ctx, prepared(msg("0.5", "", "half"), msg("1.0", "", "one"), msg("4.0", "", "four")))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []PutResult{PutNew, PutUnchanged, PutNew}; !slices.Equal(got, want) {
		t.Errorf("PutAll with a stored message between new ones: %v, want %v", got, want)
	}
}

func prepared(msgs ...Message) []Prepared {
	out := make([]Prepared, len(msgs))
	for i, m := range msgs {
		out[i] = Prepare(m)
	}
	return out
}

// TestPutAllStoresWhatPutStores: PutAll's insert, which binds the values
// most messages leave at their zero as one JSON value, stores every field
// as Put does, for plain messages and for ones with every field set; a
// chunk with a message already stored tells the new ones apart.
func TestPutAllStoresWhatPutStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	full := msg("2.0", "2.0", "deploy <@U2> now")
	full.Body = "deploy @maya now"
	full.BotID, full.AuthorName, full.Subtype = "B1", "deploybot \"quoted\" ü", "bot_message"
	full.Noise, full.Bot, full.ReplyCount, full.LatestReply = true, true, 3, "9.0"
	full.Edited, full.EditedTS = true, "3.0"
	msgs := []Message{msg("1.0", "", "plain"), full, msg("3.0", "2.0", "a reply")}
	stored := map[bool][]Message{}
	for _, all := range []bool{false, true} {
		s := openTest(t)
		seedWorkspace(t, s, "T1")
		seedChannel(t, s, "T1", "C1")
		if all {
			put(t, s, msgs[0]) // already stored: the chunk's insert stores the others
			var got []PutResult
			err := s.WriteMessages(ctx, func(w *MessageWriter) (err error) {
				got, err = w.PutAll(ctx, prepared(msgs...))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := []PutResult{PutUnchanged, PutNew, PutNew}; !slices.Equal(got, want) {
				t.Errorf("PutAll: %v, want %v", got, want)
			}
		} else {
			put(t, s, msgs...)
		}
		list, err := s.ListMessages(ctx, "T1", "C1")
		if err != nil {
			t.Fatal(err)
		}
		for i := range list {
			list[i].ID = 0
		}
		stored[all] = list
		var bodies int
		s.read.QueryRow(`SELECT count(*) FROM messages WHERE body IS NOT NULL`).Scan(&bodies)
		if bodies != 1 {
			t.Errorf("PutAll %v: %d bodies stored, want only the one that differs from its text", all, bodies)
		}
	}
	if len(stored[true]) != 3 || !slices.Equal(stored[false], stored[true]) {
		t.Errorf("PutAll stored\n%+v\nPut stored\n%+v", stored[true], stored[false])
	}
}

// TestBulkIndexingSwitchesAndRestores: a bulk load's commits do not
// checkpoint and the index merges nothing; afterwards both are as before.
func TestBulkIndexingSwitchesAndRestores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	settings := func() (autocheckpoint, automerge int) {
		t.Helper()
		if err := s.write.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&autocheckpoint); err != nil {
			t.Fatal(err)
		}
		if err := s.read.QueryRow(`SELECT v FROM messages_fts_config WHERE k = 'automerge'`).Scan(&automerge); err != nil {
			automerge = 4 // not stored: FTS5's default
		}
		return autocheckpoint, automerge
	}
	if err := s.BulkIndexing(ctx, true); err != nil {
		t.Fatal(err)
	}
	if a, m := settings(); a != 0 || m != 0 || s.bulkLoads.Load() != 1 {
		t.Errorf("during a load: wal_autocheckpoint %d, automerge %d, %d loads", a, m, s.bulkLoads.Load())
	}
	put(t, s, msg("1.0", "", "stored during the load"))
	if err := s.BulkIndexing(ctx, false); err != nil {
		t.Fatal(err)
	}
	if a, m := settings(); a != 1000 || m != 4 || s.bulkLoads.Load() != 0 {
		t.Errorf("after a load: wal_autocheckpoint %d, automerge %d, %d loads", a, m, s.bulkLoads.Load())
	}

	// A load a crash stopped leaves the index's own setting behind; the
	// next start puts it back.
	if err := s.BulkIndexing(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetIndexMerging(ctx); err != nil {
		t.Fatal(err)
	}
	if _, m := settings(); m != 4 {
		t.Errorf("after ResetIndexMerging: automerge %d", m)
	}
}

func TestMigrationRebuildsTheIndexUnderAWatermark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openAt(t, 19)
	seedWorkspace(t, s, "T1")
	for _, q := range []string{
		`INSERT INTO channels (workspace_id, channel_id, name) VALUES ('T1', 'C1', 'deploys')`,
		// as 00012's triggers left them: queued, not yet indexed
		`INSERT INTO messages (workspace_id, channel_id, ts, thread_ts, text) VALUES
			('T1', 'C1', '1.1', '1.1', 'where is the quarterly runbook'),
			('T1', 'C1', '1.2', '1.1', 'moved to notion'),
			('T1', 'C1', '1.3', NULL, 'lunch at noon')`,
	} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, "runbook"); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"1.1", "1.2"}) {
		t.Fatalf("runbook matches %v, want the parent and, by its context, the reply", got)
	}
	if got := search(t, s, "notion"); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"1.1", "1.2"}) {
		t.Fatalf("notion matches %v, want the reply and, by its context, the parent", got)
	}
	var through, pending int64
	s.read.QueryRow(`SELECT indexed_through, (SELECT count(*) FROM messages_fts_pending) FROM message_index`).Scan(&through, &pending)
	if through != 3 || pending != 0 {
		t.Fatalf("indexed through %d with %d queued, want 3 and 0", through, pending)
	}
	// A new message after the migration is indexed above the watermark.
	put(t, s, msg("1.4", "", "the quarterly review moved"))
	if got := search(t, s, "quarterly"); len(got) != 3 {
		t.Fatalf("quarterly matches %v, want three", got)
	}
	// Down and up again keeps every message findable.
	if err := s.MigrateTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, "quarterly"); len(got) != 3 {
		t.Fatalf("after down and up, quarterly matches %v, want three", got)
	}
}

func TestNewIdsStayAboveTheWatermark(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	put(t, s, msg("1.1", "", "alpha"), msg("1.2", "", "bravo"))
	// The newest message goes; the next one must not take its id, or it
	// would sit at or below the watermark, never indexed.
	err := s.WriteMessages(context.Background(), func(w *MessageWriter) error {
		_, err := w.Delete(context.Background(), "T1", "C1", "1.2")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, msg("1.3", "", "charlie"))
	if got := search(t, s, "charlie"); !slices.Equal(got, []string{"1.3"}) {
		t.Fatalf("charlie matches %v, want the new message", got)
	}
	if got := search(t, s, "bravo"); len(got) != 0 {
		t.Fatalf("bravo matches %v after its deletion", got)
	}
}

// TestPutAllChecksInGo: PutAll's inserts leave SQLite's CHECKs out, so every
// value a CHECK of messages would refuse is refused where the message is
// prepared, by Put and PutAll alike, with nothing stored; and the CHECKs are
// back for the transaction's next statement.
func TestPutAllChecksInGo(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	ctx := context.Background()
	badTS, badThread, negative := msg("1.0", "", "fine"), msg("2.0", "", "fine"), msg("3.0", "", "fine")
	badTS.TS = strings.Repeat("1", 33)
	badThread.ThreadTS = "yesterday"
	negative.ReplyCount = -1
	for _, c := range []struct {
		m    Message
		want string
	}{{badTS, "not a Slack timestamp"}, {badThread, "thread_ts"}, {negative, "reply_count -1 is negative"}} {
		for _, all := range []bool{false, true} {
			err := s.WriteMessages(ctx, func(w *MessageWriter) error {
				if all {
					_, err := w.PutAll(ctx, prepared(msg("0.5", "", "stored first"), c.m))
					return err
				}
				_, err := w.Put(ctx, c.m)
				return err
			}, BulkLoad())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("PutAll=%v %+v: %v, want an error saying %q", all, c.m, err, c.want)
			}
		}
	}
	var n int
	if err := s.read.QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d messages stored (%v), want none", n, err)
	}
	err := s.WriteMessages(ctx, func(w *MessageWriter) error {
		if _, err := w.PutAll(ctx, prepared(msg("1.0", "", "one"))); err != nil {
			return err
		}
		_, err := w.tx.ExecContext(ctx, `INSERT INTO messages (workspace_id, channel_id, ts, is_noise) VALUES ('T1', 'C1', '2.0', 7)`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "CHECK") {
		t.Errorf("an is_noise of 7 after PutAll: %v, want a CHECK constraint error", err)
	}
}

// TestBulkPragmasComeBackAfterCancel: when a load's context is cancelled,
// database/sql rolls its transaction back on its own and the pragmas' own
// restores fail; the write connection still gets secure_delete and the
// CHECKs back before the next writer.
func TestBulkPragmasComeBackAfterCancel(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	seedChannel(t, s, "T1", "C1")
	ctx, cancel := context.WithCancel(context.Background())
	err := s.WriteMessages(ctx, func(w *MessageWriter) error {
		if _, err := w.conn.setPragma(ctx, `PRAGMA ignore_check_constraints = ON`, `PRAGMA ignore_check_constraints = OFF`); err != nil {
			return err
		}
		cancel()
		for w.tx.QueryRowContext(context.Background(), `SELECT 1`).Scan(new(int)) == nil {
			time.Sleep(time.Millisecond) // until database/sql has rolled the transaction back
		}
		return ctx.Err()
	}, BulkLoad())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled load: %v", err)
	}
	var secure, ignore int
	if err := s.write.QueryRow(`PRAGMA secure_delete`).Scan(&secure); err != nil {
		t.Fatal(err)
	}
	if err := s.write.QueryRow(`PRAGMA ignore_check_constraints`).Scan(&ignore); err != nil {
		t.Fatal(err)
	}
	if secure != 1 || ignore != 0 {
		t.Errorf("after a cancelled load: secure_delete %d, ignore_check_constraints %d; want 1 and 0", secure, ignore)
	}
}

// TestMessagesByIDKeepsOrderAndScope: the hits come in the order of the ids
// asked for, and a message outside the scope (a private channel, for the
// web) is left out even when its id is asked for.
func TestMessagesByIDKeepsOrderAndScope(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	org := seedWorkspace(t, s, "T1")
	ctx := context.Background()
	if err := s.WriteMessages(ctx, func(w *MessageWriter) error {
		if err := w.UpsertChannel(ctx, Channel{WorkspaceID: "T1", ID: "C1", Name: "deploys"}); err != nil {
			return err
		}
		return w.UpsertChannel(ctx, Channel{WorkspaceID: "T1", ID: "C2", Name: "secret", Private: true})
	}); err != nil {
		t.Fatal(err)
	}
	private := msg("2.0", "", "in private")
	private.ChannelID = "C2"
	put(t, s, msg("1.0", "", "one"), private, msg("3.0", "", "three"))
	ids := map[string]int64{}
	rows, err := s.read.Query(`SELECT ts, message_id FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ts string
		var id int64
		if err := rows.Scan(&ts, &id); err != nil {
			t.Fatal(err)
		}
		ids[ts] = id
	}
	rows.Close()
	q := s.Searcher()
	defer q.Close()
	hits, err := q.MessagesByID(ctx, []int64{ids["3.0"], ids["2.0"], ids["1.0"], 999}, MessageScope{OrgID: org})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hits {
		got = append(got, h.TS)
	}
	if want := []string{"3.0", "1.0"}; !slices.Equal(got, want) {
		t.Errorf("MessagesByID: %v, want %v", got, want)
	}
}
