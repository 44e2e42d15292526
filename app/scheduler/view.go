package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lore/app/settings"
	"lore/storage"
)

// Entry is one scheduled job of an organization as the API shows it.
type Entry struct {
	Name string `json:"name"` // stable: "org-3-backfill"
	Job  string `json:"job"`  // backfill, retention, digest, backup, credential-check, index-statistics
	Cron string `json:"cron"` // 5-field, UTC
	// Every is the schedule in words: "every day at 02:00 UTC".
	Every string `json:"every"`
	// Enabled is false for a job the settings turned off (it has no next run).
	Enabled     bool       `json:"enabled"`
	NextRun     *time.Time `json:"next_run"`
	LastRun     *time.Time `json:"last_run"`
	LastOutcome string     `json:"last_outcome"` // succeeded, failed, skipped; "" when it never ran
	LastDetail  string     `json:"last_detail"`
	// LastJobs are, for a job that queues jobs (backfill, retention), the
	// newest job of that kind per workspace (one for retention): how the
	// work itself went.
	LastJobs []JobRef `json:"last_jobs,omitempty"`
}

// JobRef names a job of the job runner and how it stands.
type JobRef struct {
	ID          int64  `json:"job_id"`
	WorkspaceID string `json:"workspace_id,omitempty"`
	Status      string `json:"status"`
	Summary     string `json:"summary"`
}

// Schedule returns every job of the organization, with the instance's
// nightly backup, credential check and index statistics that cover it: cron, next run (UTC),
// the schedule in words, and the last run and its outcome. It answers from
// the settings, so it is the same whether or not this process's scheduler
// runs; a missing organization is storage.ErrNotFound.
func (s *Scheduler) Schedule(ctx context.Context, orgID int64) ([]Entry, error) {
	set, err := settings.New(s.store).Get(ctx, orgID)
	if err != nil {
		return nil, err
	}
	type item struct {
		name, job, cron string
		enabled         bool
	}
	items := []item{
		{orgJobName(orgID, JobBackfill), JobBackfill, set.String("backfill_schedule"), set.Bool("auto_backfill_enabled")},
		{orgJobName(orgID, JobRetention), JobRetention, RetentionCron, true},
		{orgJobName(orgID, JobDigest), JobDigest, DigestCron, set.Bool("weekly_digest_enabled") && s.tasks.Digest != nil},
	}
	if s.tasks.Backup != nil {
		items = append(items, item{BackupJob, BackupJob, BackupCron, true})
	}
	if s.tasks.CheckCredentials != nil {
		items = append(items, item{CredentialCheckJob, CredentialCheckJob, CredentialCheckCron, true})
	}
	items = append(items, item{IndexStatisticsJob, IndexStatisticsJob, IndexStatisticsCron, true})
	now := s.clock.Now().UTC()
	out := make([]Entry, 0, len(items))
	for _, it := range items {
		e := Entry{Name: it.name, Job: it.job, Cron: it.cron, Every: Describe(it.cron), Enabled: it.enabled}
		if it.enabled {
			if next, err := nextRun(it.cron, now); err == nil {
				e.NextRun = &next
			}
		}
		r, err := s.store.ScheduleRun(ctx, it.name)
		switch {
		case err == nil && !r.LastRunAt.IsZero():
			last := r.LastRunAt
			e.LastRun, e.LastOutcome, e.LastDetail = &last, r.Outcome, r.Detail
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			return nil, err
		}
		if e.LastJobs, err = s.lastJobs(ctx, orgID, it.job); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// lastJobs returns the newest job of the kind a scheduled job queues, per
// workspace for backfills.
func (s *Scheduler) lastJobs(ctx context.Context, orgID int64, job string) ([]JobRef, error) {
	var filters []storage.JobFilter
	switch job {
	case JobBackfill:
		wss, err := s.store.ListWorkspaces(ctx, orgID)
		if err != nil {
			return nil, err
		}
		for _, w := range wss {
			filters = append(filters, storage.JobFilter{OrgID: orgID, WorkspaceID: w.ID, Kind: KindBackfill, Limit: 1})
		}
	case JobRetention:
		filters = append(filters, storage.JobFilter{OrgID: orgID, Kind: KindRetention, Limit: 1})
	}
	var out []JobRef
	for _, f := range filters {
		js, err := s.store.ListJobs(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, j := range js {
			summary := j.Summary
			if summary == "" {
				summary = j.Error
			}
			out = append(out, JobRef{ID: j.ID, WorkspaceID: j.WorkspaceID, Status: j.Status, Summary: summary})
		}
	}
	return out, nil
}

// RetentionPreview is what the next retention run would delete were the
// organization's message_retention_days Days.
type RetentionPreview struct {
	Days     int64     `json:"retention_days"`
	NextRun  time.Time `json:"next_run"` // the next retention run, UTC
	Cutoff   time.Time `json:"cutoff"`   // messages posted before it go
	Messages int64     `json:"messages"` // how many of them there are now
}

// PreviewRetention counts the organization's messages that its next
// retention run would delete with a retention of days: those posted before
// the next run's time less days, as the run computes its cutoff. It changes
// nothing; the settings page warns with it before a change deletes messages.
func (s *Scheduler) PreviewRetention(ctx context.Context, orgID, days int64) (RetentionPreview, error) {
	if _, err := s.store.Organization(ctx, orgID); err != nil {
		return RetentionPreview{}, err
	}
	next, err := s.NextRun(RetentionCron)
	if err != nil {
		return RetentionPreview{}, err
	}
	p := RetentionPreview{Days: days, NextRun: next, Cutoff: next.Add(-time.Duration(days) * 24 * time.Hour)}
	if p.Messages, err = s.store.CountMessagesBefore(ctx, orgID, p.Cutoff); err != nil {
		return RetentionPreview{}, err
	}
	return p, nil
}

// NextRun is the first time after the scheduler's now that a 5-field cron
// expression (UTC) names.
func (s *Scheduler) NextRun(expr string) (time.Time, error) {
	return nextRun(expr, s.clock.Now())
}

var weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// Describe says a 5-field cron expression in words, for the common shapes
// ("every day at 02:00 UTC", "every Monday at 08:00 UTC", "every 15
// minutes"); any other is quoted as it is.
func Describe(expr string) string {
	f := strings.Fields(expr)
	if len(f) != 5 {
		return fmt.Sprintf("on the schedule %q (UTC)", expr)
	}
	minute, hour, dom, month, dow := f[0], f[1], f[2], f[3], f[4]
	m, mErr := strconv.Atoi(minute)
	h, hErr := strconv.Atoi(hour)
	at := fmt.Sprintf("%02d:%02d UTC", h, m)
	if month == "*" && mErr == nil && hErr == nil && m < 60 && h < 24 {
		switch {
		case dom == "*" && dow == "*":
			return "every day at " + at
		case dom == "*" && (dow == "1-5" || dow == "MON-FRI"):
			return "every weekday at " + at
		case dom == "*":
			if d, err := strconv.Atoi(dow); err == nil && d >= 0 && d <= 7 {
				return "every " + weekdays[d%7] + " at " + at
			}
		case dow == "*":
			if d, err := strconv.Atoi(dom); err == nil && d >= 1 && d <= 31 {
				return fmt.Sprintf("on day %d of every month at %s", d, at)
			}
		}
	}
	if hour == "*" && dom == "*" && month == "*" && dow == "*" {
		if mErr == nil && m < 60 {
			return fmt.Sprintf("every hour at minute %d", m)
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(minute, "*/")); strings.HasPrefix(minute, "*/") && err == nil && n > 0 {
			return fmt.Sprintf("every %d minutes", n)
		}
	}
	return fmt.Sprintf("on the schedule %q (UTC)", expr)
}
