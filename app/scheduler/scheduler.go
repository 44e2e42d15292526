// Package scheduler runs Lore's scheduled work inside lore serve, with no cron
// daemon: one gocron scheduler per serve process, with the process's logger
// and an injectable clock. Per organization it queues a backfill of each
// workspace on the organization's backfill_schedule (while
// auto_backfill_enabled), a daily retention run and, when
// weekly_digest_enabled, the weekly digest; for the instance it takes a
// nightly backup, re-verifies every workspace's Slack credentials daily and
// brings the index's document frequencies up to date.
//
// The schedule follows the settings: a settings change, or an organization
// created, reschedules at once through Reschedule (the settings and accounts
// services call it through their observers), and a reconcile every minute
// catches what other processes changed (lore users add, an organization
// deleted). Each job has a stable name ("org-3-backfill", "backup"); when
// and how it last ran is stored (schedule_runs), so a start that finds a
// run missed while Lore was stopped runs it once at once.
//
// Backfills and retention runs are jobs of the job runner (kinds "backfill",
// whose handler the backfill package registers, and "retention", registered
// here); a scheduled run that meets a job of the same kind still queued or
// running for the same workspace is skipped, and the job list says so.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/robfig/cron/v3"

	"lore/app/backfill"
	"lore/app/jobs"
	"lore/app/settings"
	"lore/storage"
)

// Job kinds the scheduler queues through the job runner.
const (
	KindBackfill  = backfill.Kind
	KindRetention = "retention"
)

// The fixed schedules, 5-field cron in UTC. Retention and the backup run in
// the quiet hours after the default backfill (02:00); the digest is Monday
// morning's.
const (
	RetentionCron       = "0 3 * * *"
	BackupCron          = "30 3 * * *"
	CredentialCheckCron = "0 4 * * *"
	IndexStatisticsCron = "30 4 * * *"
	DigestCron          = "0 8 * * 1"
)

// Names of the instance-wide jobs; an organization's are made by orgJobName.
const (
	BackupJob          = "backup"
	CredentialCheckJob = "credential-check"
	IndexStatisticsJob = "index-statistics"
	reconcileJob       = "reconcile"
)

// What an organization's jobs do, the tail of their names.
const (
	JobBackfill  = "backfill"
	JobRetention = "retention"
	JobDigest    = "digest"
)

func orgJobName(orgID int64, what string) string { return fmt.Sprintf("org-%d-%s", orgID, what) }

// Tasks are the scheduled jobs' work that lives outside this package; a nil
// field leaves its job unscheduled.
type Tasks struct {
	// Backup writes the nightly backup and returns one line on it.
	Backup func(ctx context.Context, now time.Time) (string, error)
	// CheckCredentials re-verifies every workspace's Slack credentials.
	CheckCredentials func(ctx context.Context) (string, error)
	// Digest sends an organization's weekly digest for the week before now.
	Digest func(ctx context.Context, orgID int64, now time.Time) (string, error)
}

// Options tune a Scheduler; the zero value is the production setting.
type Options struct {
	// Clock is the scheduler's time (a clockwork fake in tests); default
	// the real clock.
	Clock clockwork.Clock
	// ReconcileEvery is how often the schedule is compared with the
	// database for changes made by other processes. Default 1 minute.
	ReconcileEvery time.Duration
	// StopTimeout bounds how long Stop waits for running jobs. Default 15 s.
	StopTimeout time.Duration
}

// Scheduler is the serve process's one scheduler. Build it with New, Start
// it, Stop it after the HTTP server and before the database closes.
type Scheduler struct {
	store  *storage.Store
	jobs   *jobs.Runner
	logger *slog.Logger
	clock  clockwork.Clock
	tasks  Tasks
	opts   Options

	mu      sync.Mutex
	gs      gocron.Scheduler // nil until started
	entries map[string]entry // by name, what gocron has now
	// run is the context of the jobs gocron runs, cancelled by Stop. The
	// jobs take it from here rather than as gocron's context parameter:
	// gocron rewrites that parameter as it stops, racing a job still
	// running.
	run    context.Context
	cancel context.CancelFunc
}

// entry is one scheduled job as gocron has it.
type entry struct {
	def
	id uuid.UUID
}

// def is a job the settings ask for.
type def struct {
	name  string
	orgID int64 // 0 for an instance-wide job
	what  string
	cron  string
	run   func(ctx context.Context, now time.Time) (outcome, detail string, err error)
}

// New returns a scheduler over store that queues through runner; it is not
// started. It registers the "retention" kind on runner, so it must be built
// before the runner starts.
func New(store *storage.Store, runner *jobs.Runner, logger *slog.Logger, tasks Tasks, opts Options) *Scheduler {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.ReconcileEvery <= 0 {
		opts.ReconcileEvery = time.Minute
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 15 * time.Second
	}
	s := &Scheduler{store: store, jobs: runner, logger: logger.With("component", "scheduler"),
		clock: opts.Clock, tasks: tasks, opts: opts, entries: map[string]entry{}}
	runner.Register(KindRetention, s.retentionHandler, true)
	return s
}

// Start builds the gocron scheduler, schedules every job the settings ask
// for (running at once, once, each whose last run was missed) and starts it.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gs != nil {
		return errors.New("scheduler: already started")
	}
	gs, err := gocron.NewScheduler(
		gocron.WithClock(s.clock),
		gocron.WithLocation(time.UTC),
		gocron.WithLogger(s.logger),
		gocron.WithStopTimeout(s.opts.StopTimeout),
		// a job never overlaps itself: a run still going when the next is
		// due makes that one wait for the following time
		gocron.WithGlobalJobOptions(
			gocron.WithSingletonMode(gocron.LimitModeReschedule),
			gocron.WithEventListeners(gocron.AfterJobRunsWithPanic(func(_ uuid.UUID, name string, recovered any) {
				s.logger.Error("scheduled job panicked", "job", name, "panic", fmt.Sprint(recovered))
			})),
		),
	)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	s.gs = gs
	s.run, s.cancel = context.WithCancel(context.Background())
	fail := func(err error) error {
		s.cancel()
		gs.Shutdown()
		s.gs, s.run, s.cancel = nil, nil, nil
		return err
	}
	if err := s.reconcileLocked(ctx, true); err != nil {
		return fail(err)
	}
	run := s.run
	if _, err := gs.NewJob(gocron.DurationJob(s.opts.ReconcileEvery),
		gocron.NewTask(func() {
			if err := s.Reschedule(run); err != nil && run.Err() == nil {
				s.logger.Warn("schedule not reconciled", slog.Any("error", err))
			}
		}), gocron.WithName(reconcileJob)); err != nil {
		return fail(fmt.Errorf("scheduler: %w", err))
	}
	gs.Start()
	s.logger.Info("scheduler started", "jobs", len(s.entries))
	return nil
}

// Stop stops the scheduler: no job starts any more, and running ones are
// cancelled and waited for (at most StopTimeout). Jobs the runner runs are
// the runner's to stop. It waits without holding the scheduler's lock: the
// reconcile job, if running, needs it to end.
func (s *Scheduler) Stop() error {
	s.mu.Lock()
	gs, cancel := s.gs, s.cancel
	s.gs, s.run, s.cancel = nil, nil, nil
	s.entries = map[string]entry{}
	s.mu.Unlock()
	if gs == nil {
		return nil
	}
	cancel()
	err := gs.Shutdown()
	if err != nil {
		return fmt.Errorf("scheduler: stop: %w", err)
	}
	return nil
}

// Reschedule brings the schedule in line with the database at once: the
// settings and accounts services call it when settings change or an
// organization is created. A scheduler not started ignores it.
func (s *Scheduler) Reschedule(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gs == nil {
		return nil
	}
	return s.reconcileLocked(ctx, false)
}

// OrgChanged is Reschedule shaped as the services' observers, logging what
// fails: a change that was saved must not fail for the schedule's sake.
func (s *Scheduler) OrgChanged(ctx context.Context, orgID int64) {
	if err := s.Reschedule(context.WithoutCancel(ctx)); err != nil {
		s.logger.Warn("schedule not updated after a change", "org_id", orgID, slog.Any("error", err))
	}
}

// reconcileLocked adds, moves and removes gocron jobs so that they are the
// ones desired says. At startup a job whose next run after its last run (or
// since it has had its schedule) is already past runs at once.
func (s *Scheduler) reconcileLocked(ctx context.Context, startup bool) error {
	want, err := s.desired(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	for name, e := range s.entries {
		if _, ok := want[name]; ok {
			continue
		}
		if err := s.gs.RemoveJob(e.id); err != nil && !errors.Is(err, gocron.ErrJobNotFound) {
			return fmt.Errorf("scheduler: remove %s: %w", name, err)
		}
		delete(s.entries, name)
		s.logger.Info("job unscheduled", "job", name)
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d := want[name]
		have, ok := s.entries[name]
		if ok && have.cron == d.cron {
			continue
		}
		// A job new to this process keeps the time of its row when it is
		// scheduled as before; a new or changed schedule starts now.
		if err := s.store.ScheduleSince(ctx, d.name, d.orgID, now, !startup || ok); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				continue // its organization went meanwhile
			}
			return err
		}
		opts := []gocron.JobOption{gocron.WithName(d.name), gocron.WithTags(d.what)}
		if startup && s.missed(ctx, d, now) {
			opts = append(opts, gocron.WithStartAt(gocron.WithStartImmediately()))
			s.logger.Info("a run was missed while lore was stopped; running it now", "job", d.name)
		}
		var j gocron.Job
		if ok {
			j, err = s.gs.Update(have.id, gocron.CronJob(d.cron, false), gocron.NewTask(s.task(s.run, d)), opts...)
		} else {
			j, err = s.gs.NewJob(gocron.CronJob(d.cron, false), gocron.NewTask(s.task(s.run, d)), opts...)
		}
		if err != nil {
			return fmt.Errorf("scheduler: schedule %s (%q): %w", d.name, d.cron, err)
		}
		s.entries[name] = entry{def: d, id: j.ID()}
		s.logger.Info("job scheduled", "job", d.name, "cron", d.cron)
	}
	return nil
}

// missed tells whether d's next run after its last one (or after it got its
// schedule, when it never ran) is already past.
func (s *Scheduler) missed(ctx context.Context, d def, now time.Time) bool {
	r, err := s.store.ScheduleRun(ctx, d.name)
	if err != nil {
		return false
	}
	base := r.Since
	if r.LastRunAt.After(base) {
		base = r.LastRunAt
	}
	next, err := nextRun(d.cron, base)
	return err == nil && !next.After(now)
}

// desired is every job the database asks for now, by name.
func (s *Scheduler) desired(ctx context.Context) (map[string]def, error) {
	out := map[string]def{}
	if s.tasks.Backup != nil {
		out[BackupJob] = def{name: BackupJob, what: BackupJob, cron: BackupCron, run: s.instanceTask(s.tasks.Backup)}
	}
	if s.tasks.CheckCredentials != nil {
		check := s.tasks.CheckCredentials
		out[CredentialCheckJob] = def{name: CredentialCheckJob, what: CredentialCheckJob, cron: CredentialCheckCron,
			run: s.instanceTask(func(ctx context.Context, _ time.Time) (string, error) { return check(ctx) })}
	}
	out[IndexStatisticsJob] = def{name: IndexStatisticsJob, what: IndexStatisticsJob, cron: IndexStatisticsCron,
		run: s.instanceTask(s.indexStatistics)}
	orgs, err := s.store.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		set, err := settings.New(s.store).Get(ctx, o.ID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		orgID := o.ID
		if set.Bool("auto_backfill_enabled") {
			d := def{name: orgJobName(orgID, JobBackfill), orgID: orgID, what: JobBackfill, cron: set.String("backfill_schedule"),
				run: func(ctx context.Context, _ time.Time) (string, string, error) { return s.queueBackfills(ctx, orgID) }}
			out[d.name] = d
		}
		d := def{name: orgJobName(orgID, JobRetention), orgID: orgID, what: JobRetention, cron: RetentionCron,
			run: func(ctx context.Context, _ time.Time) (string, string, error) { return s.queueRetention(ctx, orgID) }}
		out[d.name] = d
		if set.Bool("weekly_digest_enabled") && s.tasks.Digest != nil {
			digest := s.tasks.Digest
			d := def{name: orgJobName(orgID, JobDigest), orgID: orgID, what: JobDigest, cron: DigestCron,
				run: func(ctx context.Context, now time.Time) (string, string, error) {
					detail, err := digest(ctx, orgID, now)
					return storage.RunSucceeded, detail, err
				}}
			out[d.name] = d
		}
	}
	return out, nil
}

func (s *Scheduler) instanceTask(fn func(ctx context.Context, now time.Time) (string, error)) func(context.Context, time.Time) (string, string, error) {
	return func(ctx context.Context, now time.Time) (string, string, error) {
		detail, err := fn(ctx, now)
		return storage.RunSucceeded, detail, err
	}
}

// task is what gocron runs for d: d's work, then its outcome stored and
// logged. An error is the outcome, not gocron's business beyond its log.
func (s *Scheduler) task(ctx context.Context, d def) func() error {
	return func() error {
		at := s.clock.Now().UTC()
		outcome, detail, err := d.run(ctx, at)
		if err != nil {
			outcome, detail = storage.RunFailed, err.Error()
		}
		if rerr := s.store.RecordScheduleRun(context.WithoutCancel(ctx), d.name, d.orgID, at, outcome, detail); rerr != nil &&
			!errors.Is(rerr, storage.ErrNotFound) {
			s.logger.Warn("scheduled run not recorded", "job", d.name, slog.Any("error", rerr))
		}
		if err != nil {
			s.logger.Warn("scheduled job failed", "job", d.name, slog.Any("error", err))
			return err
		}
		s.logger.Info("scheduled job ran", "job", d.name, "outcome", outcome, "detail", detail)
		return nil
	}
}

// nextRun is the first time after t that expr names, in UTC: the parser
// gocron and the settings service use for 5-field crontabs.
func nextRun(expr string, t time.Time) (time.Time, error) {
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return time.Time{}, fmt.Errorf("scheduler: cron %q: %w", expr, err)
	}
	return sched.Next(t.UTC()), nil
}
