// Package backfill keeps a workspace's stored history current through
// Slack's Web API: the "backfill" job kind (channels from
// conversations.list, history back days_back days by cursor, the replies of
// only those threads whose latest_reply is newer than what was read, names
// from users.list), stored through the one message path (app/sync) with
// each page's checkpoint committed in the page's transaction, so that a
// crash, a restart or a cancel resumes where it stopped and a rerun over
// unchanged history writes nothing. It also holds the channels' include and
// exclude choices, and the live capture of Socket Mode events (live.go).
package backfill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"lore/app/credentials"
	"lore/app/jobs"
	"lore/app/settings"
	"lore/app/slack"
	"lore/app/sync"
	"lore/app/validation"
	"lore/storage"
)

// Kind is the job kind of a backfill.
const Kind = "backfill"

// Params is what a backfill job is queued with.
type Params struct {
	OrgID       int64  `json:"org_id"`
	WorkspaceID string `json:"workspace_id"`
	// DaysBack is how far back history is read; 0 is the organization's
	// backfill_days_back.
	DaysBack int `json:"days_back,omitempty"`
	// Channels limits the run to these channels (one added later need
	// not force a full run); empty is every included channel.
	Channels []string `json:"channels,omitempty"`
	// CatchUp reads only what is newer than each covered channel's newest
	// stored message (less a margin): after a Socket Mode reconnect.
	CatchUp bool `json:"catch_up,omitempty"`
}

// Options tune a Service; the zero value is the production setup.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Reread is how much of a covered channel's newest history each run
	// reads again, to see edits, deletions and new replies there. Default 7 days.
	Reread time.Duration
	// Retries is how many times a call that could not reach Slack (network,
	// 5xx) is tried again, with backoff from RetryWait. Defaults 4 and 1 s.
	Retries   int
	RetryWait time.Duration
	// PageSize is the limit asked of history and replies pages. Default 200.
	PageSize int
}

// Service runs backfills and holds the channels' sync choices.
type Service struct {
	store    *storage.Store
	sync     *sync.Service
	creds    *credentials.Service
	settings *settings.Service
	jobs     *jobs.Runner
	logger   *slog.Logger
	opts     Options
}

// New returns the backfill service; Register makes it the runner's kind.
func New(store *storage.Store, msgs *sync.Service, creds *credentials.Service, st *settings.Service, runner *jobs.Runner,
	logger *slog.Logger, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Reread <= 0 {
		opts.Reread = 7 * 24 * time.Hour
	}
	if opts.Retries <= 0 {
		opts.Retries = 4
	}
	if opts.RetryWait <= 0 {
		opts.RetryWait = time.Second
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 200
	}
	return &Service{store: store, sync: msgs, creds: creds, settings: st, jobs: runner, logger: logger, opts: opts}
}

// Register makes s the runner's backfill kind, resumable: a run a crash or
// a shutdown interrupted resumes from the sync state.
func (s *Service) Register(r *jobs.Runner) { r.Register(Kind, s.handle, true) }

// Request is what an admin asks a backfill for.
type Request struct {
	DaysBack int      `json:"days_back"`
	Channels []string `json:"channels"`
}

// RunningError reports a backfill of the workspace already queued or
// running: JobID is that job.
type RunningError struct{ JobID int64 }

func (e *RunningError) Error() string {
	return fmt.Sprintf("backfill: job %d is already backfilling this workspace", e.JobID)
}

// Start queues a backfill of a workspace of the organization. A second
// while one is queued or running is a *RunningError (the database's unique
// index says so, whoever queued the first).
func (s *Service) Start(ctx context.Context, orgID int64, workspaceID string, req Request) (storage.Job, error) {
	fields := map[string]string{}
	if days, _ := settings.Lookup("backfill_days_back"); req.DaysBack != 0 && (int64(req.DaysBack) < days.Min || int64(req.DaysBack) > days.Max) {
		fields["days_back"] = fmt.Sprintf("must be %d-%d", days.Min, days.Max)
	}
	if len(req.Channels) > 1000 {
		fields["channels"] = "must name at most 1000 channels"
	}
	for _, c := range req.Channels {
		if !validChannelID(c) {
			fields["channels"] = fmt.Sprintf("%q is not a Slack channel id (C… or G…)", c)
			break
		}
	}
	if len(fields) > 0 {
		return storage.Job{}, &validation.Error{Code: "invalid_request", Message: "some fields are invalid", Fields: fields}
	}
	return s.enqueue(ctx, Params{OrgID: orgID, WorkspaceID: workspaceID, DaysBack: req.DaysBack, Channels: req.Channels})
}

// enqueue queues a backfill. When one of the workspace is queued but not
// running yet and covers less (a catch-up, or some channels), it is widened
// to cover this one too and returned: a nightly run must not be refused
// because a short catch-up waits before it.
func (s *Service) enqueue(ctx context.Context, p Params) (storage.Job, error) {
	raw, _ := json.Marshal(p) // numbers and strings always marshal
	j, err := s.jobs.Enqueue(ctx, storage.NewJob{OrgID: p.OrgID, WorkspaceID: p.WorkspaceID, Kind: Kind, Params: raw})
	if !errors.Is(err, storage.ErrConflict) {
		return j, err
	}
	active, aerr := s.store.ActiveJob(ctx, p.WorkspaceID, Kind)
	if aerr != nil {
		return storage.Job{}, fmt.Errorf("backfill: %w", err)
	}
	var queued Params
	if active.Status == storage.JobQueued && json.Unmarshal(active.Params, &queued) == nil {
		if wider, ok := widen(queued, p); ok {
			raw, _ := json.Marshal(wider)
			if j, err := s.store.SetQueuedJobParams(ctx, active.ID, raw); err == nil {
				return j, nil
			}
		}
	}
	return storage.Job{}, &RunningError{JobID: active.ID}
}

// widen is the queued params made to cover p too, when p asks for more.
func widen(queued, p Params) (Params, bool) {
	switch {
	case !queued.CatchUp && len(queued.Channels) == 0:
		return queued, false // already a full run
	case p.CatchUp:
		return queued, false // a catch-up adds nothing to what is queued
	}
	w := queued
	w.CatchUp = false
	w.DaysBack = max(queued.DaysBack, p.DaysBack)
	if queued.DaysBack == 0 || p.DaysBack == 0 {
		w.DaysBack = 0 // the organization's setting
	}
	switch {
	case len(p.Channels) == 0 || queued.CatchUp:
		w.Channels = p.Channels
	default:
		w.Channels = append(slices.Clone(queued.Channels), p.Channels...)
		slices.Sort(w.Channels)
		w.Channels = slices.Compact(w.Channels)
	}
	return w, true
}

func validChannelID(id string) bool {
	return len(id) >= 2 && len(id) <= 32 && (id[0] == 'C' || id[0] == 'G') &&
		strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
}

// ChannelResult is how a run ended for one channel. Its JSON names are
// part of the API (a job's result detail).
type ChannelResult struct {
	ID     string `json:"channel_id"`
	Name   string `json:"name"`
	Status string `json:"status"` // "done", "skipped" or "failed"
	Reason string `json:"reason,omitempty"`
}

// Summary is what a run did: the job's result detail.
type Summary struct {
	Channels        int             `json:"channels"`
	MessagesNew     int64           `json:"messages_new"`
	MessagesUpdated int64           `json:"messages_updated"`
	MessagesDeleted int64           `json:"messages_deleted"`
	ThreadsRead     int64           `json:"threads_read"`
	APICalls        int64           `json:"api_calls"`
	RateLimited     int64           `json:"rate_limited"`
	Notes           []string        `json:"notes"`
	Failed          []ChannelResult `json:"failed"` // skipped or failed channels, with why
}

// Line is the summary in one line, the job row's summary.
func (s Summary) Line() string {
	line := fmt.Sprintf("%d channels, %d messages new, %d updated, %d deleted, %d threads read",
		s.Channels, s.MessagesNew, s.MessagesUpdated, s.MessagesDeleted, s.ThreadsRead)
	if n := len(s.Failed); n > 0 {
		line += fmt.Sprintf("; %d channels not read", n)
	}
	return line
}

// checkpoint is the job's own checkpoint: the channels whose history run
// finished. Where each channel's run stands is in the sync state, written
// with each page.
type checkpoint struct {
	Latest string   `json:"latest"` // the ts of the run's start: history is read up to it
	Done   []string `json:"done"`
}

// run is one execution of a backfill job.
type run struct {
	s      *Service
	p      Params
	job    jobs.Run
	conn   *credentials.Connection
	api    *slack.API
	logger *slog.Logger
	dir    *sync.Directory
	latest string
	oldest string // the ts days_back before latest

	mu       gosync.Mutex
	cp       checkpoint
	sum      Summary
	failed   map[string]ChannelResult // by channel
	names    map[string]string
	current  string
	done     int
	total    int
	capped   bool
	badTS    map[string]bool // threads that failed this run
	wake     chan struct{}   // a thread was queued
	histDone chan struct{}   // the history walk has ended
}

// errRejected stops a run: Slack rejected the token.
type errRejected struct{ code string }

func (e errRejected) Error() string {
	return "Slack rejected the workspace's credentials (" + e.code + "); they are marked invalid: store new ones and run the backfill again"
}

func (s *Service) handle(ctx context.Context, raw []byte, job jobs.Run) (jobs.Outcome, error) {
	var p Params
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p.OrgID <= 0 || p.WorkspaceID == "" {
		return jobs.Outcome{}, fmt.Errorf("backfill: bad job params: %v", err)
	}
	if p.DaysBack == 0 {
		st, err := s.settings.Get(ctx, p.OrgID)
		if err != nil {
			return jobs.Outcome{}, err
		}
		p.DaysBack = int(st.Int("backfill_days_back"))
	}
	conn, err := s.creds.Connect(ctx, "job:"+strconv.FormatInt(job.JobID(), 10), p.OrgID, p.WorkspaceID)
	if err != nil {
		return jobs.Outcome{}, err
	}
	r := &run{s: s, p: p, job: job, conn: conn, api: conn.Slack,
		logger: s.logger.With("job_id", job.JobID(), "workspace_id", p.WorkspaceID),
		failed: map[string]ChannelResult{}, names: map[string]string{}, badTS: map[string]bool{},
		wake: make(chan struct{}, 1), histDone: make(chan struct{})}
	if b := job.Checkpoint(); len(b) > 0 {
		if err := json.Unmarshal(b, &r.cp); err != nil {
			return jobs.Outcome{}, fmt.Errorf("backfill: bad checkpoint: %w", err)
		}
	}
	if r.cp.Latest == "" {
		r.cp.Latest = tsOf(s.opts.Now())
	}
	r.latest = r.cp.Latest
	latestTime, _ := sync.ParseTS(r.latest)
	r.oldest = tsOf(latestTime.Add(-time.Duration(p.DaysBack) * 24 * time.Hour))

	err = r.execute(ctx)
	r.report()
	if r.changed() && ctx.Err() == nil {
		// The answers' query planner weighs words by these frequencies; a
		// workspace only backfilled had none. Also after a failure: what was
		// stored stays. Not the job's outcome: the messages are stored, and
		// the next run refreshes them again.
		if serr := s.store.RefreshTermStats(ctx); serr != nil {
			r.logger.Warn("term statistics not refreshed", slog.Any("error", serr))
		}
	}
	var rej errRejected
	if errors.As(err, &rej) {
		if merr := s.creds.Rejected(context.WithoutCancel(ctx), conn, rej.code); merr != nil {
			r.logger.Error("could not mark the credentials invalid", slog.Any("error", merr))
		}
		return jobs.Outcome{}, err
	}
	if err != nil {
		return jobs.Outcome{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	sum := r.sum
	sum.APICalls, sum.RateLimited = r.api.Stats().Calls(), r.api.Stats().RateLimited()
	sum.Failed = []ChannelResult{}
	for _, f := range r.failed {
		sum.Failed = append(sum.Failed, f)
	}
	slices.SortFunc(sum.Failed, func(a, b ChannelResult) int { return strings.Compare(a.ID, b.ID) })
	if sum.Notes == nil {
		sum.Notes = []string{}
	}
	return jobs.Outcome{Partial: len(sum.Failed) > 0, Detail: sum, Summary: sum.Line()}, nil
}

// changed tells whether the run stored, changed or deleted any message.
func (r *run) changed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sum.MessagesNew+r.sum.MessagesUpdated+r.sum.MessagesDeleted > 0
}

// tsOf is t as a Slack ts.
func tsOf(t time.Time) string { return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000) }

// execute reads users and channels, then the history of every channel of
// the plan beside the replies of the threads that history queues.
func (r *run) execute(ctx context.Context) error {
	users, err := r.users(ctx)
	if err != nil {
		return err
	}
	plan, err := r.channels(ctx, users)
	if err != nil {
		return err
	}
	if r.dir, err = r.s.sync.Directory(ctx, r.p.WorkspaceID); err != nil {
		return err
	}
	r.mu.Lock()
	r.total = len(plan)
	r.sum.Channels = len(plan)
	r.mu.Unlock()
	r.report()

	ids := make([]string, len(plan))
	for i, c := range plan {
		ids[i] = c.ID
	}
	var wg gosync.WaitGroup
	var repliesErr error
	wg.Go(func() { repliesErr = r.repliesWorker(ctx, ids) })
	histErr := r.historyWalk(ctx, plan)
	close(r.histDone)
	wg.Wait()
	if histErr != nil {
		return histErr
	}
	return repliesErr
}

// call runs one Web API call, trying again after a network error or a 5xx
// with backoff and jitter, and after a 429 the pacing client could not
// absorb (it already waited Slack's Retry-After and slowed down). It
// returns the *slack.Error of a call that failed for good, errRejected for
// a rejected token, or ctx's error.
func (r *run) call(ctx context.Context, f func() error) error {
	limited := 0
	for attempt := 0; ; {
		err := slack.Classify(f(), r.conn.Credentials.BotToken)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var e *slack.Error
		if !errors.As(err, &e) {
			return err
		}
		switch {
		case e.TokenRejected():
			return errRejected{e.Code}
		case e.Status == 429 && limited < 50:
			limited++
			continue
		case e.Unavailable() && attempt < r.s.opts.Retries:
			wait := r.s.opts.RetryWait << attempt
			wait += time.Duration(rand.Int64N(int64(wait)/2 + 1))
			attempt++
			r.logger.Info("slack did not answer; trying again", "reason", e.Error(), "attempt", attempt, "wait", wait)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		}
		return e
	}
}

// users reads users.list, every page, and returns them for storing with
// the channels.
func (r *run) users(ctx context.Context) ([]sync.User, error) {
	var out []sync.User
	pages := r.api.GetUsersPaginated(slackgo.GetUsersOptionLimit(200))
	for {
		done := false
		err := r.call(ctx, func() error {
			next, err := pages.Next(ctx)
			if pages.Done(err) {
				done = true
				return nil
			}
			if err == nil {
				pages = next
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("users.list: %w", err)
		}
		if done {
			break
		}
		for _, u := range pages.Users {
			out = append(out, sync.User{ID: u.ID, Name: u.Name, DisplayName: u.Profile.DisplayName,
				RealName: firstNonEmpty(u.Profile.RealName, u.RealName), Bot: u.IsBot, Deleted: u.Deleted})
		}
	}
	return out, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// channels lists the workspace's channels (public and private, archived
// left out), joins the public ones when the workspace asks for it, stores
// them with users, and returns the plan: the included channels the bot can
// read, limited to the job's channels when it names some.
func (r *run) channels(ctx context.Context, users []sync.User) ([]storage.ChannelSync, error) {
	join, err := r.s.store.JoinPublic(ctx, r.p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	var listed []slackgo.Channel
	cursor := ""
	for {
		var page []slackgo.Channel
		var next string
		err := r.call(ctx, func() (err error) {
			page, next, err = r.api.GetConversationsContext(ctx, &slackgo.GetConversationsParameters{
				Cursor: cursor, ExcludeArchived: true, Limit: 200, Types: []string{"public_channel", "private_channel"}})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("conversations.list: %w", err)
		}
		listed = append(listed, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	// A channel the admin excluded is not joined either.
	known, err := r.s.store.ListChannelSyncs(ctx, r.p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	excluded := map[string]bool{}
	for _, c := range known {
		if c.Included != nil && !*c.Included {
			excluded[c.ID] = true
		}
	}
	var chans []sync.Channel
	member := map[string]bool{}
	for i := range listed {
		c := &listed[i]
		if c.IsArchived || c.IsIM || c.IsMpIM {
			continue
		}
		if join && !c.IsPrivate && !c.IsMember && !excluded[c.ID] && r.wanted(c.ID) {
			err := r.call(ctx, func() error {
				_, _, _, err := r.api.JoinConversationContext(ctx, c.ID)
				return err
			})
			var e *slack.Error
			switch {
			case err == nil:
				c.IsMember = true
			case errors.As(err, &e):
				r.logger.Warn("could not join a public channel", "channel_id", c.ID, "reason", e.Error())
			default:
				return nil, err
			}
		}
		chans = append(chans, sync.Channel{ID: c.ID, Name: c.Name, Private: c.IsPrivate})
		member[c.ID] = c.IsMember
	}
	if err := r.s.sync.StoreChannelsAndUsers(ctx, r.p.WorkspaceID, chans, users); err != nil {
		return nil, err
	}
	if err := r.s.store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
		for id, m := range member {
			if err := w.SetChannelMember(ctx, r.p.WorkspaceID, id, m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	all, err := r.s.store.ListChannelSyncs(ctx, r.p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	var plan []storage.ChannelSync
	for _, c := range all {
		r.names[c.ID] = c.Name
		_, listedNow := member[c.ID]
		switch {
		case !r.wanted(c.ID):
		case c.Included != nil && !*c.Included:
		case !listedNow && slices.Contains(r.p.Channels, c.ID):
			r.fail(c.ID, "skipped", "Slack does not list it (archived, deleted, or private without the bot)")
		case !listedNow:
		case !c.Member && c.Included != nil && *c.Included:
			r.fail(c.ID, "skipped", "not_in_channel: invite the bot to it (/invite @Lore) or let Lore join public channels")
		case !c.Member:
		case r.p.CatchUp && c.NewestTS == "" && !c.Run.Active():
		default:
			plan = append(plan, c)
		}
	}
	for _, id := range r.p.Channels {
		if _, ok := r.names[id]; !ok {
			r.fail(id, "skipped", "channel_not_found")
		}
	}
	return plan, nil
}

// wanted tells whether the job covers the channel.
func (r *run) wanted(id string) bool {
	return len(r.p.Channels) == 0 || slices.Contains(r.p.Channels, id)
}

// fail records a channel the run could not read.
func (r *run) fail(id, status, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed[id] = ChannelResult{ID: id, Name: r.names[id], Status: status, Reason: reason}
}

// report hands the run's progress to the job.
func (r *run) report() {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := jobs.Progress{ChannelsDone: r.done, ChannelsTotal: r.total, Messages: r.sum.MessagesNew + r.sum.MessagesUpdated,
		Current: r.current}
	if r.api != nil {
		p.APICalls, p.RateLimited = r.api.Stats().Calls(), r.api.Stats().RateLimited()
	}
	if r.total > 0 {
		p.Percent = min(99, r.done*100/r.total)
	}
	r.job.Report(p)
}

func (r *run) count(c sync.Counts, deleted int64) {
	r.mu.Lock()
	r.sum.MessagesNew += c.New
	r.sum.MessagesUpdated += c.Updated
	r.sum.MessagesDeleted += deleted
	r.mu.Unlock()
	r.report()
}

func (r *run) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.Notes = append(r.sum.Notes, s)
}

// historyWalk reads each channel's history, one channel after the other.
func (r *run) historyWalk(ctx context.Context, plan []storage.ChannelSync) error {
	for _, c := range plan {
		if slices.Contains(r.cp.Done, c.ID) {
			r.channelDone(ctx, c.ID, false)
			continue
		}
		r.mu.Lock()
		r.current = "#" + c.Name
		r.mu.Unlock()
		r.report()
		err := r.history(ctx, c)
		var e *slack.Error
		switch {
		case err == nil:
			r.channelDone(ctx, c.ID, true)
		case errors.As(err, &e):
			status := "failed"
			if e.Code == "not_in_channel" || e.Code == "channel_not_found" || e.Code == "is_archived" {
				status = "skipped"
			}
			r.fail(c.ID, status, e.Error())
			if serr := r.s.store.SetChannelError(ctx, r.p.WorkspaceID, c.ID, e.Error()); serr != nil {
				return serr
			}
			r.channelDone(ctx, c.ID, false)
		default:
			return err
		}
	}
	return nil
}

// channelDone counts a channel whose history walk ended, and checkpoints it.
func (r *run) channelDone(ctx context.Context, id string, save bool) {
	r.mu.Lock()
	r.done++
	if save && !slices.Contains(r.cp.Done, id) {
		r.cp.Done = append(r.cp.Done, id)
	}
	cp, _ := json.Marshal(r.cp)
	r.mu.Unlock()
	r.report()
	if save {
		if err := r.job.SaveCheckpoint(ctx, cp); err != nil {
			r.logger.Warn("checkpoint not saved; the sync state still resumes the channel", slog.Any("error", err))
		}
	}
}

// cappedPage is the size of a history page Slack caps for commercially
// distributed apps.
const cappedPage = 15

// history reads one channel's history, backward from the run's window's
// top, a page per transaction with the run's state.
func (r *run) history(ctx context.Context, c storage.ChannelSync) error {
	run := c.Run
	if !run.Active() {
		run = storage.HistoryRun{Oldest: r.oldest, Latest: r.latest}
		switch {
		case r.p.CatchUp:
			newest, _ := sync.ParseTS(c.NewestTS)
			run.Oldest = maxTS(r.oldest, tsOf(newest.Add(-10*time.Minute)))
		case c.NewestTS != "" && c.OldestTS <= r.oldest:
			newest, _ := sync.ParseTS(c.NewestTS)
			run.Oldest = maxTS(r.oldest, tsOf(newest.Add(-r.s.opts.Reread)))
		}
		run.Upper = run.Latest
	}
	for {
		var resp page
		err := r.call(ctx, func() error {
			resp = page{}
			return r.api.Call(ctx, "conversations.history", url.Values{"channel": {c.ID}, "cursor": {run.Cursor},
				"oldest": {run.Oldest}, "latest": {run.Latest}, "inclusive": {"true"}, "limit": {strconv.Itoa(r.s.opts.PageSize)}}, &resp)
		})
		var e *slack.Error
		if errors.As(err, &e) && e.Code == "invalid_cursor" && run.Cursor != "" {
			// A cursor too old to use (a long pause): go on below what is stored.
			run.Latest, run.Cursor = run.Upper, ""
			continue
		}
		if err != nil {
			return err
		}
		msgs := resp.Messages
		more := resp.HasMore && resp.ResponseMetadata.NextCursor != ""
		if more && len(msgs) == cappedPage && r.s.opts.PageSize > cappedPage {
			r.mu.Lock()
			first := !r.capped
			r.capped = true
			r.mu.Unlock()
			if first {
				const capped = "Slack answers history in pages of 15 messages (its limit for commercially distributed apps): the backfill goes on at the pace Slack allows"
				r.logger.Warn(capped)
				r.note(capped)
			}
		}
		lower := run.Oldest
		keep := make([]string, 0, len(msgs))
		for _, m := range msgs {
			keep = append(keep, m.TS)
			if more && (lower == run.Oldest || m.TS < lower) {
				lower = m.TS
			}
		}
		next := storage.HistoryRun{Oldest: run.Oldest, Latest: run.Latest, Upper: lower, Cursor: resp.ResponseMetadata.NextCursor}
		var deleted int64
		var queued bool
		counts, err := r.s.sync.StorePage(ctx, r.dir, r.p.WorkspaceID, c.ID, msgs, func(w *storage.MessageWriter) (err error) {
			if deleted, err = w.DeleteMissing(ctx, r.p.WorkspaceID, c.ID, "", lower, run.Upper, keep); err != nil {
				return err
			}
			for _, m := range msgs {
				if m.ReplyCount > 0 && m.LatestReply != "" && m.ThreadTS == m.TS {
					pending, err := w.WantThread(ctx, r.p.WorkspaceID, c.ID, m.TS, m.LatestReply+"/"+strconv.Itoa(m.ReplyCount))
					if err != nil {
						return err
					}
					queued = queued || pending
				}
			}
			if !more {
				return w.FinishHistoryRun(ctx, r.p.WorkspaceID, c.ID, run, r.s.opts.Now())
			}
			return w.SaveHistoryRun(ctx, r.p.WorkspaceID, c.ID, next)
		})
		if err != nil {
			return err
		}
		r.count(counts, deleted)
		if queued {
			select {
			case r.wake <- struct{}{}:
			default:
			}
		}
		if !more {
			return nil
		}
		run = next
	}
}

func maxTS(a, b string) string {
	if a > b {
		return a
	}
	return b
}

// page is a conversations.history or conversations.replies answer, its
// messages decoded straight into the message path's type.
type page struct {
	Messages         []sync.Message `json:"messages"`
	HasMore          bool           `json:"has_more"`
	ResponseMetadata struct {
		NextCursor string `json:"next_cursor"`
	} `json:"response_metadata"`
}

// repliesWorker reads the pending threads of the plan's channels while
// the history walk queues them, until the walk has ended and none is left.
func (r *run) repliesWorker(ctx context.Context, channels []string) error {
	if len(channels) == 0 {
		return nil
	}
	for {
		r.mu.Lock()
		skip := len(r.badTS)
		r.mu.Unlock()
		threads, err := r.s.store.PendingThreads(ctx, r.p.WorkspaceID, channels, skip+100)
		if err != nil {
			return err
		}
		read := 0
		for _, t := range threads {
			r.mu.Lock()
			bad := r.badTS[t.ChannelID+"/"+t.ThreadTS]
			r.mu.Unlock()
			if bad {
				continue
			}
			read++
			if err := r.thread(ctx, t); err != nil {
				var e *slack.Error
				if !errors.As(err, &e) {
					return err
				}
				r.mu.Lock()
				r.badTS[t.ChannelID+"/"+t.ThreadTS] = true
				r.mu.Unlock()
				r.fail(t.ChannelID, "failed", "thread "+t.ThreadTS+": "+e.Error())
			}
		}
		if read > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		case <-r.histDone:
			// One last look: the walk may have queued threads before it ended.
			select {
			case <-r.wake:
				continue
			default:
			}
			if more, err := r.s.store.PendingThreads(ctx, r.p.WorkspaceID, channels, skip+100); err != nil || len(more) <= skip {
				return err
			}
		}
	}
}

// thread reads one thread's replies, a page per transaction with the
// thread's run state.
func (r *run) thread(ctx context.Context, t storage.ThreadSync) error {
	cursor, after := t.Cursor, t.After
	for {
		// The last page's range ends where Slack's answer may end: a reply
		// posted since (stored live meanwhile) is not missing from it. A
		// minute's margin covers the clocks' skew.
		asked := tsOf(r.s.opts.Now().Add(-time.Minute))
		var resp page
		err := r.call(ctx, func() error {
			resp = page{}
			return r.api.Call(ctx, "conversations.replies", url.Values{"channel": {t.ChannelID}, "ts": {t.ThreadTS},
				"cursor": {cursor}, "limit": {strconv.Itoa(r.s.opts.PageSize)}}, &resp)
		})
		var e *slack.Error
		if errors.As(err, &e) && e.Code == "thread_not_found" {
			resp = page{} // the parent was deleted: its replies go with it
		} else if err != nil {
			return err
		}
		msgs, next := resp.Messages, resp.ResponseMetadata.NextCursor
		more := resp.HasMore && next != ""
		top, keep := "", make([]string, 0, len(msgs))
		for _, m := range msgs {
			keep = append(keep, m.TS)
			if m.TS != t.ThreadTS && m.TS > top {
				top = m.TS
			}
		}
		to := asked
		if more {
			to = top
		}
		var deleted int64
		counts, err := r.s.sync.StorePage(ctx, r.dir, r.p.WorkspaceID, t.ChannelID, msgs, func(w *storage.MessageWriter) (err error) {
			if deleted, err = w.DeleteMissing(ctx, r.p.WorkspaceID, t.ChannelID, t.ThreadTS, after, to, keep); err != nil {
				return err
			}
			if more {
				return w.SaveThreadRun(ctx, r.p.WorkspaceID, t.ChannelID, t.ThreadTS, next, top)
			}
			return w.FinishThread(ctx, r.p.WorkspaceID, t.ChannelID, t.ThreadTS, t.Wanted)
		})
		if err != nil {
			return err
		}
		r.count(counts, deleted)
		if !more {
			r.mu.Lock()
			r.sum.ThreadsRead++
			r.mu.Unlock()
			return nil
		}
		cursor, after = next, top
	}
}
