package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lore/storage"
)

// migrationsDir is the repository's migrations (apptest's would import
// package app, which imports this one).
const migrationsDir = "../../migrations"

// workerEnv, when set, makes the test binary a worker process: it opens
// the database the variable names and runs a runner until it is killed.
const workerEnv = "LORE_JOBS_TEST_WORKER_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(workerEnv); path != "" {
		os.Exit(runWorker(path))
	}
	os.Exit(m.Run())
}

// runWorker is the worker process of TestSIGKILLMidJobResumes.
func runWorker(path string) int {
	ctx := context.Background()
	store, err := storage.Open(ctx, path, os.DirFS(migrationsDir), slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r := New(store, slog.New(slog.DiscardHandler), fastOptions)
	r.Register(unitsKind, unitsHandler, true)
	if err := r.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	select {} // until SIGKILL
}

var fastOptions = Options{PollInterval: 20 * time.Millisecond, HeartbeatInterval: 20 * time.Millisecond}

const unitsKind = "units"

// unitsParams is what the test kind "units" is queued with: do units 1..N,
// each leaving a file unit-I in Dir, checkpointing after each.
type unitsParams struct {
	N       int    `json:"n"`
	Dir     string `json:"dir"`
	DelayMS int    `json:"delay_ms"`
	Fail    string `json:"fail"`    // return this error after the units
	Partial bool   `json:"partial"` // end partial
	Panic   bool   `json:"panic"`
	Block   bool   `json:"block"` // after the units, wait for ctx to end
}

// unitsHandler is a kind that checkpoints: a resumed run starts after the
// last unit checkpointed, and records where it started (start-ATTEMPT-FROM).
// A unit done twice (work after the last checkpoint, redone on resume)
// leaves redo-I.
func unitsHandler(ctx context.Context, raw []byte, run Run) (Outcome, error) {
	var p unitsParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return Outcome{}, err
	}
	from := 0
	if cp := run.Checkpoint(); cp != nil {
		n, err := strconv.Atoi(string(cp))
		if err != nil {
			return Outcome{}, fmt.Errorf("bad checkpoint %q", cp)
		}
		from = n
	}
	if p.Dir != "" {
		os.WriteFile(filepath.Join(p.Dir, fmt.Sprintf("start-%d", from)), nil, 0o600)
	}
	for i := from + 1; i <= p.N; i++ {
		if err := ctx.Err(); err != nil {
			return Outcome{}, err
		}
		if p.Dir != "" {
			f, err := os.OpenFile(filepath.Join(p.Dir, fmt.Sprintf("unit-%d", i)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if errors.Is(err, fs.ErrExist) {
				os.WriteFile(filepath.Join(p.Dir, fmt.Sprintf("redo-%d", i)), nil, 0o600)
			} else if err != nil {
				return Outcome{}, err
			} else {
				f.Close()
			}
		}
		run.Report(Progress{Percent: i * 100 / p.N, ChannelsDone: i, ChannelsTotal: p.N, Messages: int64(i * 10), Current: fmt.Sprintf("unit %d", i)})
		if err := run.SaveCheckpoint(ctx, []byte(strconv.Itoa(i))); err != nil {
			return Outcome{}, err
		}
		if p.DelayMS > 0 {
			select {
			case <-ctx.Done():
				return Outcome{}, ctx.Err()
			case <-time.After(time.Duration(p.DelayMS) * time.Millisecond):
			}
		}
	}
	if p.Block {
		<-ctx.Done()
		return Outcome{}, fmt.Errorf("stopped: %w", context.Cause(ctx))
	}
	if p.Panic {
		panic("unit handler exploded")
	}
	if p.Fail != "" {
		return Outcome{}, errors.New(p.Fail)
	}
	return Outcome{Partial: p.Partial, Summary: fmt.Sprintf("%d units", p.N), Detail: map[string]int{"units": p.N}}, nil
}

type env struct {
	store *storage.Store
	path  string
	org   int64
	ws    string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lore.db")
	store, err := storage.Open(ctx, path, os.DirFS(migrationsDir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	org, err := store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateWorkspace(ctx, org.ID, "T0ACME", "Acme"); err != nil {
		t.Fatal(err)
	}
	return &env{store: store, path: path, org: org.ID, ws: "T0ACME"}
}

// runner returns a started runner with the units kind (resumable as said),
// stopped when the test ends.
func (e *env) runner(t *testing.T, resumable bool) *Runner {
	t.Helper()
	r := New(e.store, slog.New(slog.DiscardHandler), fastOptions)
	r.Register(unitsKind, unitsHandler, resumable)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(context.Background()) })
	return r
}

func (e *env) queue(t *testing.T, r *Runner, p unitsParams) storage.Job {
	t.Helper()
	raw, _ := json.Marshal(p)
	nj := storage.NewJob{OrgID: e.org, WorkspaceID: e.ws, Kind: unitsKind, Params: raw}
	var j storage.Job
	var err error
	if r != nil {
		j, err = r.Enqueue(context.Background(), nj)
	} else {
		j, err = e.store.CreateJob(context.Background(), nj)
	}
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// waitFor polls the job's row until ok says so, or fails after 30 s.
func (e *env) waitFor(t *testing.T, id int64, what string, ok func(storage.Job) bool) storage.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := e.store.Job(context.Background(), e.org, id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d: no %s within 30 s; row: %+v", id, what, j)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) waitEnd(t *testing.T, id int64) storage.Job {
	t.Helper()
	return e.waitFor(t, id, "end", storage.Job.Finished)
}

func TestJobRunsToSuccessWithProgressAndDetail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runner(t, true)
	j := e.queue(t, r, unitsParams{N: 5})
	if j.Status != storage.JobQueued || j.WorkspaceID != e.ws {
		t.Fatalf("queued row: %+v", j)
	}
	j = e.waitEnd(t, j.ID)
	if j.Status != storage.JobSucceeded || j.Summary != "5 units" || string(j.Result) != `{"units":5}` || j.Error != "" {
		t.Fatalf("end: %+v", j)
	}
	want := storage.JobProgress{Percent: 100, ChannelsDone: 5, ChannelsTotal: 5, Messages: 50, Current: "unit 5"}
	if j.Progress != want {
		t.Errorf("progress %+v, want %+v", j.Progress, want)
	}
	if string(j.Checkpoint) != "5" || j.Attempts != 1 || j.Owner != "" || j.StartedAt.IsZero() || j.FinishedAt.Before(j.StartedAt) {
		t.Errorf("row after the end: checkpoint %q attempts %d owner %q started %v finished %v",
			j.Checkpoint, j.Attempts, j.Owner, j.StartedAt, j.FinishedAt)
	}
}

func TestLiveProgressIsOnTheRowWhileRunning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runner(t, true)
	j := e.queue(t, r, unitsParams{N: 3, Block: true})
	j = e.waitFor(t, j.ID, "progress", func(j storage.Job) bool { return j.Progress.ChannelsDone == 3 })
	if j.Status != storage.JobRunning || j.Owner != r.Owner() || j.Progress.Messages != 30 || j.Progress.Current != "unit 3" ||
		time.Since(j.HeartbeatAt) > 5*time.Second {
		t.Fatalf("running row: %+v", j)
	}
	beat := j.HeartbeatAt
	e.waitFor(t, j.ID, "a newer heartbeat", func(j storage.Job) bool { return j.HeartbeatAt.After(beat) })
}

func TestPartialFailedAndPanickingJobsDoNotBlockTheNext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runner(t, true)
	partial := e.queue(t, r, unitsParams{N: 1, Partial: true})
	failed := e.queue(t, r, unitsParams{N: 1, Fail: "the export is broken"})
	panicked := e.queue(t, r, unitsParams{N: 1, Panic: true})
	next := e.queue(t, r, unitsParams{N: 2})

	if j := e.waitEnd(t, partial.ID); j.Status != storage.JobPartial || j.Summary != "1 units" || string(j.Result) != `{"units":1}` {
		t.Errorf("partial: %+v", j)
	}
	if j := e.waitEnd(t, failed.ID); j.Status != storage.JobFailed || j.Error != "the export is broken" {
		t.Errorf("failed: %+v", j)
	}
	if j := e.waitEnd(t, panicked.ID); j.Status != storage.JobFailed || !strings.Contains(j.Error, "panicked: unit handler exploded") {
		t.Errorf("panicked: %+v", j)
	}
	if j := e.waitEnd(t, next.ID); j.Status != storage.JobSucceeded {
		t.Errorf("the job after them: %+v", j)
	}
}

func TestCancelThroughTheRow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := New(e.store, slog.New(slog.DiscardHandler), fastOptions)
	r.Register(unitsKind, unitsHandler, true)
	var mu sync.Mutex
	var discarded []string
	r.OnDiscard(unitsKind, func(params []byte) {
		mu.Lock()
		defer mu.Unlock()
		discarded = append(discarded, string(params))
	})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(context.Background()) })
	ctx := context.Background()

	// Running here: the runner stops it at once.
	running := e.queue(t, r, unitsParams{N: 1, Block: true})
	e.waitFor(t, running.ID, "running", func(j storage.Job) bool { return j.Status == storage.JobRunning })
	queued := e.queue(t, r, unitsParams{N: 1, Dir: "queued"}) // waits behind the running one
	if j, err := r.Cancel(ctx, e.org, queued.ID); err != nil || j.Status != storage.JobCancelled || j.FinishedAt.IsZero() {
		t.Fatalf("cancel a queued job: %+v, %v", j, err)
	}
	if j, err := r.Cancel(ctx, e.org, running.ID); err != nil || !j.CancelRequested {
		t.Fatalf("cancel a running job: %+v, %v", j, err)
	}
	if j := e.waitEnd(t, running.ID); j.Status != storage.JobCancelled || j.Error != "cancelled" {
		t.Fatalf("after cancel: %+v", j)
	}

	// Cancelled by another process, through the row alone: the heartbeat sees it.
	other := e.queue(t, r, unitsParams{N: 1, Block: true})
	e.waitFor(t, other.ID, "running", func(j storage.Job) bool { return j.Status == storage.JobRunning })
	if _, err := e.store.CancelJob(ctx, e.org, other.ID); err != nil {
		t.Fatal(err)
	}
	if j := e.waitEnd(t, other.ID); j.Status != storage.JobCancelled {
		t.Fatalf("after a cancel through the row: %+v", j)
	}

	// An ended job cannot be cancelled; another organization's is not there.
	if _, err := r.Cancel(ctx, e.org, running.ID); !errors.Is(err, storage.ErrJobFinished) {
		t.Errorf("cancel an ended job: %v, want ErrJobFinished", err)
	}
	if _, err := r.Cancel(ctx, e.org+1, other.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("cancel another organization's job: %v, want ErrNotFound", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(discarded) != 3 || !strings.Contains(discarded[0], `"dir":"queued"`) {
		t.Errorf("discarded %q, want the queued job's params first, then each other ended job's", discarded)
	}
}

// deadRunner leaves a job running as a crashed runner would: claimed by an
// owner that no longer runs, with a checkpoint and a stale heartbeat.
func (e *env) deadRunner(t *testing.T, id int64, checkpoint string) {
	t.Helper()
	ctx := context.Background()
	const owner = "gone:1:dead"
	if _, err := e.store.ClaimJobByID(ctx, owner, e.org, id); err != nil {
		t.Fatal(err)
	}
	if checkpoint != "" {
		if err := e.store.SaveJobCheckpoint(ctx, id, owner, []byte(checkpoint)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(30 * time.Millisecond) // the heartbeat ages
}

func TestRecoveryResumesResumableKindsFromTheirCheckpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	j := e.queue(t, nil, unitsParams{N: 6, Dir: dir})
	e.deadRunner(t, j.ID, "4")

	e.runner(t, true)
	j = e.waitEnd(t, j.ID)
	if j.Status != storage.JobSucceeded || j.Attempts != 2 || string(j.Checkpoint) != "6" {
		t.Fatalf("resumed job: %+v", j)
	}
	// It started after unit 4 and did 5 and 6 only.
	entries := dirNames(t, dir)
	if strings.Join(entries, " ") != "start-4 unit-5 unit-6" {
		t.Fatalf("the resumed run did %v, want start-4 unit-5 unit-6", entries)
	}
}

func TestRecoveryFailsOtherKindsAndGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	j := e.queue(t, nil, unitsParams{N: 1})
	e.deadRunner(t, j.ID, "")
	r := New(e.store, slog.New(slog.DiscardHandler), fastOptions)
	r.Register(unitsKind, unitsHandler, false)
	discarded := 0
	r.OnDiscard(unitsKind, func([]byte) { discarded++ })
	if err := r.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	j, _ = e.store.Job(ctx, e.org, j.ID)
	if j.Status != storage.JobFailed || j.Error != "interrupted: lore stopped while it ran" || j.FinishedAt.IsZero() || discarded != 1 {
		t.Fatalf("non-resumable job after recovery: %+v (discarded %d)", j, discarded)
	}

	// A resumable job that crashed its runner MaxAttempts times is not resumed again.
	j = e.queue(t, nil, unitsParams{N: 1})
	for range 3 {
		e.deadRunner(t, j.ID, "")
		if err := e.store.RequeueJob(ctx, j.ID, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	e.deadRunner(t, j.ID, "")
	r = New(e.store, slog.New(slog.DiscardHandler), Options{MaxAttempts: 4})
	r.Register(unitsKind, unitsHandler, true)
	if err := r.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	j, _ = e.store.Job(ctx, e.org, j.ID)
	if j.Status != storage.JobFailed || j.Error != "interrupted 4 times; not resumed again" {
		t.Fatalf("job interrupted 4 times: %+v", j)
	}
}

func TestShutdownPausesResumableJobsAndEndsOthers(t *testing.T) {
	t.Parallel()
	for _, resumable := range []bool{true, false} {
		t.Run(fmt.Sprint("resumable=", resumable), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			dir := t.TempDir()
			r := New(e.store, slog.New(slog.DiscardHandler), fastOptions)
			r.Register(unitsKind, unitsHandler, resumable)
			if err := r.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			j := e.queue(t, r, unitsParams{N: 200, Dir: dir, DelayMS: 2})
			e.waitFor(t, j.ID, "a few units", func(j storage.Job) bool { return j.Progress.ChannelsDone >= 3 })
			if err := r.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			j, _ = e.store.Job(context.Background(), e.org, j.ID)
			if !resumable {
				if j.Status != storage.JobFailed || j.Error != "interrupted: lore stopped while it ran" {
					t.Fatalf("non-resumable job after shutdown: %+v", j)
				}
				return
			}
			if j.Status != storage.JobQueued || j.Owner != "" || j.Progress.ChannelsDone < 3 || len(j.Checkpoint) == 0 {
				t.Fatalf("resumable job after shutdown: %+v", j)
			}
			// The next start resumes it, from its checkpoint.
			e.runner(t, true)
			j = e.waitFor(t, j.ID, "end", storage.Job.Finished)
			if j.Status != storage.JobSucceeded || j.Attempts != 2 {
				t.Fatalf("resumed job: %+v", j)
			}
			checkUnitsOnce(t, dir, 200, 0)
		})
	}
}

func TestJobsQueuedByAnotherProcessArePickedUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runner(t, true)
	// Straight into the table, as lore import does while a server runs:
	// nothing wakes the runner but its poll.
	j := e.queue(t, nil, unitsParams{N: 2})
	if j = e.waitEnd(t, j.ID); j.Status != storage.JobSucceeded {
		t.Fatalf("job queued by another process: %+v", j)
	}
	// A kind no handler knows ends failed instead of waiting for ever.
	unknown, err := e.store.CreateJob(context.Background(), storage.NewJob{OrgID: e.org, Kind: "teleport"})
	if err != nil {
		t.Fatal(err)
	}
	if j := e.waitEnd(t, unknown.ID); j.Status != storage.JobFailed || j.Error != `no handler for job kind "teleport" in this lore` {
		t.Fatalf("job of an unknown kind: %+v", j)
	}
}

func TestRunJobRunsOneJobHere(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := New(e.store, slog.New(slog.DiscardHandler), fastOptions)
	r.Register(unitsKind, unitsHandler, true)
	ctx := context.Background()
	first := e.queue(t, nil, unitsParams{N: 1})
	mine := e.queue(t, nil, unitsParams{N: 3})
	j, err := r.RunJob(ctx, e.org, mine.ID)
	if err != nil || j.Status != storage.JobSucceeded || j.Summary != "3 units" {
		t.Fatalf("RunJob: %+v, %v", j, err)
	}
	if j, _ := e.store.Job(ctx, e.org, first.ID); j.Status != storage.JobQueued {
		t.Errorf("RunJob ran another job too: %+v", j)
	}
	if _, err := r.RunJob(ctx, e.org+1, first.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("RunJob of another organization's job: %v, want ErrNotFound", err)
	}
	if _, err := r.RunJob(ctx, e.org, mine.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("RunJob of an ended job: %v, want ErrNotFound", err)
	}
}

// TestSIGKILLMidJobResumes runs a job in a separate process, kills that
// process with SIGKILL half-way, and shows that the next runner resumes
// the job from its checkpoint and ends with every unit done once (the one
// unit between the last checkpoint and the kill may be redone).
func TestSIGKILLMidJobResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	const n = 100
	j := e.queue(t, nil, unitsParams{N: n, Dir: dir, DelayMS: 5})

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+e.path)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	j = e.waitFor(t, j.ID, "a few units in the worker", func(j storage.Job) bool { return j.Progress.ChannelsDone >= 10 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("worker ended %v, want killed by SIGKILL", err)
	}
	j, _ = e.store.Job(context.Background(), e.org, j.ID)
	if j.Status != storage.JobRunning || j.Owner == "" {
		t.Fatalf("row after the kill: %+v", j)
	}
	killedAt, _ := strconv.Atoi(string(j.Checkpoint))

	e.runner(t, true)
	j = e.waitEnd(t, j.ID)
	if j.Status != storage.JobSucceeded || j.Attempts != 2 || string(j.Checkpoint) != strconv.Itoa(n) {
		t.Fatalf("resumed job: %+v", j)
	}
	checkUnitsOnce(t, dir, n, killedAt)
}

// checkUnitsOnce checks that units 1..n were each done, that the resumed
// run (if any) started at its checkpoint, and that at most the one unit
// after it was redone.
func checkUnitsOnce(t *testing.T, dir string, n, resumedFrom int) {
	t.Helper()
	var units, redos, starts []string
	for _, name := range dirNames(t, dir) {
		switch {
		case strings.HasPrefix(name, "unit-"):
			units = append(units, name)
		case strings.HasPrefix(name, "redo-"):
			redos = append(redos, name)
		case strings.HasPrefix(name, "start-"):
			starts = append(starts, name)
		}
	}
	if len(units) != n {
		t.Errorf("%d units done, want %d", len(units), n)
	}
	if len(redos) > 1 {
		t.Errorf("units redone: %v, want at most one", redos)
	}
	if len(starts) != 2 {
		t.Fatalf("runs started at %v, want two runs", starts)
	}
	if resumedFrom > 0 {
		found := false
		for _, s := range starts {
			found = found || s == fmt.Sprintf("start-%d", resumedFrom)
		}
		if !found {
			t.Errorf("runs started at %v, want one at the checkpoint %d", starts, resumedFrom)
		}
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}
