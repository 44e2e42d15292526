package scheduler_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"lore/app/backfill"
	"lore/app/jobs"
	"lore/app/scheduler"
	"lore/app/settings"
	"lore/app/testlog"
	"lore/storage"
)

const migrationsDir = "../../migrations"

// fixture is a database with one organization and workspace, a job runner
// that is not started (queued jobs stay queued, so the tests see them), and
// a scheduler on a fake clock.
type fixture struct {
	t     *testing.T
	dir   string
	store *storage.Store
	jobs  *jobs.Runner
	clock *clockwork.FakeClock
	sched *scheduler.Scheduler
	set   *settings.Service
	org   int64
	ws    string
}

// start is 01:58:30 UTC: the default backfill (02:00) is a minute and a half away.
var start = time.Date(2026, 12, 1, 1, 58, 30, 0, time.UTC)

func newFixture(t *testing.T, dir string) *fixture {
	t.Helper()
	ctx := context.Background()
	if dir == "" {
		dir = t.TempDir()
	}
	store, err := storage.Open(ctx, dir+"/lore.db", os.DirFS(migrationsDir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{t: t, dir: dir, store: store, clock: clockwork.NewFakeClockAt(start)}
	f.jobs = jobs.New(store, slog.New(slog.DiscardHandler), jobs.Options{})
	f.sched = scheduler.New(store, f.jobs, slog.New(slog.DiscardHandler), scheduler.Tasks{}, scheduler.Options{Clock: f.clock})
	f.set = settings.New(store)
	f.set.OnChange(f.sched.OrgChanged)
	orgs, err := store.ListOrganizations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) == 0 {
		o, err := store.CreateOrganization(ctx, "Acme")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.CreateWorkspace(ctx, o.ID, "T0001", "acme"); err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o)
	}
	f.org, f.ws = orgs[0].ID, "T0001"
	return f
}

func (f *fixture) startScheduler() {
	f.t.Helper()
	if err := f.sched.Start(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { f.sched.Stop() })
}

// advance moves the fake clock by d once gocron's timers are set: one per
// scheduled job and the reconcile.
func (f *fixture) advance(d time.Duration, timers int) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.clock.BlockUntilContext(ctx, timers); err != nil {
		f.t.Fatalf("gocron did not set %d timers: %v", timers, err)
	}
	f.clock.Advance(d)
}

// backfills returns the organization's backfill jobs, newest first.
func (f *fixture) backfills() []storage.Job {
	f.t.Helper()
	js, err := f.store.ListJobs(context.Background(), storage.JobFilter{OrgID: f.org, Kind: scheduler.KindBackfill})
	if err != nil {
		f.t.Fatal(err)
	}
	return js
}

// waitBackfills waits until the organization has n backfill jobs.
func (f *fixture) waitBackfills(n int) []storage.Job {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		js := f.backfills()
		if len(js) >= n {
			return js
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("have %d backfill jobs, want %d", len(js), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitRun waits until the i-th entry of the schedule has a recorded run:
// the job row shows before the run's end is stored.
func (f *fixture) waitRun(i int) scheduler.Entry {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, err := f.sched.Schedule(context.Background(), f.org)
		if err != nil {
			f.t.Fatal(err)
		}
		if entries[i].LastRun != nil || time.Now().After(deadline) {
			return entries[i]
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle gives a wrongly fired job the time to show.
func settle() { time.Sleep(100 * time.Millisecond) }

func (f *fixture) patch(body string) {
	f.t.Helper()
	var p map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.set.Patch(context.Background(), f.org, "user:1", p); err != nil {
		f.t.Fatal(err)
	}
}

// Jobs gocron holds with the defaults: backfill, retention, index
// statistics, reconcile.
const defaultTimers = 4

func TestBackfillFiresAtTheScheduledMinute(t *testing.T) {
	f := newFixture(t, "")
	f.startScheduler()
	f.advance(time.Minute, defaultTimers) // 01:59:30
	settle()
	if n := len(f.backfills()); n != 0 {
		t.Fatalf("%d backfills queued before 02:00", n)
	}
	f.advance(time.Minute, defaultTimers) // 02:00:30
	js := f.waitBackfills(1)
	j := js[0]
	if j.WorkspaceID != f.ws || j.Status != storage.JobQueued {
		t.Fatalf("job = %+v, want a queued backfill of %s", j, f.ws)
	}
	var p backfill.Params
	if err := json.Unmarshal(j.Params, &p); err != nil || p.DaysBack != 90 || p.OrgID != f.org || p.WorkspaceID != f.ws {
		t.Fatalf("params = %s (%v), want 90 days back from the schedule", j.Params, err)
	}
	e := f.waitRun(0)
	if e.Job != "backfill" || e.LastRun == nil || e.LastOutcome != storage.RunSucceeded || !strings.Contains(e.LastDetail, "queued 1") {
		t.Fatalf("schedule entry = %+v, want the run recorded", e)
	}
	if len(e.LastJobs) != 1 || e.LastJobs[0].ID != j.ID || e.LastJobs[0].Status != storage.JobQueued || e.LastJobs[0].WorkspaceID != f.ws {
		t.Fatalf("last jobs = %+v, want the queued backfill", e.LastJobs)
	}
	if want := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC); e.NextRun == nil || !e.NextRun.Equal(want) || e.Every != "every day at 02:00 UTC" {
		t.Fatalf("next run = %v %q, want %v every day at 02:00 UTC", e.NextRun, e.Every, want)
	}
}

func TestSettingsPatchMovesTheSchedule(t *testing.T) {
	f := newFixture(t, "")
	f.startScheduler()
	f.patch(`{"backfill_schedule": "30 1 * * *"}`) // 01:30: passed today; 02:00 no longer
	entries, err := f.sched.Schedule(context.Background(), f.org)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 2, 1, 30, 0, 0, time.UTC); !entries[0].NextRun.Equal(want) || entries[0].Every != "every day at 01:30 UTC" {
		t.Fatalf("next run = %v (%s), want %v", entries[0].NextRun, entries[0].Every, want)
	}
	f.advance(2*time.Minute, defaultTimers) // 02:00:30
	settle()
	if n := len(f.backfills()); n != 0 {
		t.Fatalf("%d backfills queued at the old time", n)
	}
	f.patch(`{"backfill_schedule": "5 2 * * *"}`)
	f.advance(5*time.Minute, defaultTimers) // 02:05:30
	f.waitBackfills(1)
}

func TestAutoBackfillOffRemovesTheJob(t *testing.T) {
	f := newFixture(t, "")
	f.startScheduler()
	f.patch(`{"auto_backfill_enabled": false}`)
	f.advance(2*time.Minute, defaultTimers-1) // 02:00:30
	settle()
	if n := len(f.backfills()); n != 0 {
		t.Fatalf("%d backfills queued with auto-backfill off", n)
	}
	entries, _ := f.sched.Schedule(context.Background(), f.org)
	if entries[0].Enabled || entries[0].NextRun != nil {
		t.Fatalf("entry = %+v, want disabled without a next run", entries[0])
	}
	f.patch(`{"auto_backfill_enabled": true}`)
	f.clock.Advance(24 * time.Hour) // 02:00:30 the next day: the timer set before the advance fires
	f.waitBackfills(1)
}

func TestOverlappingRunIsSkippedAndListed(t *testing.T) {
	f := newFixture(t, "")
	// A manual backfill is still queued (the runner is not started).
	manual, err := f.store.CreateJob(context.Background(), storage.NewJob{OrgID: f.org, WorkspaceID: f.ws, Kind: scheduler.KindBackfill})
	if err != nil {
		t.Fatal(err)
	}
	f.startScheduler()
	f.advance(2*time.Minute, defaultTimers)
	js := f.waitBackfills(2)
	skipped := js[0]
	if skipped.Status != storage.JobCancelled || !strings.Contains(skipped.Summary, "skipped") ||
		!strings.Contains(skipped.Summary, "job "+itoa(manual.ID)) {
		t.Fatalf("skipped run = %+v, want a cancelled row naming job %d", skipped, manual.ID)
	}
	if len(js) != 2 {
		t.Fatalf("%d backfill rows, want the manual one and the skipped one", len(js))
	}
	if e := f.waitRun(0); e.LastOutcome != storage.RunSkipped {
		t.Fatalf("last outcome = %q, want skipped", e.LastOutcome)
	}
}

func TestOrganizationCreatedGainsItsJobs(t *testing.T) {
	f := newFixture(t, "")
	f.startScheduler()
	o, err := f.store.CreateOrganization(context.Background(), "Globex")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CreateWorkspace(context.Background(), o.ID, "T0002", "globex"); err != nil {
		t.Fatal(err)
	}
	f.sched.OrgChanged(context.Background(), o.ID)
	f.advance(2*time.Minute, defaultTimers+2)
	f.waitBackfills(1)
	deadline := time.Now().Add(5 * time.Second)
	for {
		js, _ := f.store.ListJobs(context.Background(), storage.JobFilter{OrgID: o.ID, Kind: scheduler.KindBackfill})
		if len(js) == 1 && js[0].WorkspaceID == "T0002" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new organization's backfills = %+v", js)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMissedRunRunsOnceAtStart(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, dir)
	ctx := context.Background()
	name := "org-" + itoa(f.org) + "-backfill"
	// It last ran two days ago at 02:00: yesterday's 02:00 was missed.
	last := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	if err := f.store.ScheduleSince(ctx, name, f.org, last.Add(-time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if err := f.store.RecordScheduleRun(ctx, name, f.org, last, storage.RunSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour) // 02:58:30: today's is missed too, yet it runs once
	f.startScheduler()
	f.waitBackfills(1)
	settle()
	if n := len(f.backfills()); n != 1 {
		t.Fatalf("%d backfills after the start, want exactly one", n)
	}
	// The retention job never ran before: it was not missed.
	js, _ := f.store.ListJobs(ctx, storage.JobFilter{OrgID: f.org, Kind: scheduler.KindRetention})
	if len(js) != 0 {
		t.Fatalf("retention jobs = %d, want none at start", len(js))
	}
}

func TestDescribe(t *testing.T) {
	for expr, want := range map[string]string{
		"0 2 * * *":    "every day at 02:00 UTC",
		"0 8 * * 1":    "every Monday at 08:00 UTC",
		"30 6 * * 1-5": "every weekday at 06:30 UTC",
		"0 3 1 * *":    "on day 1 of every month at 03:00 UTC",
		"15 * * * *":   "every hour at minute 15",
		"*/10 * * * *": "every 10 minutes",
		"0 2 * 1 *":    `on the schedule "0 2 * 1 *" (UTC)`,
	} {
		if got := scheduler.Describe(expr); got != want {
			t.Errorf("Describe(%q) = %q, want %q", expr, got, want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// putMessages stores a message at each ts in the workspace's channel C1.
func (f *fixture) putMessages(ts ...string) {
	f.t.Helper()
	ctx := context.Background()
	err := f.store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
		if err := w.UpsertChannel(ctx, storage.Channel{WorkspaceID: f.ws, ID: "C1", Name: "general"}); err != nil {
			return err
		}
		for _, ts := range ts {
			if _, err := w.Put(ctx, storage.Message{WorkspaceID: f.ws, ChannelID: "C1", TS: ts, UserID: "U1", Text: "hello " + ts}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// runRetention queues the organization's retention run and runs it to its end.
func (f *fixture) runRetention() storage.Job {
	f.t.Helper()
	ctx := context.Background()
	j, err := f.sched.RunRetention(ctx, f.org)
	if err != nil {
		f.t.Fatal(err)
	}
	ended, err := f.jobs.RunJob(ctx, f.org, j.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return ended
}

func TestRetentionJobDeletesOldMessagesWithCounts(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	// The fake clock says 2026-12-01; retention is 365 days by default.
	f.putMessages("1700000000.000100", "1700000001.000100", "1790000000.000100")
	ended := f.runRetention()
	var d scheduler.RetentionDetail
	if err := json.Unmarshal(ended.Result, &d); err != nil {
		t.Fatalf("result %s: %v", ended.Result, err)
	}
	if ended.Status != storage.JobSucceeded || d.Messages != 2 || d.RetentionDays != 365 ||
		!d.Cutoff.Equal(start.Add(-365*24*time.Hour)) || !strings.Contains(ended.Summary, "2 messages older than 365 days") {
		t.Fatalf("job = %s %q, detail %+v", ended.Status, ended.Summary, d)
	}
	if n, _ := f.store.CountMessages(ctx, f.ws); n != 1 {
		t.Fatalf("%d messages left, want 1", n)
	}
}

func TestDigestFiresMondayAt0800WhenEnabled(t *testing.T) {
	f := newFixture(t, "")
	calls := make(chan time.Time, 4)
	f.sched = scheduler.New(f.store, jobs.New(f.store, slog.New(slog.DiscardHandler), jobs.Options{}), slog.New(slog.DiscardHandler),
		scheduler.Tasks{Digest: func(_ context.Context, orgID int64, now time.Time) (string, error) {
			calls <- now
			return "sent", nil
		}}, scheduler.Options{Clock: f.clock})
	f.set = settings.New(f.store)
	f.set.OnChange(f.sched.OrgChanged)
	f.startScheduler()
	f.patch(`{"weekly_digest_enabled": true}`)
	entries, _ := f.sched.Schedule(context.Background(), f.org)
	monday := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC) // 2026-12-01 is a Tuesday
	if e := entries[2]; e.Job != "digest" || !e.Enabled || e.Every != "every Monday at 08:00 UTC" || !e.NextRun.Equal(monday) {
		t.Fatalf("digest entry = %+v", e)
	}
	f.advance(monday.Sub(start)-time.Minute, defaultTimers+1) // Monday 07:59:30
	select {
	case at := <-calls:
		t.Fatalf("digest ran at %v, before Monday 08:00", at)
	case <-time.After(100 * time.Millisecond):
	}
	f.advance(time.Minute, defaultTimers+1)
	select {
	case at := <-calls:
		if at.Before(monday) || at.After(monday.Add(time.Minute)) {
			t.Fatalf("digest ran at %v", at)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the digest did not run on Monday at 08:00")
	}
}

func TestOrganizationDeletedLosesItsJobs(t *testing.T) {
	f := newFixture(t, "")
	var logs testlog.Buffer
	f.sched = scheduler.New(f.store, f.jobs, slog.New(slog.NewTextHandler(&logs, nil)), scheduler.Tasks{}, scheduler.Options{Clock: f.clock})
	f.startScheduler()
	db, err := sql.Open("sqlite", f.dir+"/lore.db?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM organizations WHERE org_id = ?`, f.org); err != nil {
		t.Fatal(err)
	}
	if err := f.sched.Reschedule(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, job := range []string{"backfill", "retention"} {
		if want := "msg=\"job unscheduled\" component=scheduler job=org-" + itoa(f.org) + "-" + job; !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	f.advance(2*time.Minute, 2) // past 02:00: nothing of the organization runs (the index statistics and reconcile remain)
	settle()
	if strings.Contains(logs.String(), "scheduled job") {
		t.Fatalf("a job of the deleted organization ran:\n%s", logs.String())
	}
}

// TestPreviewRetentionCountsWhatTheNextRunDeletes: the preview counts the
// messages older than the retention at the next run (03:00), and the run
// then deletes exactly that many.
func TestPreviewRetentionCountsWhatTheNextRunDeletes(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	nextRun := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	// Posted 40, 31 and 29 days before the next run, and a recent one.
	ages := []time.Duration{40 * 24 * time.Hour, 31 * 24 * time.Hour, 29 * 24 * time.Hour, time.Hour}
	for _, age := range ages {
		f.putMessages(strconv.FormatInt(nextRun.Add(-age).Unix(), 10) + ".000100")
	}
	for _, c := range []struct{ days, want int64 }{{30, 2}, {35, 1}, {365, 0}, {1, 3}} {
		p, err := f.sched.PreviewRetention(ctx, f.org, c.days)
		if err != nil {
			t.Fatal(err)
		}
		if p.Messages != c.want || !p.NextRun.Equal(nextRun) || !p.Cutoff.Equal(nextRun.Add(-time.Duration(c.days)*24*time.Hour)) {
			t.Fatalf("%d days: %+v, want %d messages, next run %s", c.days, p, c.want, nextRun)
		}
	}
	if _, err := f.sched.PreviewRetention(ctx, 999999, 30); err == nil {
		t.Fatal("a missing organization previews without error")
	}
	if n, _ := f.store.CountMessages(ctx, f.ws); n != 4 {
		t.Fatalf("the preview changed the messages: %d left", n)
	}

	// At the next run, with 30 days, the run deletes the two counted.
	f.patch(`{"message_retention_days": 30}`)
	f.clock.Advance(nextRun.Sub(start))
	if ended := f.runRetention(); !strings.Contains(ended.Summary, "2 messages older than 30 days") {
		t.Fatalf("the run: %s %q", ended.Status, ended.Summary)
	}
}

// TestIndexStatisticsCountAgainAt0430WhenMessagesChanged: messages stored
// since the last count (live events) are counted at 04:30; the schedule shows
// the run.
func TestIndexStatisticsCountAgainAt0430WhenMessagesChanged(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	err := f.store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
		if err := w.UpsertChannel(ctx, storage.Channel{WorkspaceID: f.ws, ID: "C1", Name: "deploys"}); err != nil {
			return err
		}
		for i, text := range []string{"the runbook moved to notion", "where is the runbook"} {
			ts := fmt.Sprintf("17000000%02d.000100", i)
			if _, err := w.Put(ctx, storage.Message{WorkspaceID: f.ws, ChannelID: "C1", TS: ts, UserID: "U1", Text: text, Body: text}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.startScheduler()
	at := time.Date(2026, 12, 1, 4, 30, 0, 0, time.UTC)
	f.advance(at.Sub(start)-time.Minute, defaultTimers) // 04:29:30
	settle()
	if st, _ := f.store.TermStats(ctx, []string{"runbook"}); st.Documents != 0 {
		t.Fatalf("counted before 04:30: %+v", st)
	}
	f.advance(time.Minute, defaultTimers)
	var e scheduler.Entry
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		entries, err := f.sched.Schedule(ctx, f.org)
		if err != nil {
			t.Fatal(err)
		}
		if e = entries[len(entries)-1]; e.LastRun != nil {
			break
		}
	}
	if e.Job != scheduler.IndexStatisticsJob || e.LastOutcome != storage.RunSucceeded || e.Every != "every day at 04:30 UTC" ||
		!strings.Contains(e.LastDetail, "refreshed over 2 messages") {
		t.Fatalf("index statistics entry = %+v", e)
	}
	if st, err := f.store.TermStats(ctx, []string{"runbook"}); err != nil || st.Documents != 2 || st.Terms["runbook"] != 2 {
		t.Fatalf("term stats after 04:30 = %+v, %v", st, err)
	}
}
