// Package jobs is Lore's job runner: one per data directory, in the process
// that holds the data directory's lock (the server, or a command that runs a
// job itself because no server does). Jobs are rows of the jobs table, so
// any process may queue one; the runner takes them a kind at a time, oldest
// first, runs each kind's handler, keeps the row's heartbeat and progress
// current, stops a job whose row asks for a cancel, and at startup recovers
// what a crash left running: a resumable kind resumes from its checkpoint,
// any other ends failed ("interrupted").
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"lore/storage"
)

// Progress is a job's live progress, stored on its row (the runner
// throttles writes).
type Progress struct {
	Percent       int // 0-100
	ChannelsDone  int
	ChannelsTotal int
	Messages      int64  // messages stored so far (new + updated)
	APICalls      int64  // backfill: Web API calls made
	RateLimited   int64  // backfill: 429s met
	Current       string // what it works on now, e.g. "#deploys 2026-03-02"
}

// Run is one execution of a job, handed to its handler.
type Run interface {
	JobID() int64
	// Checkpoint is the last checkpoint saved with SaveCheckpoint: nil on a
	// fresh run, what the interrupted run saved on a resumed one.
	Checkpoint() []byte
	// SaveCheckpoint durably records how far the job got. It is written
	// even when ctx is already cancelled: work done before a cancel or a
	// shutdown must not be redone needlessly.
	SaveCheckpoint(ctx context.Context, data []byte) error
	// Report records live progress.
	Report(p Progress)
}

// Outcome is how a job that returned no error ended.
type Outcome struct {
	Partial bool   // some units (channel-days, channels) failed; Detail says which and why
	Detail  any    // JSON-marshalled into the job row's result detail
	Summary string // one line for people, e.g. "6 channels, 600 messages new, 0 updated, 0 skipped"
	// WorkspaceID names the workspace a job queued without one turned out
	// to be about (an import that created it), so that the workspace's job
	// list shows it.
	WorkspaceID string
}

// Handler runs one job kind. params is what the job was queued with (JSON).
// ctx is cancelled when the job is cancelled through its row (cause
// ErrCancelled) or the runner stops (cause ErrStopping).
type Handler func(ctx context.Context, params []byte, run Run) (Outcome, error)

// ErrCancelled is the cause of a handler's context when its job was
// cancelled through its row.
var ErrCancelled = errors.New("jobs: cancelled")

// ErrStopping is the cause of a handler's context when the runner stops
// (the server shuts down): a resumable job is resumed at the next start.
var ErrStopping = errors.New("jobs: the runner is stopping")

// errLost is the cause when the row no longer names this runner as its
// owner: another took the job over, and this run must not write its end.
var errLost = errors.New("jobs: the job is no longer run by this runner")

// Options tune a Runner; the zero value is the production setting.
type Options struct {
	// PollInterval is how often the queue is read for jobs queued by other
	// processes (jobs queued through the runner start at once). Default 1 s.
	PollInterval time.Duration
	// HeartbeatInterval is how often a running job's row gets its
	// heartbeat and latest progress, and is read for a cancel. Default 1 s.
	HeartbeatInterval time.Duration
	// MaxAttempts is how many times a job is started before an
	// interruption ends it failed rather than resumed. Default 5.
	MaxAttempts int
}

// Runner runs queued jobs. Build it with New, register every kind, then
// Start it; Stop ends it.
type Runner struct {
	store  *storage.Store
	logger *slog.Logger
	opts   Options
	owner  string

	mu      sync.Mutex
	kinds   map[string]kind
	running map[int64]context.CancelCauseFunc // by job id, the jobs this runner runs now
	wake    map[string]chan struct{}          // by kind, while started
	stop    context.CancelCauseFunc           // nil until started
	done    sync.WaitGroup
}

type kind struct {
	handler   Handler
	resumable bool
	discard   func(params []byte)
	onEnd     func(ctx context.Context, j storage.Job)
}

// New returns a runner over store that has no kinds yet and is not started.
func New(store *storage.Store, logger *slog.Logger, opts Options) *Runner {
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	return &Runner{store: store, logger: logger, opts: opts, owner: newOwner(),
		kinds: map[string]kind{}, running: map[int64]context.CancelCauseFunc{}}
}

// newOwner names this runner in the rows it runs: host, process and a
// random part, so that two runners of one process are told apart too.
func newOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Owner is how this runner names itself in the rows it runs.
func (r *Runner) Owner() string { return r.owner }

// Register sets the handler of a job kind, and whether a run a crash or a
// shutdown interrupted resumes from its checkpoint (otherwise it ends
// failed, "interrupted"). A second Register of the same kind replaces the
// first. It panics once the runner is started: kinds are wiring.
func (r *Runner) Register(name string, h Handler, resumable bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		panic("jobs: Register after Start")
	}
	k := r.kinds[name]
	k.handler, k.resumable = h, resumable
	r.kinds[name] = k
}

// OnDiscard sets what releases a job's resources once a job of the kind
// has ended, however it ended (an uploaded file, say). It is called after
// the end is stored, also for a queued job cancelled before it ran; it is
// not called for a job that will resume.
func (r *Runner) OnDiscard(name string, fn func(params []byte)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		panic("jobs: OnDiscard after Start")
	}
	k := r.kinds[name]
	k.discard = fn
	r.kinds[name] = k
}

// OnEnd sets what is told of each job of the kind that ends after it ran
// (succeeded, partial, failed or cancelled), with the job as stored: the
// failed-backfill mail. It is not told of a job that will resume, and
// nothing it does changes how the job ended.
func (r *Runner) OnEnd(name string, fn func(ctx context.Context, j storage.Job)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		panic("jobs: OnEnd after Start")
	}
	k := r.kinds[name]
	k.onEnd = fn
	r.kinds[name] = k
}

func (r *Runner) kind(name string) (kind, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.kinds[name]
	return k, ok && k.handler != nil
}

// Enqueue queues a job and, when the runner is started, wakes it.
func (r *Runner) Enqueue(ctx context.Context, nj storage.NewJob) (storage.Job, error) {
	j, err := r.store.CreateJob(ctx, nj)
	if err != nil {
		return storage.Job{}, err
	}
	r.notify(j.Kind)
	return j, nil
}

// EnqueueUnlessActive queues a job unless one of the same kind for the same
// workspace (or organization, without one) is queued or running, which it
// then returns as active (see storage.QueueUnlessActive; recordSkip records
// the skipped job as a row that ended at once). It wakes the runner.
func (r *Runner) EnqueueUnlessActive(ctx context.Context, nj storage.NewJob, recordSkip bool) (queued, active storage.Job, err error) {
	queued, active, err = r.store.QueueUnlessActive(ctx, nj, recordSkip)
	if err == nil && active.ID == 0 {
		r.notify(nj.Kind)
	}
	return queued, active, err
}

// Job returns a job of the organization, or storage.ErrNotFound (also for
// another organization's).
func (r *Runner) Job(ctx context.Context, orgID, id int64) (storage.Job, error) {
	return r.store.Job(ctx, orgID, id)
}

// JobOrg returns the organization a job belongs to, for access checks.
func (r *Runner) JobOrg(ctx context.Context, id int64) (int64, error) {
	return r.store.JobOrg(ctx, id)
}

// ListJobs lists jobs as the filter says, newest first.
func (r *Runner) ListJobs(ctx context.Context, f storage.JobFilter) ([]storage.Job, error) {
	return r.store.ListJobs(ctx, f)
}

func (r *Runner) notify(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.wake[name]; ok {
		select {
		case ch <- struct{}{}:
		default: // already woken
		}
	}
}

// Cancel cancels a job of the organization through its row: a queued job
// ends cancelled at once, a running one stops at once when this runner runs
// it, and within a heartbeat when another process's runner does. It
// returns the row after the change; a job that has ended is
// storage.ErrJobFinished, one of another organization storage.ErrNotFound.
func (r *Runner) Cancel(ctx context.Context, orgID, id int64) (storage.Job, error) {
	j, err := r.store.CancelJob(ctx, orgID, id)
	if err != nil {
		return storage.Job{}, err
	}
	if j.Status == storage.JobCancelled {
		r.discard(j)
		return j, nil
	}
	r.mu.Lock()
	cancel := r.running[id]
	r.mu.Unlock()
	if cancel != nil {
		cancel(ErrCancelled)
	}
	return j, nil
}

// Start recovers the jobs a stopped runner left running, then runs queued
// jobs until Stop: one at a time per kind, each kind beside the others.
// Only the process holding the data directory's lock may start a runner:
// recovery takes every running row for orphaned.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.Recover(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		return errors.New("jobs: runner already started")
	}
	base, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	r.stop = stop
	r.wake = map[string]chan struct{}{}
	names := make([]string, 0, len(r.kinds))
	for name, k := range r.kinds {
		if k.handler != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		ch := make(chan struct{}, 1)
		ch <- struct{}{} // look at the queue once at start
		r.wake[name] = ch
		r.done.Add(1)
		go r.work(base, name, ch)
	}
	r.done.Add(1)
	go r.poll(base)
	r.logger.Info("job runner started", "owner", r.owner, "kinds", names)
	return nil
}

// Stop stops the runner: running handlers see their context cancelled
// (ErrStopping) and Stop waits for them until ctx ends. A resumable job is
// put back in the queue to resume at the next start, any other ends failed.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	stop := r.stop
	r.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop(ErrStopping)
	done := make(chan struct{})
	go func() { r.done.Wait(); close(done) }()
	select {
	case <-done:
		r.logger.Info("job runner stopped")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: handlers still running at shutdown: their jobs resume or fail at the next start: %w", ctx.Err())
	}
}

// Recover ends or requeues every running job: with the data directory's
// lock held, no other runner can be running them. A resumable kind goes
// back to the queue with its checkpoint, unless it was started
// MaxAttempts times already; any other ends failed ("interrupted").
func (r *Runner) Recover(ctx context.Context) error {
	// No job of this runner runs yet: a bulk load a crash stopped may have
	// left the index unmerging; the load, resumed, switches it off again.
	if err := r.store.ResetIndexMerging(ctx); err != nil {
		return err
	}
	orphans, err := r.store.ListRunningJobs(ctx)
	if err != nil {
		return err
	}
	for _, j := range orphans {
		if j.Owner == r.owner {
			continue
		}
		k, known := r.kind(j.Kind)
		switch {
		case known && k.resumable && j.Attempts < r.opts.MaxAttempts:
			if err := r.store.RequeueJob(ctx, j.ID, "", nil); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			r.logger.Warn("resuming a job a stopped lore left running", "job_id", j.ID, "kind", j.Kind,
				"attempts", j.Attempts, "last_heartbeat", j.HeartbeatAt, "previous_owner", j.Owner)
		default:
			reason := "interrupted: lore stopped while it ran"
			if known && k.resumable {
				reason = fmt.Sprintf("interrupted %d times; not resumed again", j.Attempts)
			}
			if err := r.store.FailJob(ctx, j.ID, reason); err != nil && !errors.Is(err, storage.ErrJobFinished) {
				return err
			}
			r.logger.Warn("a job a stopped lore left running ends failed", "job_id", j.ID, "kind", j.Kind,
				"reason", reason, "last_heartbeat", j.HeartbeatAt, "previous_owner", j.Owner)
			if known {
				r.discard(j)
			}
		}
	}
	return nil
}

// poll wakes the workers of the kinds that have queued jobs, for the jobs
// other processes queue.
func (r *Runner) poll(ctx context.Context) {
	defer r.done.Done()
	t := time.NewTicker(r.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		kinds, err := r.store.QueuedKinds(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.logger.Warn("job runner could not read the queue", slog.Any("error", err))
			}
			continue
		}
		for _, k := range kinds {
			if _, ok := r.kind(k); ok {
				r.notify(k)
				continue
			}
			failed, err := r.store.FailQueuedJobs(ctx, k, fmt.Sprintf("no handler for job kind %q in this lore", k))
			if err != nil {
				r.logger.Warn("job runner could not end jobs of an unknown kind", "kind", k, slog.Any("error", err))
			}
			for _, j := range failed {
				r.logger.Warn("job of a kind this lore does not run ends failed", "job_id", j.ID, "kind", k)
			}
		}
	}
}

// work runs the queued jobs of one kind, one after the other.
func (r *Runner) work(ctx context.Context, name string, wake <-chan struct{}) {
	defer r.done.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
		for ctx.Err() == nil {
			j, err := r.store.ClaimJob(ctx, r.owner, []string{name})
			if errors.Is(err, storage.ErrNotFound) {
				break
			}
			if err != nil {
				if ctx.Err() == nil {
					r.logger.Warn("job runner could not take a job", "kind", name, slog.Any("error", err))
				}
				break
			}
			r.execute(ctx, j)
		}
	}
}

// RunJob runs one queued job here and now, whether or not the runner is
// started, and returns its row once it has ended (or been requeued, when
// ctx ended first and its kind resumes). It is for a command that holds
// the lock and runs its own job; cancelling ctx stops the job as a
// shutdown does, Cancel cancels it.
func (r *Runner) RunJob(ctx context.Context, orgID, id int64) (storage.Job, error) {
	j, err := r.store.ClaimJobByID(ctx, r.owner, orgID, id)
	if err != nil {
		return storage.Job{}, err
	}
	r.execute(ctx, j)
	return r.store.Job(context.WithoutCancel(ctx), orgID, id)
}

// execute runs one claimed job to its end and stores that end.
func (r *Runner) execute(parent context.Context, j storage.Job) {
	logger := r.logger.With("job_id", j.ID, "kind", j.Kind)
	k, ok := r.kind(j.Kind)
	if !ok {
		r.end(logger, j, kind{}, storage.JobEnd{Status: storage.JobFailed, Progress: j.Progress,
			Error: fmt.Sprintf("no handler for job kind %q in this lore", j.Kind)})
		return
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	r.mu.Lock()
	r.running[j.ID] = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, j.ID)
		r.mu.Unlock()
	}()

	run := &run{r: r, job: j, checkpoint: j.Checkpoint, progress: fromStorage(j.Progress)}
	stopBeat := make(chan struct{})
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		r.heartbeat(ctx, cancel, run, stopBeat, logger)
	}()
	if j.Attempts > 1 {
		logger.Info("job resumed", "attempt", j.Attempts)
	} else {
		logger.Info("job started")
	}
	out, err := call(ctx, k.handler, j.Params, run)
	close(stopBeat)
	<-beatDone
	cause := context.Cause(ctx)
	end := storage.JobEnd{Progress: run.latest()}

	switch {
	case errors.Is(cause, errLost):
		logger.Warn("job taken over by another runner; its end is not stored here")
		return
	case err == nil:
		end.Status = storage.JobSucceeded
		if out.Partial {
			end.Status = storage.JobPartial
		}
		end.Summary, end.WorkspaceID = out.Summary, out.WorkspaceID
		if out.Detail != nil {
			detail, merr := json.Marshal(out.Detail)
			if merr != nil {
				end.Status, end.Error = storage.JobFailed, fmt.Sprintf("its result could not be stored: %v", merr)
			} else {
				end.Result = detail
			}
		}
		if end.Status != storage.JobFailed {
			end.Progress.Percent = 100
		}
	case errors.Is(cause, ErrCancelled):
		end.Status, end.Error = storage.JobCancelled, "cancelled"
	case parent.Err() != nil && k.resumable:
		if rerr := r.store.RequeueJob(context.WithoutCancel(parent), j.ID, r.owner, &end.Progress); rerr != nil {
			logger.Error("job could not be put back in the queue; it resumes at the next start", slog.Any("error", rerr))
			return
		}
		logger.Info("job paused by shutdown; it resumes at the next start")
		return
	case parent.Err() != nil:
		end.Status, end.Error = storage.JobFailed, "interrupted: lore stopped while it ran"
	default:
		end.Status, end.Error = storage.JobFailed, err.Error()
	}
	r.end(logger, j, k, end)
}

// end stores a job's end and, when it has one, runs its kind's discard.
func (r *Runner) end(logger *slog.Logger, j storage.Job, k kind, end storage.JobEnd) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.store.FinishJob(ctx, j.ID, r.owner, end); err != nil {
		logger.Error("job end could not be stored; it is recovered at the next start", "status", end.Status, slog.Any("error", err))
		return
	}
	attrs := []any{"status", end.Status, "summary", end.Summary}
	if end.Error != "" {
		attrs = append(attrs, "error", end.Error)
	}
	// Info even when it failed: the row holds the outcome for whoever
	// follows the job, and a command running its own job says it itself.
	logger.Info("job ended", attrs...)
	if k.discard != nil {
		k.discard(j.Params)
	}
	if k.onEnd != nil {
		if ended, err := r.store.Job(ctx, j.OrgID, j.ID); err == nil {
			k.onEnd(ctx, ended)
		} else {
			logger.Warn("ended job could not be read back for its kind's observer", slog.Any("error", err))
		}
	}
}

func (r *Runner) discard(j storage.Job) {
	if k, ok := r.kind(j.Kind); ok && k.discard != nil {
		k.discard(j.Params)
	}
}

// heartbeat keeps the row's heartbeat and progress current until stop is
// closed, and cancels the run when the row asks for it or is no longer
// this runner's.
func (r *Runner) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, run *run, stop <-chan struct{}, logger *slog.Logger) {
	t := time.NewTicker(r.opts.HeartbeatInterval)
	defer t.Stop()
	// The beats outlive a cancel: the handler may take a while to stop,
	// and its row must not look abandoned meanwhile.
	beatCtx := context.WithoutCancel(ctx)
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		p, changed := run.take()
		var sp *storage.JobProgress
		if changed {
			sp = &p
		}
		cancelRequested, err := r.store.HeartbeatJob(beatCtx, run.job.ID, r.owner, sp)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			cancel(errLost)
		case err != nil:
			logger.Warn("job heartbeat not stored", slog.Any("error", err))
			if changed {
				run.Report(fromStorage(p)) // try again at the next beat
			}
		case cancelRequested:
			cancel(ErrCancelled)
		}
	}
}

// call runs a handler, turning a panic into an error so that one bad job
// never stops the runner.
func call(ctx context.Context, h Handler, params []byte, run Run) (out Outcome, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("jobs: the handler panicked: %v\n%s", v, debug.Stack())
		}
	}()
	return h(ctx, params, run)
}

// run is the Run of one execution.
type run struct {
	r   *Runner
	job storage.Job

	mu         sync.Mutex
	checkpoint []byte
	progress   Progress
	changed    bool
}

func (x *run) JobID() int64 { return x.job.ID }

func (x *run) Checkpoint() []byte {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.checkpoint
}

func (x *run) SaveCheckpoint(ctx context.Context, data []byte) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := x.r.store.SaveJobCheckpoint(ctx, x.job.ID, x.r.owner, data); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	x.mu.Lock()
	x.checkpoint = data
	x.mu.Unlock()
	return nil
}

func (x *run) Report(p Progress) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.progress, x.changed = p, true
}

// take returns the latest progress and whether it changed since the last take.
func (x *run) take() (storage.JobProgress, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	changed := x.changed
	x.changed = false
	return toStorage(x.progress), changed
}

func (x *run) latest() storage.JobProgress {
	x.mu.Lock()
	defer x.mu.Unlock()
	return toStorage(x.progress)
}

func toStorage(p Progress) storage.JobProgress {
	return storage.JobProgress{Percent: p.Percent, ChannelsDone: p.ChannelsDone, ChannelsTotal: p.ChannelsTotal,
		Messages: p.Messages, APICalls: p.APICalls, RateLimited: p.RateLimited, Current: p.Current}
}

func fromStorage(p storage.JobProgress) Progress {
	return Progress{Percent: p.Percent, ChannelsDone: p.ChannelsDone, ChannelsTotal: p.ChannelsTotal,
		Messages: p.Messages, APICalls: p.APICalls, RateLimited: p.RateLimited, Current: p.Current}
}

// Detached is a Run of no job row: for work run in place of a queued job (a
// benchmark's import, a test's), whose checkpoints and progress go nowhere.
func Detached() Run { return detached{} }

type detached struct{}

func (detached) JobID() int64                                 { return 0 }
func (detached) Checkpoint() []byte                           { return nil }
func (detached) SaveCheckpoint(context.Context, []byte) error { return nil }
func (detached) Report(Progress)                              {}
