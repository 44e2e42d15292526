package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Job statuses. A job is queued, then running, then ends in one of the
// other four; only queued and running jobs can change.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobPartial   = "partial" // it ended, but some units (channel-days, channels) failed
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// ErrJobFinished is returned when a job that has already ended is asked to
// change (cancelled, say).
var ErrJobFinished = errors.New("job has already ended")

// JobProgress is a job's live progress: a percentage and the counts beside it.
type JobProgress struct {
	Percent       int
	ChannelsDone  int
	ChannelsTotal int
	Messages      int64
	APICalls      int64
	RateLimited   int64
	Current       string
}

// Job is one row of jobs.
type Job struct {
	ID              int64
	OrgID           int64
	WorkspaceID     string // "" when the job is about no one workspace (yet)
	Kind            string
	Status          string
	Params          json.RawMessage
	Progress        JobProgress
	Result          json.RawMessage // nil until it ends (and for kinds with no detail)
	Summary         string
	Checkpoint      []byte
	Owner           string // the runner running it; "" unless running
	HeartbeatAt     time.Time
	Attempts        int
	CancelRequested bool
	Error           string
	CreatedAt       time.Time
	StartedAt       time.Time // zero until a runner first starts it
	FinishedAt      time.Time // zero until it ends
}

// Finished tells whether the job has ended.
func (j Job) Finished() bool { return j.Status != JobQueued && j.Status != JobRunning }

const jobColumns = `job_id, org_id, coalesce(workspace_id, ''), kind, status, params,
	progress, channels_done, channels_total, messages, api_calls, rate_limited, current,
	result, summary, checkpoint, coalesce(owner, ''), coalesce(heartbeat_at, ''), attempts,
	cancel_requested, error, created_at, coalesce(started_at, ''), coalesce(finished_at, '')`

func scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var (
		j                                   Job
		params                              string
		result                              sql.NullString
		heartbeat, created, started, finish string
	)
	err := row.Scan(&j.ID, &j.OrgID, &j.WorkspaceID, &j.Kind, &j.Status, &params,
		&j.Progress.Percent, &j.Progress.ChannelsDone, &j.Progress.ChannelsTotal, &j.Progress.Messages,
		&j.Progress.APICalls, &j.Progress.RateLimited, &j.Progress.Current,
		&result, &j.Summary, &j.Checkpoint, &j.Owner, &heartbeat, &j.Attempts,
		&j.CancelRequested, &j.Error, &created, &started, &finish)
	if err != nil {
		return Job{}, err
	}
	j.Params = json.RawMessage(params)
	if result.Valid {
		j.Result = json.RawMessage(result.String)
	}
	if j.CreatedAt, err = parseTime(created); err != nil {
		return Job{}, err
	}
	for _, t := range []struct {
		s   string
		dst *time.Time
	}{{heartbeat, &j.HeartbeatAt}, {started, &j.StartedAt}, {finish, &j.FinishedAt}} {
		if t.s == "" {
			continue
		}
		if *t.dst, err = parseTime(t.s); err != nil {
			return Job{}, err
		}
	}
	return j, nil
}

// NewJob is what a job is queued with.
type NewJob struct {
	OrgID       int64
	WorkspaceID string // optional; it must belong to OrgID
	Kind        string
	Params      []byte // JSON; nil is {}
}

// CreateJob queues a job. A workspace of another organization, or a missing
// one, is ErrNotFound (the foreign key turns it away); a second active job of
// a kind allowed once per workspace at a time (backfill) is ErrConflict.
func (s *Store) CreateJob(ctx context.Context, nj NewJob) (Job, error) {
	params := string(nj.Params)
	if params == "" {
		params = "{}"
	}
	var j Job
	err := s.Tx(ctx, func(tx *Tx) (err error) {
		j, err = scanJob(tx.tx.QueryRowContext(ctx,
			`INSERT INTO jobs (org_id, workspace_id, kind, params) VALUES (?, ?, ?, ?) RETURNING `+jobColumns,
			nj.OrgID, nullString(nj.WorkspaceID), nj.Kind, params))
		return err
	})
	if isForeignKeyViolation(err) {
		return Job{}, fmt.Errorf("storage: queue %s job: organization %d or its workspace %q: %w", nj.Kind, nj.OrgID, nj.WorkspaceID, ErrNotFound)
	}
	if isUniqueViolation(err) { // a kind allowed once per workspace at a time (jobs_one_backfill)
		return Job{}, fmt.Errorf("storage: queue %s job: one is already queued or running for workspace %q: %w", nj.Kind, nj.WorkspaceID, ErrConflict)
	}
	if err != nil {
		return Job{}, fmt.Errorf("storage: queue %s job: %w", nj.Kind, err)
	}
	return j, nil
}

// Job returns a job of the organization, or ErrNotFound, also when it
// belongs to another organization.
func (s *Store) Job(ctx context.Context, orgID, id int64) (Job, error) {
	j, err := scanJob(s.read.QueryRowContext(ctx,
		`SELECT `+jobColumns+` FROM jobs WHERE job_id = ? AND org_id = ?`, id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("storage: job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("storage: job %d: %w", id, err)
	}
	return j, nil
}

// JobOrg returns the organization a job belongs to, or ErrNotFound; the
// HTTP layer uses it to check membership once.
func (s *Store) JobOrg(ctx context.Context, id int64) (int64, error) {
	var orgID int64
	err := s.read.QueryRowContext(ctx, `SELECT org_id FROM jobs WHERE job_id = ?`, id).Scan(&orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("storage: job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("storage: job %d: %w", id, err)
	}
	return orgID, nil
}

// JobFilter selects jobs; zero fields match everything but OrgID, which is
// required.
type JobFilter struct {
	OrgID       int64
	WorkspaceID string
	Kind        string
	Limit       int // default 50
}

// ListJobs returns the organization's jobs, newest first.
func (s *Store) ListJobs(ctx context.Context, f JobFilter) ([]Job, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	where, args := whereSet(
		condition{"org_id", f.OrgID, true},
		condition{"workspace_id", f.WorkspaceID, f.WorkspaceID != ""},
		condition{"kind", f.Kind, f.Kind != ""},
	)
	rows, err := s.read.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs`+where+` ORDER BY job_id DESC LIMIT ?`,
		append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("storage: list jobs: %w", err)
	}
	return collect(rows, "list jobs", scanJobRow)
}

// ClaimJob hands the oldest queued job of one of kinds to owner: it becomes
// running, with a fresh heartbeat and one attempt more. No such job is
// ErrNotFound.
func (s *Store) ClaimJob(ctx context.Context, owner string, kinds []string) (Job, error) {
	if len(kinds) == 0 {
		return Job{}, fmt.Errorf("storage: claim job: %w", ErrNotFound)
	}
	args := []any{owner}
	for _, k := range kinds {
		args = append(args, k)
	}
	var j Job
	err := s.Tx(ctx, func(tx *Tx) (err error) {
		j, err = scanJob(tx.tx.QueryRowContext(ctx, `
			UPDATE jobs SET status = 'running', owner = ?1, attempts = attempts + 1,
				heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
				started_at = coalesce(started_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
			WHERE job_id = (SELECT job_id FROM jobs WHERE status = 'queued' AND kind IN (`+placeholders(len(kinds), 2)+`)
			                ORDER BY job_id LIMIT 1)
			RETURNING `+jobColumns, args...))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("storage: claim job: %w", ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("storage: claim job: %w", err)
	}
	return j, nil
}

// ClaimJobByID hands one queued job of the organization to owner, as
// ClaimJob does; a job that is not queued (or not there) is ErrNotFound.
func (s *Store) ClaimJobByID(ctx context.Context, owner string, orgID, id int64) (Job, error) {
	var j Job
	err := s.Tx(ctx, func(tx *Tx) (err error) {
		j, err = scanJob(tx.tx.QueryRowContext(ctx, `
			UPDATE jobs SET status = 'running', owner = ?1, attempts = attempts + 1,
				heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
				started_at = coalesce(started_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
			WHERE job_id = ?2 AND org_id = ?3 AND status = 'queued'
			RETURNING `+jobColumns, owner, id, orgID))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("storage: claim job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("storage: claim job %d: %w", id, err)
	}
	return j, nil
}

// QueuedKinds returns the kinds that have queued jobs.
func (s *Store) QueuedKinds(ctx context.Context) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT kind FROM jobs WHERE status = 'queued'`)
	if err != nil {
		return nil, fmt.Errorf("storage: queued kinds: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("storage: queued kinds: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ListActiveJobs returns every queued or running job of a kind, of every
// organization, oldest first.
func (s *Store) ListActiveJobs(ctx context.Context, kind string) ([]Job, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE kind = ? AND status IN ('queued', 'running') ORDER BY job_id`, kind)
	if err != nil {
		return nil, fmt.Errorf("storage: list active %s jobs: %w", kind, err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list active %s jobs: %w", kind, err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// ListRunningJobs returns every running job, oldest first: what a runner
// starting up finds left by one that stopped without ending them.
func (s *Store) ListRunningJobs(ctx context.Context) ([]Job, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE status = 'running' ORDER BY job_id`)
	if err != nil {
		return nil, fmt.Errorf("storage: list running jobs: %w", err)
	}
	return collect(rows, "list running jobs", scanJobRow)
}

// scanJobRow is scanJob for collect.
func scanJobRow(rows *sql.Rows) (Job, error) { return scanJob(rows) }

// HeartbeatJob records that owner still runs the job, with its progress
// when p is not nil, and returns whether a cancel was requested. A job
// owner no longer runs is ErrNotFound.
func (s *Store) HeartbeatJob(ctx context.Context, id int64, owner string, p *JobProgress) (cancelRequested bool, err error) {
	q := `UPDATE jobs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`
	args := []any{}
	if p != nil {
		q += `, progress = ?, channels_done = ?, channels_total = ?, messages = ?, api_calls = ?, rate_limited = ?, current = ?`
		args = append(args, clampPercent(p.Percent), max(p.ChannelsDone, 0), max(p.ChannelsTotal, 0), max(p.Messages, 0),
			max(p.APICalls, 0), max(p.RateLimited, 0), p.Current)
	}
	q += ` WHERE job_id = ? AND owner = ? AND status = 'running' RETURNING cancel_requested`
	args = append(args, id, owner)
	err = s.Tx(ctx, func(tx *Tx) error {
		return tx.tx.QueryRowContext(ctx, q, args...).Scan(&cancelRequested)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("storage: heartbeat of job %d: not running under %s: %w", id, owner, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("storage: heartbeat of job %d: %w", id, err)
	}
	return cancelRequested, nil
}

// updateJob runs one UPDATE of jobs in its own write transaction and
// returns how many rows it changed: none tells the caller the job was not
// in the state the statement asks for.
func (s *Store) updateJob(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// SaveJobCheckpoint records how far owner's run of the job got.
func (s *Store) SaveJobCheckpoint(ctx context.Context, id int64, owner string, data []byte) error {
	n, err := s.updateJob(ctx, `UPDATE jobs SET checkpoint = ?, heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
		WHERE job_id = ? AND owner = ? AND status = 'running'`, data, id, owner)
	if err != nil {
		return fmt.Errorf("storage: checkpoint of job %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("storage: checkpoint of job %d: not running under %s: %w", id, owner, ErrNotFound)
	}
	return nil
}

// JobEnd is how a job ended.
type JobEnd struct {
	Status   string // succeeded, partial, failed or cancelled
	Progress JobProgress
	Result   []byte // JSON, or nil
	Summary  string
	Error    string
	// WorkspaceID is the workspace a job about none turned out to be about
	// (an import that created its workspace); kept only when it is one of
	// the job's organization.
	WorkspaceID string
}

// FinishJob ends owner's run of the job. A job owner no longer runs is
// ErrNotFound.
func (s *Store) FinishJob(ctx context.Context, id int64, owner string, end JobEnd) error {
	var result sql.NullString
	if end.Result != nil {
		result = sql.NullString{String: string(end.Result), Valid: true}
	}
	p := end.Progress
	n, err := s.updateJob(ctx, `
		UPDATE jobs SET status = ?, progress = ?, channels_done = ?, channels_total = ?, messages = ?,
			api_calls = ?, rate_limited = ?, current = ?, result = ?, summary = ?, error = ?,
			owner = NULL, heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
			finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
			workspace_id = coalesce(workspace_id,
				(SELECT i.workspace_id FROM installations i WHERE i.workspace_id = ? AND i.org_id = jobs.org_id))
		WHERE job_id = ? AND owner = ? AND status = 'running'`,
		end.Status, clampPercent(p.Percent), max(p.ChannelsDone, 0), max(p.ChannelsTotal, 0), max(p.Messages, 0),
		max(p.APICalls, 0), max(p.RateLimited, 0), p.Current, result, end.Summary, end.Error, end.WorkspaceID, id, owner)
	if err != nil {
		return fmt.Errorf("storage: finish job %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("storage: finish job %d: not running under %s: %w", id, owner, ErrNotFound)
	}
	return nil
}

// RequeueJob puts a running job back in the queue, keeping its checkpoint,
// for a runner to resume: owner's when owner is not "", any when it is (a
// runner recovering what a crashed one left running). p, when not nil, is
// its last progress, kept for whoever follows it.
func (s *Store) RequeueJob(ctx context.Context, id int64, owner string, p *JobProgress) error {
	var n int64
	err := s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `UPDATE jobs SET status = 'queued', owner = NULL
			WHERE job_id = ?1 AND status = 'running' AND (?2 = '' OR owner = ?2)`, id, owner)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 || p == nil {
			return err
		}
		_, err = tx.tx.ExecContext(ctx, `UPDATE jobs SET progress = ?, channels_done = ?, channels_total = ?,
				messages = ?, api_calls = ?, rate_limited = ?, current = ? WHERE job_id = ?`,
			clampPercent(p.Percent), max(p.ChannelsDone, 0), max(p.ChannelsTotal, 0), max(p.Messages, 0),
			max(p.APICalls, 0), max(p.RateLimited, 0), p.Current, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: requeue job %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("storage: requeue job %d: not running: %w", id, ErrNotFound)
	}
	return nil
}

// FailJob ends a queued or running job as failed with reason, whoever runs
// it: for jobs no runner will ever end (a kind no handler knows, a run a
// crash interrupted).
func (s *Store) FailJob(ctx context.Context, id int64, reason string) error {
	n, err := s.updateJob(ctx, `UPDATE jobs SET status = 'failed', error = ?, owner = NULL,
			finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
		WHERE job_id = ? AND status IN ('queued', 'running')`, reason, id)
	if err != nil {
		return fmt.Errorf("storage: fail job %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("storage: fail job %d: %w", id, ErrJobFinished)
	}
	return nil
}

// FailQueuedJobs ends every queued job of a kind as failed with reason,
// and returns them: for a kind no handler of this lore knows.
func (s *Store) FailQueuedJobs(ctx context.Context, kind, reason string) ([]Job, error) {
	var out []Job
	err := s.Tx(ctx, func(tx *Tx) error {
		rows, err := tx.tx.QueryContext(ctx, `UPDATE jobs SET status = 'failed', error = ?,
				finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
			WHERE kind = ? AND status = 'queued' RETURNING `+jobColumns, reason, kind)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("storage: fail queued %s jobs: %w", kind, err)
	}
	return out, nil
}

// CancelJob cancels a job of the organization: a queued one ends cancelled
// at once; a running one is marked, and its runner stops it. It returns the
// job as it is afterwards. A job that has ended is ErrJobFinished, one of
// another organization ErrNotFound.
func (s *Store) CancelJob(ctx context.Context, orgID, id int64) (Job, error) {
	var j Job
	err := s.Tx(ctx, func(tx *Tx) (err error) {
		j, err = scanJob(tx.tx.QueryRowContext(ctx, `
			UPDATE jobs SET cancel_requested = 1,
				status = CASE status WHEN 'queued' THEN 'cancelled' ELSE status END,
				error = CASE status WHEN 'queued' THEN 'cancelled' ELSE error END,
				finished_at = CASE status WHEN 'queued' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') ELSE finished_at END
			WHERE job_id = ? AND org_id = ? AND status IN ('queued', 'running')
			RETURNING `+jobColumns, id, orgID))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var exists int
		err = tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE job_id = ? AND org_id = ?`, id, orgID).Scan(&exists)
		switch {
		case err != nil:
			return err
		case exists == 0:
			return ErrNotFound
		}
		return ErrJobFinished
	})
	if err != nil {
		return Job{}, fmt.Errorf("storage: cancel job %d: %w", id, err)
	}
	return j, nil
}

func clampPercent(p int) int { return min(max(p, 0), 100) }

// placeholders returns n numbered placeholders from ?first: "?2, ?3".
func placeholders(n, first int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("?%d", first+i)
	}
	return strings.Join(ps, ", ")
}
