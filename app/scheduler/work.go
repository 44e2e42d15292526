package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"lore/app/backfill"
	"lore/app/jobs"
	"lore/app/settings"
	"lore/storage"
)

// queueBackfills queues a backfill of each of the organization's
// workspaces, skipping (and recording as skipped) each that has one queued
// or running already.
func (s *Scheduler) queueBackfills(ctx context.Context, orgID int64) (string, string, error) {
	set, err := settings.New(s.store).Get(ctx, orgID)
	if err != nil {
		return "", "", err
	}
	wss, err := s.store.ListWorkspaces(ctx, orgID)
	if err != nil {
		return "", "", err
	}
	if len(wss) == 0 {
		return storage.RunSkipped, "no workspace to backfill", nil
	}
	var queued, skipped []string
	for _, w := range wss {
		params, _ := json.Marshal(backfill.Params{OrgID: orgID, WorkspaceID: w.ID, DaysBack: int(set.Int("backfill_days_back"))})
		j, active, err := s.jobs.EnqueueUnlessActive(ctx, storage.NewJob{OrgID: orgID, WorkspaceID: w.ID, Kind: KindBackfill, Params: params}, true)
		if err != nil {
			return "", "", err
		}
		if active.ID != 0 {
			skipped = append(skipped, fmt.Sprintf("%s (backfill job %d already %s)", w.ID, active.ID, active.Status))
			continue
		}
		queued = append(queued, fmt.Sprintf("%s (job %d)", w.ID, j.ID))
	}
	detail := fmt.Sprintf("queued %d backfill(s) of %d days", len(queued), set.Int("backfill_days_back"))
	if len(queued) > 0 {
		detail += ": " + strings.Join(queued, ", ")
	}
	if len(skipped) > 0 {
		detail += "; skipped " + strings.Join(skipped, ", ")
	}
	if len(queued) == 0 {
		return storage.RunSkipped, detail, nil
	}
	return storage.RunSucceeded, detail, nil
}

// retentionParams is what a retention job is queued with.
type retentionParams struct {
	OrgID int64 `json:"org_id"`
}

// queueRetention queues the organization's retention run, unless one is
// queued or running.
func (s *Scheduler) queueRetention(ctx context.Context, orgID int64) (string, string, error) {
	j, active, err := s.enqueueRetention(ctx, orgID, true)
	if err != nil {
		return "", "", err
	}
	if active.ID != 0 {
		return storage.RunSkipped, fmt.Sprintf("retention job %d was already %s", active.ID, active.Status), nil
	}
	return storage.RunSucceeded, fmt.Sprintf("queued retention job %d", j.ID), nil
}

func (s *Scheduler) enqueueRetention(ctx context.Context, orgID int64, recordSkip bool) (queued, active storage.Job, err error) {
	params, _ := json.Marshal(retentionParams{OrgID: orgID})
	return s.jobs.EnqueueUnlessActive(ctx, storage.NewJob{OrgID: orgID, Kind: KindRetention, Params: params}, recordSkip)
}

// ErrRetentionActive is returned by RunRetention when the organization's
// retention run is already queued or running; the error names the job.
type ErrRetentionActive struct{ Job storage.Job }

func (e *ErrRetentionActive) Error() string {
	return fmt.Sprintf("retention job %d is already %s", e.Job.ID, e.Job.Status)
}

// RunRetention queues the organization's retention run now (POST
// …/retention/run), or returns *ErrRetentionActive naming the one queued or
// running.
func (s *Scheduler) RunRetention(ctx context.Context, orgID int64) (storage.Job, error) {
	j, active, err := s.enqueueRetention(ctx, orgID, false)
	if err != nil {
		return storage.Job{}, err
	}
	if active.ID != 0 {
		return storage.Job{}, &ErrRetentionActive{Job: active}
	}
	return j, nil
}

// RetentionDetail is a retention job's result.
type RetentionDetail struct {
	RetentionDays  int64     `json:"retention_days"`
	Cutoff         time.Time `json:"cutoff"`
	Messages       int64     `json:"messages_deleted"`
	Threads        int64     `json:"threads_reindexed"`
	BytesReclaimed int64     `json:"bytes_reclaimed"`
}

// retentionHandler deletes the organization's messages older than its
// message_retention_days (their index entries and thread context with
// them; never documents), then gives the freed pages back. Running it again
// is harmless, so it resumes after a crash by starting over.
func (s *Scheduler) retentionHandler(ctx context.Context, raw []byte, run jobs.Run) (jobs.Outcome, error) {
	var p retentionParams
	if err := json.Unmarshal(raw, &p); err != nil || p.OrgID == 0 {
		return jobs.Outcome{}, fmt.Errorf("retention: bad parameters %q", raw)
	}
	set, err := settings.New(s.store).Get(ctx, p.OrgID)
	if err != nil {
		return jobs.Outcome{}, err
	}
	cutoff := s.clock.Now().UTC().Add(-time.Duration(set.Int("message_retention_days")) * 24 * time.Hour)
	run.Report(jobs.Progress{Current: "deleting messages before " + cutoff.Format(time.DateOnly)})
	res, err := s.store.DeleteMessagesBefore(ctx, p.OrgID, cutoff)
	if err != nil {
		return jobs.Outcome{}, err
	}
	run.Report(jobs.Progress{Percent: 90, Messages: res.Messages, Current: "reclaiming space"})
	freed, err := s.store.ReclaimSpace(ctx)
	if err != nil {
		return jobs.Outcome{}, err
	}
	d := RetentionDetail{RetentionDays: set.Int("message_retention_days"), Cutoff: cutoff, Messages: res.Messages,
		Threads: res.Threads, BytesReclaimed: freed}
	return jobs.Outcome{Detail: d, Summary: fmt.Sprintf("%d messages older than %d days deleted (before %s), %d threads reindexed, %d bytes reclaimed",
		res.Messages, set.Int("message_retention_days"), cutoff.Format(time.DateOnly), res.Threads, freed)}, nil
}

// indexStatistics brings the index's document frequencies, which the
// answers' query planner weighs words by, up to what live events and
// retention changed since an import or backfill last counted them.
func (s *Scheduler) indexStatistics(ctx context.Context, _ time.Time) (string, error) {
	refreshed, n, err := s.store.RefreshTermStatsIfChanged(ctx)
	switch {
	case err != nil:
		return "", err
	case refreshed:
		return fmt.Sprintf("word counts refreshed over %d messages", n), nil
	default:
		return fmt.Sprintf("unchanged since the last count (%d messages)", n), nil
	}
}
