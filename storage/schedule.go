package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Outcomes of a scheduled run, as schedule_runs stores them.
const (
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunSkipped   = "skipped"
)

// ScheduleRun is one scheduled job's row of schedule_runs: since when it has
// its current schedule, and when it last ran and how that ended.
type ScheduleRun struct {
	Name      string
	OrgID     int64 // 0 for an instance-wide job (the backup)
	Since     time.Time
	LastRunAt time.Time // zero: never ran
	Outcome   string    // "" until it ran
	Detail    string
}

// ScheduleRun returns a scheduled job's row, or ErrNotFound.
func (s *Store) ScheduleRun(ctx context.Context, name string) (ScheduleRun, error) {
	var (
		r           ScheduleRun
		org         sql.NullInt64
		since, last string
	)
	err := s.read.QueryRowContext(ctx, `SELECT name, org_id, since, coalesce(last_run_at, ''), outcome, detail
		FROM schedule_runs WHERE name = ?`, name).Scan(&r.Name, &org, &since, &last, &r.Outcome, &r.Detail)
	if errors.Is(err, sql.ErrNoRows) {
		return ScheduleRun{}, fmt.Errorf("storage: scheduled job %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return ScheduleRun{}, fmt.Errorf("storage: scheduled job %q: %w", name, err)
	}
	r.OrgID = org.Int64
	if r.Since, err = parseTime(since); err != nil {
		return ScheduleRun{}, err
	}
	if last != "" {
		if r.LastRunAt, err = parseTime(last); err != nil {
			return ScheduleRun{}, err
		}
	}
	return r, nil
}

// ScheduleSince records that a scheduled job has had its current schedule
// since at; when reset is false, an existing row keeps its time (the job
// was scheduled so before). A job of an organization that no longer exists
// is ErrNotFound.
func (s *Store) ScheduleSince(ctx context.Context, name string, orgID int64, at time.Time, reset bool) error {
	err := s.Tx(ctx, func(tx *Tx) error {
		q := `INSERT INTO schedule_runs (name, org_id, since) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`
		if reset {
			q = `INSERT INTO schedule_runs (name, org_id, since) VALUES (?, ?, ?)
				ON CONFLICT (name) DO UPDATE SET since = excluded.since`
		}
		_, err := tx.tx.ExecContext(ctx, q, name, nullInt(orgID), formatTime(at))
		return err
	})
	if isForeignKeyViolation(err) {
		return fmt.Errorf("storage: schedule %q: organization %d: %w", name, orgID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage: schedule %q: %w", name, err)
	}
	return nil
}

// RecordScheduleRun stores how a scheduled job's run at at ended.
func (s *Store) RecordScheduleRun(ctx context.Context, name string, orgID int64, at time.Time, outcome, detail string) error {
	err := s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO schedule_runs (name, org_id, since, last_run_at, outcome, detail)
			VALUES (?1, ?2, ?3, ?3, ?4, ?5)
			ON CONFLICT (name) DO UPDATE SET last_run_at = ?3, outcome = ?4, detail = ?5`,
			name, nullInt(orgID), formatTime(at), outcome, detail)
		return err
	})
	if isForeignKeyViolation(err) {
		return fmt.Errorf("storage: record run of %q: organization %d: %w", name, orgID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage: record run of %q: %w", name, err)
	}
	return nil
}

// ListOrganizations returns every organization, by id: the scheduler's
// work list.
func (s *Store) ListOrganizations(ctx context.Context) ([]Organization, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT org_id, name, created_at FROM organizations ORDER BY org_id`)
	if err != nil {
		return nil, fmt.Errorf("storage: list organizations: %w", err)
	}
	defer rows.Close()
	var out []Organization
	for rows.Next() {
		var o Organization
		var created string
		if err := rows.Scan(&o.ID, &o.Name, &created); err != nil {
			return nil, fmt.Errorf("storage: list organizations: %w", err)
		}
		if o.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// QueueUnlessActive queues a job unless a job of the same kind for the same
// workspace (or, without one, the same organization) is queued or running:
// then it queues nothing and returns that job as active. When recordSkip is
// set, the skipped run is recorded as a job row that ends at once,
// cancelled, its summary naming the job it met, so that the job list says
// so. The check and the insert are one transaction.
func (s *Store) QueueUnlessActive(ctx context.Context, nj NewJob, recordSkip bool) (queued, active Job, err error) {
	params := string(nj.Params)
	if params == "" {
		params = "{}"
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		active, err = scanJob(tx.tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs
			WHERE org_id = ?1 AND kind = ?2 AND coalesce(workspace_id, '') = ?3 AND status IN ('queued', 'running')
			ORDER BY job_id LIMIT 1`, nj.OrgID, nj.Kind, nj.WorkspaceID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			active = Job{}
			queued, err = scanJob(tx.tx.QueryRowContext(ctx,
				`INSERT INTO jobs (org_id, workspace_id, kind, params) VALUES (?, ?, ?, ?) RETURNING `+jobColumns,
				nj.OrgID, nullString(nj.WorkspaceID), nj.Kind, params))
			return err
		case err != nil:
			return err
		case !recordSkip:
			return nil
		}
		reason := fmt.Sprintf("skipped: %s job %d was already %s", nj.Kind, active.ID, active.Status)
		_, err = tx.tx.ExecContext(ctx, `INSERT INTO jobs (org_id, workspace_id, kind, params, status, summary, error, finished_at)
			VALUES (?, ?, ?, ?, 'cancelled', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
			nj.OrgID, nullString(nj.WorkspaceID), nj.Kind, params, reason, reason)
		return err
	})
	if isForeignKeyViolation(err) {
		return Job{}, Job{}, fmt.Errorf("storage: queue %s job: organization %d or its workspace %q: %w", nj.Kind, nj.OrgID, nj.WorkspaceID, ErrNotFound)
	}
	if err != nil {
		return Job{}, Job{}, fmt.Errorf("storage: queue %s job: %w", nj.Kind, err)
	}
	return queued, active, nil
}
