package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"lore/app"
	"lore/app/jobs/importjob"
	"lore/app/lockfile"
	"lore/app/sync"
	"lore/storage"
)

// followInterval is how often the command reads its job's row.
const followInterval = 200 * time.Millisecond

// stopWait is how long the command waits, after Ctrl-C, for the job to end
// cancelled before it leaves the cancel to the runner.
const stopWait = 30 * time.Second

// maxFailuresShown bounds the failed units printed; the job's row has all.
const maxFailuresShown = 20

func importCommand(ctx context.Context, env Env, args []string) error {
	flags := newFlagSet("import", " slack-export FILE.zip",
		"slack-export: imports a Slack export ZIP (the admin's Export data) into a connected workspace\n"+
			"  (--workspace ID), or into a new workspace of an organization (--org ID) whose team id and name\n"+
			"  come from the export. When a server runs on the data directory, its job runner does the work and\n"+
			"  this command follows it; otherwise this command runs the import itself. Ctrl-C cancels it.\n"+
			"  Importing the same export again changes nothing.")
	var c commonFlags
	c.register(flags, env, "warn")
	workspace := flags.String("workspace", "", "the connected workspace to import into (its Slack team id, e.g. T0123ABCD)")
	org := flags.Int64("org", 0, "the organization whose new workspace the export becomes")
	positional, err := parse(flags, env, args)
	if err != nil {
		return err
	}
	if len(positional) == 0 {
		return usagef("import needs a command: slack-export")
	}
	if positional[0] != "slack-export" {
		return usagef("unknown import command %q; want slack-export", positional[0])
	}
	switch len(positional) {
	case 1:
		return usagef("import slack-export needs the export's file: lore import slack-export FILE.zip --workspace ID")
	case 2:
	default:
		return usagef("import slack-export takes one file, got %q too", positional[2])
	}
	if *workspace == "" && *org <= 0 {
		return usagef("import slack-export needs --workspace ID (a connected workspace) or --org ID (a new workspace from the export)")
	}
	path, err := exportPath(positional[1])
	if err != nil {
		return err
	}
	cfg, logger, err := c.setup(env)
	if err != nil {
		return err
	}
	// The data directory's lock is taken, or not, by runImport: a server
	// holding it runs the job instead.
	a, closeApp, err := open(ctx, env, cfg, logger, "import slack-export")
	if err != nil {
		return err
	}
	defer closeApp()
	if env.Importer != nil {
		importjob.Register(a.Jobs, env.Importer)
	}
	p := importjob.Params{Path: path, WorkspaceID: *workspace, OrgID: *org}
	if err := resolveTarget(ctx, a, &p); err != nil {
		return err
	}
	// A file that is no usable export is named now, not by a failed job.
	if err := a.Sync.CheckExport(path, sync.ImportTarget{WorkspaceID: p.WorkspaceID, OrgID: p.OrgID}); err != nil {
		var xe *sync.ExportError
		if errors.As(err, &xe) {
			return usagef("export %s: %s", positional[1], xe.Reason())
		}
		return err
	}
	return runImport(ctx, env, a, p)
}

// exportPath makes path absolute (the server that may run the job has its
// own working directory) and checks it is a file, so that a wrong path is
// named at once rather than by a failed job.
func exportPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("export %s: %w", path, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("export %s: %w", path, unwrapPath(err))
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("export %s is not a file; give the .zip Slack's Export data gives", path)
	}
	return abs, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// resolveTarget finds the organization of --workspace, or checks --org.
func resolveTarget(ctx context.Context, a *app.App, p *importjob.Params) error {
	if p.WorkspaceID != "" {
		orgID, err := a.Store.WorkspaceOrg(ctx, p.WorkspaceID)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("workspace %s is not connected; connect it first, or import into a new workspace with --org ID", p.WorkspaceID)
		}
		if err != nil {
			return err
		}
		if p.OrgID != 0 && p.OrgID != orgID {
			return fmt.Errorf("workspace %s belongs to organization %d, not %d", p.WorkspaceID, orgID, p.OrgID)
		}
		p.OrgID = orgID
		return nil
	}
	if _, err := a.Store.Organization(ctx, p.OrgID); errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("no organization %d (lore users list shows them)", p.OrgID)
	} else if err != nil {
		return err
	}
	return nil
}

// runImport queues the import and follows it: run by the server's runner
// when a server holds the data directory's lock, else run here.
func runImport(ctx context.Context, env Env, a *app.App, p importjob.Params) error {
	lock, err := lockfile.Acquire(filepath.Join(a.Config.DataDir, "lore.lock"))
	var held *lockfile.HeldError
	if err != nil && !errors.As(err, &held) {
		return err
	}
	if held != nil {
		job, err := a.Jobs.Enqueue(ctx, storage.NewJob{OrgID: p.OrgID, WorkspaceID: p.WorkspaceID, Kind: importjob.Kind, Params: p.Encode()})
		if err != nil {
			return err
		}
		who := "the server"
		if held.PID != 0 {
			who = fmt.Sprintf("the server (pid %d)", held.PID)
		}
		fmt.Fprintf(env.Stdout, "import job %d queued for %s running on %s; following it (Ctrl-C cancels it)\n", job.ID, who, a.Config.DataDir)
		job, err = follow(ctx, env, a, job, nil)
		if err != nil {
			return err
		}
		return report(env, job)
	}
	defer lock.Release()
	// This process holds the lock: it is the one runner, so it also settles
	// what a crashed one left running. An import of this same export that a
	// crash (or a killed lore import) left behind is back in the queue: it is
	// resumed here from its checkpoint, not queued a second time.
	if err := a.Jobs.Recover(ctx); err != nil {
		return err
	}
	job, err := importjob.QueuedLike(ctx, a.Store, p)
	switch {
	case err == nil && job.Attempts > 0:
		fmt.Fprintf(env.Stdout, "import job %d, interrupted at %d%%, resumed here (no server runs on %s); Ctrl-C cancels it\n",
			job.ID, job.Progress.Percent, a.Config.DataDir)
	case err == nil:
		fmt.Fprintf(env.Stdout, "import job %d, queued earlier, running here (no server runs on %s); Ctrl-C cancels it\n", job.ID, a.Config.DataDir)
	case errors.Is(err, storage.ErrNotFound):
		if job, err = a.Jobs.Enqueue(ctx, storage.NewJob{OrgID: p.OrgID, WorkspaceID: p.WorkspaceID, Kind: importjob.Kind, Params: p.Encode()}); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "import job %d running here (no server runs on %s); Ctrl-C cancels it\n", job.ID, a.Config.DataDir)
	default:
		return err
	}
	ran := make(chan error, 1) // the run here
	go func() {
		_, err := a.Jobs.RunJob(context.WithoutCancel(ctx), p.OrgID, job.ID)
		ran <- err
	}()
	job, err = follow(ctx, env, a, job, ran)
	if job.Finished() {
		// The row has ended; the run here returns at once after storing it.
		if rerr := <-ran; err == nil && rerr != nil {
			err = rerr
		}
	}
	if err != nil {
		return err
	}
	return report(env, job)
}

// follow shows the job's progress from its row until it ends. The first
// Ctrl-C (ctx done) cancels it through its row. ran, when not nil, gets
// the end of the run in this process; a run that failed to start ends the
// following too.
func follow(ctx context.Context, env Env, a *app.App, job storage.Job, ran chan error) (storage.Job, error) {
	show := newProgressView(env.Stdout)
	defer show.done()
	t := time.NewTicker(followInterval)
	defer t.Stop()
	done := ctx.Done()
	var giveUp <-chan time.Time
	warnedStale := false
	for {
		select {
		case <-done:
			done = nil
			show.say(fmt.Sprintf("cancelling import job %d…", job.ID))
			if _, err := a.Jobs.Cancel(context.WithoutCancel(ctx), job.OrgID, job.ID); err != nil && !errors.Is(err, storage.ErrJobFinished) {
				return job, fmt.Errorf("cancel import job %d: %w", job.ID, err)
			}
			giveUp = time.After(stopWait)
		case <-giveUp:
			return job, fmt.Errorf("import job %d was asked to stop but is still running after %s; its runner ends it cancelled when it next checks", job.ID, stopWait)
		case err := <-ran:
			ran <- err // for runImport, which waits for it
			if err != nil {
				return job, err
			}
			ran = nil // ended: the row says how
		case <-t.C:
		}
		j, err := a.Store.Job(context.WithoutCancel(ctx), job.OrgID, job.ID)
		if err != nil {
			return job, err
		}
		job = j
		if job.Finished() {
			return job, nil
		}
		if job.Status == storage.JobRunning && !warnedStale && time.Since(job.HeartbeatAt) > 30*time.Second {
			warnedStale = true
			show.say(fmt.Sprintf("the runner of job %d has shown no sign of life since %s; if the server stopped, the job resumes when it starts again",
				job.ID, job.HeartbeatAt.Local().Format(time.TimeOnly)))
		}
		show.update(job)
	}
}

// report prints how the job ended and returns an error unless it
// succeeded, so that the exit status says it.
func report(env Env, job storage.Job) error {
	switch job.Status {
	case storage.JobFailed:
		return fmt.Errorf("import job %d failed: %s", job.ID, job.Error)
	case storage.JobCancelled:
		return fmt.Errorf("import job %d cancelled; what it stored is kept, and importing the export again completes it", job.ID)
	}
	sum, err := importjob.DecodeSummary(job.Result)
	if err != nil {
		return err
	}
	elapsed := job.FinishedAt.Sub(job.StartedAt)
	rate := ""
	if s := elapsed.Seconds(); s > 0 {
		rate = fmt.Sprintf(" (%.0f messages/s)", float64(sum.New+sum.Updated+sum.Unchanged)/s)
	}
	into := "workspace " + sum.WorkspaceID
	if sum.CreatedWorkspace {
		into = "new workspace " + sum.WorkspaceID
	}
	fmt.Fprintf(env.Stdout, "imported into %s: %s in %s%s\n", into, sum, elapsed.Round(100*time.Millisecond), rate)
	for _, n := range sum.Notes() {
		fmt.Fprintln(env.Stdout, n)
	}
	if job.Status != storage.JobPartial {
		return nil
	}
	fmt.Fprintf(env.Stdout, "%d channel-days could not be imported:\n", len(sum.FailedDays))
	for i, f := range sum.FailedDays {
		if i == maxFailuresShown {
			fmt.Fprintf(env.Stdout, "  … and %d more (GET /api/jobs/%d lists them all)\n", len(sum.FailedDays)-i, job.ID)
			break
		}
		fmt.Fprintf(env.Stdout, "  #%s %s: %s\n", f.Channel, f.Date, f.Reason)
	}
	return fmt.Errorf("import job %d partly failed: %d channel-days could not be imported (listed above); the rest is stored", job.ID, len(sum.FailedDays))
}

// progressView shows a job's progress: a bar on a terminal, a log line
// every few seconds otherwise.
type progressView struct {
	w        io.Writer
	bar      *progressbar.ProgressBar // nil when w is not a terminal
	last     string
	lastLine time.Time
}

func newProgressView(w io.Writer) *progressView {
	v := &progressView{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		v.bar = progressbar.NewOptions(100,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetDescription("waiting to start"),
		)
	}
	return v
}

func describe(j storage.Job) string {
	if j.Status == storage.JobQueued {
		if j.Attempts > 0 {
			return "waiting to resume"
		}
		return "waiting for the runner"
	}
	p := j.Progress
	s := fmt.Sprintf("%d/%d channels, %d messages", p.ChannelsDone, p.ChannelsTotal, p.Messages)
	if p.Current != "" {
		s += ", " + p.Current
	}
	return s
}

func (v *progressView) update(j storage.Job) {
	d := describe(j)
	if v.bar != nil {
		v.bar.Describe(d)
		v.bar.Set(j.Progress.Percent)
		return
	}
	line := fmt.Sprintf("import job %d: %s %d%%, %s", j.ID, j.Status, j.Progress.Percent, d)
	if line != v.last && time.Since(v.lastLine) >= 2*time.Second {
		fmt.Fprintln(v.w, line)
		v.last, v.lastLine = line, time.Now()
	}
}

// say prints a line of its own, above the bar on a terminal.
func (v *progressView) say(s string) {
	if v.bar != nil {
		v.bar.Clear()
	}
	fmt.Fprintln(v.w, strings.TrimSpace(s))
}

func (v *progressView) done() {
	if v.bar != nil {
		v.bar.Finish()
	}
}
