package cli

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"lore/app"
	"lore/app/scheduler"
	"lore/app/testlog"
	"lore/storage"
)

// serveAt runs lore serve on a fake clock until stop is called, and hands
// back the App it serves.
func serveAt(t *testing.T, dir string, now time.Time) (*app.App, func()) {
	t.Helper()
	var (
		mu     sync.Mutex
		served *app.App
	)
	ctx, cancel := context.WithCancel(context.Background())
	var out testlog.Buffer
	env := Env{
		Args:       []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "error"},
		Getenv:     func(string) string { return "" },
		Stdin:      strings.NewReader(""),
		Stdout:     &out,
		Stderr:     &testlog.Buffer{},
		Migrations: os.DirFS("../../migrations"),
		NewHandler: func(a *app.App) http.Handler {
			mu.Lock()
			served = a
			mu.Unlock()
			return http.NotFoundHandler()
		},
		Clock: clockwork.NewFakeClockAt(now),
	}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, env) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Lore is running") {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	return served, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}

// TestServeRestartBringsTheScheduleBackAndRunsAMissedRunOnce: Lore stops
// at 01:59, the machine is off at 02:00, and the next start runs the
// missed backfill once; a start after that runs nothing more.
func TestServeRestartBringsTheScheduleBackAndRunsAMissedRunOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := storage.Open(ctx, filepath.Join(dir, "lore.db"), os.DirFS("../../migrations"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.CreateOrganization(ctx, "Acme")
	if err == nil {
		_, err = s.CreateWorkspace(ctx, o.ID, "T0ACME", "Acme")
	}
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	backfills := func() []storage.Job {
		t.Helper()
		var out []storage.Job
		for _, j := range jobsOf(t, dir) {
			if j.Kind == scheduler.KindBackfill {
				out = append(out, j)
			}
		}
		return out
	}

	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	_, stop := serveAt(t, dir, day.Add(time.Hour+58*time.Minute)) // 01:58
	stop()
	if n := len(backfills()); n != 0 {
		t.Fatalf("%d backfills before 02:00", n)
	}

	a, stop := serveAt(t, dir, day.Add(2*time.Hour+30*time.Minute)) // 02:30: 02:00 was missed
	deadline := time.Now().Add(10 * time.Second)
	var entry scheduler.Entry
	for {
		entries, err := a.Scheduler.Schedule(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if entry = entries[0]; entry.LastRun != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if entry.Job != "backfill" || entry.LastRun == nil || !entry.LastRun.Equal(day.Add(2*time.Hour+30*time.Minute)) ||
		entry.NextRun == nil || !entry.NextRun.Equal(day.Add(26*time.Hour)) {
		t.Fatalf("schedule after the restart: %+v", entry)
	}
	if n := len(backfills()); n != 1 {
		t.Fatalf("%d backfills after the missed run, want exactly 1", n)
	}

	_, stop = serveAt(t, dir, day.Add(2*time.Hour+40*time.Minute)) // nothing missed since 02:30
	time.Sleep(200 * time.Millisecond)
	stop()
	if n := len(backfills()); n != 1 {
		t.Fatalf("%d backfills after another restart, want still 1", n)
	}
}
