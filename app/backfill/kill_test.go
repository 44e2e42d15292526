package backfill_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"lore/app"
	"lore/app/apptest"
	"lore/app/backfill"
	"lore/app/credentials"
	"lore/app/jobs"
	"lore/app/slack"
	"lore/app/slackfake"
	"lore/app/sync"
)

// TestBackfillKilledResumes runs a backfill in a separate process, kills
// it with SIGKILL in the middle of the history, and resumes the job here:
// every message ends up stored exactly once, and the pages the killed run
// committed are not read again.
func TestBackfillKilledResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := seed(e, 90, slackfake.Channel{ID: "C01", Name: "deploys", Member: true},
		slackfake.Channel{ID: "C02", Name: "incidents", Member: true}, slackfake.Channel{ID: "C03", Name: "ops", Member: true})
	e.fake.CapPages(15)
	e.fake.Tier("conversations.history", 300, 1) // 5 pages a second: the kill lands mid-way
	job, err := e.svc.Start(context.Background(), e.org, ws, backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestBackfillChild$")
	child.Env = append(os.Environ(), "LORE_BACKFILL_CHILD_DIR="+e.a.Config.DataDir, "LORE_BACKFILL_CHILD_URL="+e.fake.URL(),
		"LORE_BACKFILL_CHILD_JOB="+strconv.FormatInt(job.ID, 10), "LORE_BACKFILL_CHILD_ORG="+strconv.FormatInt(e.org, 10))
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, _ := e.store.CountMessages(context.Background(), ws)
		if n >= 60 {
			break
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatalf("the child stored %d messages in 30 s", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := child.Process.Kill(); err != nil { // SIGKILL: no cleanup, no checkpoint
		t.Fatal(err)
	}
	child.Wait()
	stored, _ := e.store.CountMessages(context.Background(), ws)
	all := 0
	for _, m := range w.messages {
		all += len(m)
	}
	if stored >= int64(all) {
		t.Fatalf("the child finished (%d messages) before the kill", stored)
	}
	calls := e.fake.Served("conversations.history")

	// This process takes over, as a restarted lore would (its client does
	// not wait out the fake's bucket: lift it).
	e.fake.Tier("conversations.history", 60000, 100)
	if err := e.runner.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	j := e.runJob(t, context.Background(), job.ID)
	if j.Status != "succeeded" || j.Attempts != 2 {
		t.Fatalf("resumed job: %s %q, %d attempts: %s", j.Status, j.Error, j.Attempts, j.Result)
	}
	e.wantStored(t, w, "C01", "C02", "C03")
	// 3 channels of 90 messages in pages of 15: 18 pages, one perhaps cut
	// off by the kill and read again.
	if total := e.fake.Served("conversations.history"); total > 19 || calls == 0 {
		t.Errorf("history pages served: %d in all (%d before the kill), want at most 19", total, calls)
	}
}

// TestBackfillChild is the process TestBackfillKilledResumes kills.
func TestBackfillChild(t *testing.T) {
	dir := os.Getenv("LORE_BACKFILL_CHILD_DIR")
	if dir == "" {
		t.Skip("run by TestBackfillKilledResumes")
	}
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	a, err := app.Open(ctx, app.Config{DataDir: dir}, os.DirFS(apptest.MigrationsDir()), logger)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	client, err := slack.New(slack.Options{APIURL: os.Getenv("LORE_BACKFILL_CHILD_URL"), Rates: fast})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := credentials.New(a.Store, a.Keyring, logger, credentials.Options{Slack: client})
	if err != nil {
		t.Fatal(err)
	}
	runner := jobs.New(a.Store, logger, jobs.Options{HeartbeatInterval: 10 * time.Millisecond})
	svc := backfill.New(a.Store, sync.New(a.Store, logger, sync.Options{}), creds, a.Settings, runner, logger, backfill.Options{})
	svc.Register(runner)
	job, _ := strconv.ParseInt(os.Getenv("LORE_BACKFILL_CHILD_JOB"), 10, 64)
	org, _ := strconv.ParseInt(os.Getenv("LORE_BACKFILL_CHILD_ORG"), 10, 64)
	if _, err := runner.RunJob(ctx, org, job); err != nil {
		t.Fatal(err)
	}
}
