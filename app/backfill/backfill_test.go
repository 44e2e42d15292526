package backfill_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"lore/app/backfill"
	"lore/app/credentials"
	"lore/app/slackfake"
	"lore/app/sync"
	"lore/storage"
)

func summary(t testing.TB, j storage.Job) backfill.Summary {
	t.Helper()
	var s backfill.Summary
	if err := json.Unmarshal(j.Result, &s); err != nil {
		t.Fatalf("job %d (%s, %q): result %s: %v", j.ID, j.Status, j.Error, j.Result, err)
	}
	return s
}

// TestBackfillStoresEveryMessageOnce runs a backfill against a fake that
// answers 429s and 500s every few calls and caps history pages at 15, with
// a private channel, one the bot is not in, one that answers
// not_in_channel and an archived one: every readable message is stored
// exactly once, the others are reported, and the run ends partial.
func TestBackfillStoresEveryMessageOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := seed(e, 60,
		slackfake.Channel{ID: "C01", Name: "deploys", Member: true},
		slackfake.Channel{ID: "C02", Name: "incidents", Member: true, Private: true},
		slackfake.Channel{ID: "C03", Name: "random"}, // the bot is not in it
		slackfake.Channel{ID: "C04", Name: "old", Member: true, Archived: true},
		slackfake.Channel{ID: "C05", Name: "locked", Member: true})
	e.fake.FailChannel("C05", "not_in_channel")
	e.fake.CapPages(15)
	e.fake.Disturb("conversations.history", 3, 7)
	e.fake.Disturb("conversations.replies", 4, 9)
	e.fake.Disturb("conversations.list", 2, 0)
	e.fake.Disturb("users.list", 0, 2)

	j := e.backfill(t, context.Background(), backfill.Request{DaysBack: 30})
	if j.Status != storage.JobPartial {
		t.Fatalf("job ended %s (%q), want partial: C05 could not be read", j.Status, j.Error)
	}
	e.wantStored(t, w, "C01", "C02")
	s := summary(t, j)
	if s.MessagesNew != int64(len(w.messages["C01"])+len(w.messages["C02"])) || s.MessagesUpdated != 0 {
		t.Errorf("summary = %+v", s)
	}
	if len(s.Failed) != 1 || s.Failed[0].ID != "C05" || s.Failed[0].Status != "skipped" || !strings.Contains(s.Failed[0].Reason, "not_in_channel") {
		t.Errorf("failed = %+v, want C05 skipped with not_in_channel", s.Failed)
	}
	if n := strings.Count(strings.Join(s.Notes, "\n"), "pages of 15"); n != 1 {
		t.Errorf("notes = %q, want the 15-message pages noted once", s.Notes)
	}
	if s.ThreadsRead != 24 || s.RateLimited == 0 || s.APICalls <= s.RateLimited || j.Progress.APICalls != s.APICalls {
		t.Errorf("threads %d, calls %d, 429s %d (progress %d): want 24 threads and the 429s counted", s.ThreadsRead, s.APICalls, s.RateLimited, j.Progress.APICalls)
	}
	if !slices.ContainsFunc(e.waits(), func(d time.Duration) bool { return d >= time.Second }) {
		t.Errorf("waits %v: no Retry-After (1 s) waited for", e.waits())
	}
	channels, err := e.store.ListChannelSyncs(context.Background(), ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range channels {
		if c.ID == "C02" && !c.Private {
			t.Errorf("C02 not marked private")
		}
		if (c.ID == "C01" || c.ID == "C02") && (c.Run.Active() || c.NewestTS == "" || c.LastSyncedAt.IsZero()) {
			t.Errorf("%s sync state = %+v, want a finished run", c.ID, c)
		}
	}
	// The query planner's document frequencies count what was stored.
	if st, err := e.store.TermStats(context.Background(), nil); err != nil || st.Documents != s.MessagesNew {
		t.Errorf("term statistics count %d messages (%v), want %d", st.Documents, err, s.MessagesNew)
	}
	if u, err := e.store.ListSlackUsers(context.Background(), ws); err != nil || len(u) != 2 || u[0].RealName != "Maya Chen" {
		t.Errorf("users = %+v, %v", u, err)
	}
	// Hundreds of calls, one read of the credentials, audited once.
	reads, err := e.store.ListAudit(context.Background(), storage.AuditFilter{OrgID: e.org, Action: credentials.ActionRead})
	if err != nil || len(reads) != 1 || reads[0].Actor != fmt.Sprintf("job:%d", j.ID) {
		t.Errorf("credential reads = %+v, %v; want one, by job:%d", reads, err, j.ID)
	}
}

// TestSecondRunReadsNoReplies: over unchanged history a second run makes
// only list and history calls, and changes nothing; a new reply then makes
// exactly its thread read again.
func TestSecondRunReadsNoReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := seed(e, 40, slackfake.Channel{ID: "C01", Name: "deploys", Member: true})
	ctx := context.Background()
	if j := e.backfill(t, ctx, backfill.Request{}); j.Status != storage.JobSucceeded {
		t.Fatalf("first run: %s %q", j.Status, j.Error)
	}
	first := len(e.fake.Requests("conversations.replies"))
	if first != 8 {
		t.Fatalf("first run read %d threads, want 8", first)
	}
	j := e.backfill(t, ctx, backfill.Request{})
	if n := len(e.fake.Requests("conversations.replies")) - first; n != 0 {
		t.Fatalf("second run made %d conversations.replies calls, want 0", n)
	}
	if s := summary(t, j); s.MessagesNew != 0 || s.MessagesUpdated != 0 || s.MessagesDeleted != 0 || j.Status != storage.JobSucceeded {
		t.Fatalf("second run changed something: %+v (%s)", s, j.Status)
	}
	for _, c := range e.fake.Calls() {
		if !slices.Contains([]string{"auth.test", "users.list", "conversations.list", "conversations.history", "conversations.replies"}, c) {
			t.Errorf("unexpected call %s", c)
		}
	}

	parent := w.messages["C01"][0]
	e.fake.Post("C01", slackfake.Message{TS: "1900000000.000001", ThreadTS: parent, User: "U2", Text: "a late reply"})
	before := len(e.fake.Requests("conversations.replies"))
	j = e.backfill(t, ctx, backfill.Request{})
	if n := len(e.fake.Requests("conversations.replies")) - before; n != 1 || summary(t, j).MessagesNew != 1 {
		t.Fatalf("after a new reply: %d replies calls, summary %+v; want 1 and 1 new", n, summary(t, j))
	}
}

// TestDeletedWhileNobodyListened: messages deleted in Slack while no
// socket ran (a channel message, a reply) are removed by the next run,
// with their index entries.
func TestDeletedWhileNobodyListened(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := seed(e, 30, slackfake.Channel{ID: "C01", Name: "deploys", Member: true})
	ctx := context.Background()
	e.backfill(t, ctx, backfill.Request{})
	e.wantStored(t, w, "C01")

	gone, thread := w.messages["C01"][len(w.messages["C01"])-1], w.messages["C01"][0]
	reply := w.messages["C01"][2] // the thread's second reply
	e.fake.Delete("C01", gone)
	e.fake.Delete("C01", reply)
	w.messages["C01"] = slices.DeleteFunc(w.messages["C01"], func(ts string) bool { return ts == gone || ts == reply })
	j := e.backfill(t, ctx, backfill.Request{})
	e.wantStored(t, w, "C01")
	if s := summary(t, j); s.MessagesDeleted != 2 {
		t.Errorf("summary %+v, want 2 deleted", s)
	}
	if m, err := e.store.Message(ctx, ws, "C01", thread); err != nil || m.ReplyCount != 2 {
		t.Errorf("thread parent = %+v, %v; want 2 replies", m, err)
	}
	ids, err := e.store.SearchMessages(ctx, ws, `"message 29"`, 10)
	if err != nil || len(ids) != 0 {
		t.Errorf("the deleted message is still found: %v %v", ids, err)
	}
}

// TestCatchUpReadsAChannelOfOnePage: a channel whose history fits in one
// page is covered by its first backfill, so the catch-up after a socket
// drop reads it and stores what was posted meanwhile.
func TestCatchUpReadsAChannelOfOnePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.fake.AddUser(slackfake.User{ID: "U1", Name: "maya", RealName: "Maya Chen"})
	e.fake.AddChannel(slackfake.Channel{ID: "C01", Name: "general", Member: true})
	now := time.Now().Unix()
	e.fake.Post("C01", slackfake.Message{TS: fmt.Sprintf("%d.000100", now-3600), User: "U1", Text: "before the drop"})
	if j := e.backfill(t, ctx, backfill.Request{}); j.Status != storage.JobSucceeded {
		t.Fatalf("first backfill: %+v", j)
	}
	c, err := e.store.ChannelSyncOf(ctx, ws, "C01")
	if err != nil || c.NewestTS == "" || c.OldestTS == "" {
		t.Fatalf("after a one-page run the channel's sync state = %+v, %v", c, err)
	}
	missed := fmt.Sprintf("%d.000100", now-60)
	e.fake.Post("C01", slackfake.Message{TS: missed, User: "U1", Text: "posted while the socket was down"})
	j, err := e.runner.Enqueue(ctx, storage.NewJob{OrgID: e.org, WorkspaceID: ws, Kind: backfill.Kind,
		Params: []byte(fmt.Sprintf(`{"org_id":%d,"workspace_id":%q,"catch_up":true}`, e.org, ws))})
	if err != nil {
		t.Fatal(err)
	}
	if j = e.runJob(t, ctx, j.ID); j.Status != storage.JobSucceeded {
		t.Fatalf("catch-up: %+v", j)
	}
	if _, err := e.store.Message(ctx, ws, "C01", missed); err != nil {
		t.Errorf("the message posted during the drop: %v (catch-up %q)", err, j.Summary)
	}
}

// TestLiveReplyDuringAThreadReadStays: a reply posted, and stored live,
// just after Slack answered a thread's replies is not taken for one deleted
// while nobody listened.
func TestLiveReplyDuringAThreadReadStays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.fake.AddUser(slackfake.User{ID: "U1", Name: "maya", RealName: "Maya Chen"})
	e.fake.AddChannel(slackfake.Channel{ID: "C01", Name: "general", Member: true})
	base := time.Now().Add(-20 * 24 * time.Hour).Unix()
	parent := fmt.Sprintf("%d.000100", base)
	e.fake.Post("C01", slackfake.Message{TS: parent, User: "U1", Text: "old question"})
	e.fake.Post("C01", slackfake.Message{TS: fmt.Sprintf("%d.000200", base+1), ThreadTS: parent, User: "U1", Text: "old answer"})
	live := sync.New(e.store, slog.New(slog.DiscardHandler), sync.Options{})
	liveTS := fmt.Sprintf("%d.000300", time.Now().Unix())
	var once gosync.Once
	e.fake.Handle("conversations.replies", func(w http.ResponseWriter, r *http.Request) {
		answer := httptest.NewRecorder()
		e.fake.ServeWorkspace(answer, r)
		once.Do(func() {
			late := sync.Message{Type: "message", TS: liveTS, ThreadTS: parent, User: "U1", Text: "late live reply"}
			e.fake.Post("C01", slackfake.Message{TS: late.TS, ThreadTS: late.ThreadTS, User: late.User, Text: late.Text})
			if _, err := live.StoreMessages(ctx, nil, ws, "C01", []sync.Message{late}); err != nil {
				t.Error(err)
			}
		})
		w.Write(answer.Body.Bytes())
	})
	j := e.backfill(t, ctx, backfill.Request{})
	if _, err := e.store.Message(ctx, ws, "C01", liveTS); err != nil {
		t.Fatalf("the live reply after the backfill (%s, %q): %v", j.Status, j.Summary, err)
	}
	if s := summary(t, j); s.MessagesDeleted != 0 {
		t.Errorf("summary %+v, want nothing deleted", s)
	}
}

// TestCancelMidwayResumes cancels a backfill in the middle of a channel's
// history and runs it again: it resumes from the stored cursor (no page
// read twice but the one in flight) and ends with every message once.
func TestCancelMidwayResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := seed(e, 90, slackfake.Channel{ID: "C01", Name: "deploys", Member: true},
		slackfake.Channel{ID: "C02", Name: "incidents", Member: true})
	e.fake.CapPages(15)
	ctx, cancel := context.WithCancel(context.Background())
	e.fake.OnCall(func(method string) {
		if method == "conversations.history" && len(e.fake.Requests("conversations.history")) == 8 {
			cancel()
		}
	})
	job, err := e.svc.Start(context.Background(), e.org, ws, backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	j := e.runJob(t, ctx, job.ID)
	if j.Status != storage.JobQueued {
		t.Fatalf("interrupted job is %s (%q), want queued to resume", j.Status, j.Error)
	}
	partway := e.stored(t)
	if n := len(partway["C01"]) + len(partway["C02"]); n == 0 || n >= len(w.messages["C01"])+len(w.messages["C02"]) {
		t.Fatalf("%d messages stored before the cancel, want some", n)
	}
	e.fake.OnCall(nil)
	before := len(e.fake.Requests("conversations.history"))
	j = e.runJob(t, context.Background(), job.ID)
	if j.Status != storage.JobSucceeded || j.Attempts != 2 {
		t.Fatalf("resumed job: %s %q after %d attempts", j.Status, j.Error, j.Attempts)
	}
	e.wantStored(t, w, "C01", "C02")
	// 90 messages a channel in pages of 15 is 6 pages each: 12 in all, one
	// of them perhaps asked twice (the one the cancel cut off).
	if total := len(e.fake.Requests("conversations.history")); total > 13 || total-before < 4 {
		t.Errorf("history calls: %d in all, %d after resuming; want at most 13, no page read again", total, total-before)
	}
}

// TestRejectedTokenFailsTheJob: invalid_auth stops the job failed and
// marks the credentials invalid.
func TestRejectedTokenFailsTheJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seed(e, 10, slackfake.Channel{ID: "C01", Name: "deploys", Member: true})
	e.fake.FailWith("conversations.history", "invalid_auth")
	j := e.backfill(t, context.Background(), backfill.Request{})
	if j.Status != storage.JobFailed || !strings.Contains(j.Error, "invalid_auth") || !strings.Contains(j.Error, "marked invalid") {
		t.Fatalf("job = %s %q, want failed naming invalid_auth", j.Status, j.Error)
	}
	v, err := e.creds.View(context.Background(), "test", e.org, ws)
	if err != nil || v.Status != credentials.StatusInvalid {
		t.Fatalf("credentials = %+v, %v; want invalid", v.Status, err)
	}
}

// TestOneBackfillAtATime: a second backfill of the workspace while one is
// queued is refused with the first one's id, unless the queued one covers
// less (some channels): then it is widened, and that job answered.
func TestOneBackfillAtATime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	some, err := e.svc.Start(context.Background(), e.org, ws, backfill.Request{Channels: []string{"C02"}})
	if err != nil {
		t.Fatal(err)
	}
	more, err := e.svc.Start(context.Background(), e.org, ws, backfill.Request{Channels: []string{"C01"}})
	if err != nil || more.ID != some.ID || !strings.Contains(string(more.Params), `"channels":["C01","C02"]`) {
		t.Fatalf("a second channel while the first waits: %+v %v, want job %d widened to both", more, err, some.ID)
	}
	first, err := e.svc.Start(context.Background(), e.org, ws, backfill.Request{})
	if err != nil || first.ID != some.ID || strings.Contains(string(first.Params), "channels") {
		t.Fatalf("a full run while a channel's waits: %+v %v, want job %d widened to all", first, err, some.ID)
	}
	_, err = e.svc.Start(context.Background(), e.org, ws, backfill.Request{Channels: []string{"C01"}})
	var running *backfill.RunningError
	if !errors.As(err, &running) || running.JobID != first.ID {
		t.Fatalf("second backfill: %v, want a RunningError naming job %d", err, first.ID)
	}
	_, err = e.svc.Start(context.Background(), e.org, ws, backfill.Request{DaysBack: 400, Channels: []string{"#general"}})
	if err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("bad request: %v", err)
	}
}

// TestOneChannelAlone backfills a channel added later by itself.
func TestOneChannelAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := seed(e, 20, slackfake.Channel{ID: "C01", Name: "deploys", Member: true},
		slackfake.Channel{ID: "C02", Name: "incidents", Member: true})
	j := e.backfill(t, context.Background(), backfill.Request{Channels: []string{"C02"}})
	if j.Status != storage.JobSucceeded {
		t.Fatalf("%s %q", j.Status, j.Error)
	}
	e.wantStored(t, w, "C02")
	for _, c := range e.fake.Requests("conversations.history") {
		if c.Form.Get("channel") != "C02" {
			t.Errorf("history of %s read", c.Form.Get("channel"))
		}
	}
}

// TestSlackDownIsReported: a channel whose history Slack never answers
// (HTTP 500 every time) is tried again, then reported; the others are
// stored and the run ends partial, never succeeded with a gap.
func TestSlackDownIsReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := seed(e, 20, slackfake.Channel{ID: "C01", Name: "deploys", Member: true})
	e.fake.AddChannel(slackfake.Channel{ID: "C02", Name: "broken", Member: true})
	e.fake.Handle("conversations.history", func(rw http.ResponseWriter, r *http.Request) {
		if r.FormValue("channel") == "C02" {
			http.Error(rw, "<html>oops</html>", http.StatusInternalServerError)
			return
		}
		e.fake.ServeWorkspace(rw, r)
	})
	j := e.backfill(t, context.Background(), backfill.Request{})
	if j.Status != storage.JobPartial {
		t.Fatalf("job %s %q, want partial", j.Status, j.Error)
	}
	e.wantStored(t, w, "C01")
	s := summary(t, j)
	if len(s.Failed) != 1 || s.Failed[0].ID != "C02" || s.Failed[0].Status != "failed" || !strings.Contains(s.Failed[0].Reason, "HTTP 500") {
		t.Fatalf("failed = %+v", s.Failed)
	}
	n := 0
	for _, c := range e.fake.Requests("conversations.history") {
		if c.Form.Get("channel") == "C02" {
			n++
		}
	}
	if n != 5 {
		t.Errorf("C02's history asked %d times, want 5 (1 + 4 retries)", n)
	}
}

// TestStopsPromptly: a run waiting on Slack stops at once when its
// context ends (a cancel, or SIGTERM stopping the runner), and resumes.
func TestStopsPromptly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seed(e, 20, slackfake.Channel{ID: "C01", Name: "deploys", Member: true})
	e.fake.Handle("conversations.history", func(rw http.ResponseWriter, r *http.Request) {
		select { // Slack hangs
		case <-time.After(30 * time.Second):
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	job, err := e.svc.Start(context.Background(), e.org, ws, backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	j := e.runJob(t, ctx, job.ID)
	if took := time.Since(start); took > 2*time.Second || j.Status != storage.JobQueued {
		t.Fatalf("stopped after %s as %s, want within 2 s and queued to resume", took, j.Status)
	}
}
