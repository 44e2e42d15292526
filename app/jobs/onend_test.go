package jobs

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"lore/storage"
)

// TestOnEndIsToldOfEachEndedJob: the kind's observer gets the job as
// stored once it ended, and what it does changes nothing of the end.
func TestOnEndIsToldOfEachEndedJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	r := New(e.store, slog.New(slog.DiscardHandler), fastOptions)
	r.Register("flaky", func(context.Context, []byte, Run) (Outcome, error) { return Outcome{}, errors.New("token_revoked") }, false)
	var told []storage.Job
	r.OnEnd("flaky", func(_ context.Context, j storage.Job) { told = append(told, j) })
	j, err := r.Enqueue(ctx, storage.NewJob{OrgID: e.org, WorkspaceID: e.ws, Kind: "flaky"})
	if err != nil {
		t.Fatal(err)
	}
	ended, err := r.RunJob(ctx, e.org, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || told[0].ID != j.ID || told[0].Status != storage.JobFailed || told[0].Error != "token_revoked" ||
		ended.Status != storage.JobFailed {
		t.Fatalf("told %+v; job ended %s", told, ended.Status)
	}
	// A second queued job of the same workspace is refused by
	// EnqueueUnlessActive, and recorded as skipped when asked.
	q, _ := r.Enqueue(ctx, storage.NewJob{OrgID: e.org, WorkspaceID: e.ws, Kind: "flaky"})
	_, active, err := r.EnqueueUnlessActive(ctx, storage.NewJob{OrgID: e.org, WorkspaceID: e.ws, Kind: "flaky"}, true)
	if err != nil || active.ID != q.ID {
		t.Fatalf("active = %d (%v), want job %d", active.ID, err, q.ID)
	}
	list, _ := r.ListJobs(ctx, storage.JobFilter{OrgID: e.org, Kind: "flaky"})
	if len(list) != 3 || list[0].Status != storage.JobCancelled || list[0].Summary == "" {
		t.Fatalf("jobs = %+v", list)
	}
}
