package importjob_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lore/app/apptest"
	"lore/app/jobs"
	"lore/app/jobs/importjob"
	"lore/app/jobs/importjob/importtest"
	"lore/app/sync"
	"lore/storage"
)

// realRunner starts a runner over store whose import kind is the message
// path itself.
func realRunner(t *testing.T, store *storage.Store) *jobs.Runner {
	t.Helper()
	return startRunner(t, store, sync.New(store, slog.New(slog.DiscardHandler), sync.Options{Limits: sync.Limits{BatchSize: 2000}}))
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 60 s", what)
		}
	}
}

// TestImportStoppedHalfWayResumes: a server that stops during an import
// cancels its context; the next runner resumes the job from its checkpoint
// and the workspace ends with exactly the messages of an uninterrupted one.
func TestImportStoppedHalfWayResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	export := filepath.Join(t.TempDir(), "export.zip")
	f, _ := os.Create(export)
	if err := importtest.WriteExport(f, []string{"deploys", "general", "support"}, 10, 600, 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	const total = 18_000
	params := importjob.Params{Path: export, WorkspaceID: "T0ACME"}

	clean, cleanOrg := newStore(t)
	params.OrgID = cleanOrg
	r := realRunner(t, clean)
	j, _ := r.Enqueue(ctx, storage.NewJob{OrgID: cleanOrg, WorkspaceID: "T0ACME", Kind: importjob.Kind, Params: params.Encode()})
	waitFor(t, "the clean import", func() bool { j, _ = clean.Job(ctx, cleanOrg, j.ID); return j.Finished() })
	if j.Status != storage.JobSucceeded {
		t.Fatalf("clean import: %+v", j)
	}

	store, org := newStore(t)
	params.OrgID = org
	first := realRunner(t, store)
	j, _ = first.Enqueue(ctx, storage.NewJob{OrgID: org, WorkspaceID: "T0ACME", Kind: importjob.Kind, Params: params.Encode()})
	waitFor(t, "a first commit", func() bool { j, _ = store.Job(ctx, org, j.ID); return j.Checkpoint != nil || j.Finished() })
	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	n, _ := store.CountMessages(ctx, "T0ACME")
	if j, _ = store.Job(ctx, org, j.ID); j.Finished() || n >= total {
		t.Skipf("the import ended (%s, %d messages) before the stop", j.Status, n)
	}

	realRunner(t, store)
	waitFor(t, "the resumed import", func() bool { j, _ = store.Job(ctx, org, j.ID); return j.Finished() })
	sum, err := importjob.DecodeSummary(j.Result)
	if j.Status != storage.JobSucceeded || err != nil || !sum.Resumed || sum.New+sum.Unchanged != total {
		t.Fatalf("resumed job: %+v, summary %+v (stopped after %d stored)", j, sum, n)
	}
	apptest.SameMessages(t, store, clean, "T0ACME", "message", "message AND 7")
}

// TestImportIntoAnotherOrganizationsWorkspaceFails: the job carries its
// organization, and the message path finds no such workspace in it.
func TestImportIntoAnotherOrganizationsWorkspaceFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, _ := newStore(t)
	other, _ := store.CreateOrganization(ctx, "Other")
	r := realRunner(t, store)
	export := filepath.Join(t.TempDir(), "export.zip")
	f, _ := os.Create(export)
	importtest.WriteExport(f, []string{"deploys"}, 1, 3, 0)
	f.Close()
	p := importjob.Params{Path: export, WorkspaceID: "T0ACME", OrgID: other.ID}
	j, err := r.Enqueue(ctx, storage.NewJob{OrgID: other.ID, Kind: importjob.Kind, Params: p.Encode()})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the job", func() bool { j, _ = store.Job(ctx, other.ID, j.ID); return j.Finished() })
	if j.Status != storage.JobFailed || !strings.Contains(j.Error, "not found") {
		t.Fatalf("job: %s %q", j.Status, j.Error)
	}
	if n, _ := store.CountMessages(ctx, "T0ACME"); n != 0 {
		t.Errorf("%d messages stored into another organization's workspace", n)
	}
}
