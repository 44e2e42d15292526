package importjob_test

import (
	"archive/zip"
	"context"
	"errors"
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

type env struct {
	store  *storage.Store
	runner *jobs.Runner
	fake   *importtest.Fake
	org    int64
}

func newEnv(t *testing.T, fake *importtest.Fake) *env {
	t.Helper()
	store, org := newStore(t)
	return &env{store: store, runner: startRunner(t, store, fake), fake: fake, org: org}
}

// newStore is a new database with organization Acme and its workspace T0ACME.
func newStore(t *testing.T) (*storage.Store, int64) {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(t.TempDir(), "lore.db"), os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	org, _ := store.CreateOrganization(ctx, "Acme")
	if _, err := store.CreateWorkspace(ctx, org.ID, "T0ACME", "Acme"); err != nil {
		t.Fatal(err)
	}
	return store, org.ID
}

// startRunner starts a runner over store whose import kind is imp, stopped
// when the test ends.
func startRunner(t *testing.T, store *storage.Store, imp importjob.Importer) *jobs.Runner {
	t.Helper()
	r := jobs.New(store, slog.New(slog.DiscardHandler), jobs.Options{PollInterval: 10 * time.Millisecond, HeartbeatInterval: 10 * time.Millisecond})
	importjob.Register(r, imp)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(context.Background()) })
	return r
}

func writeZip(t *testing.T, files map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range files {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func (e *env) run(t *testing.T, p importjob.Params) storage.Job {
	t.Helper()
	j, err := e.runner.Enqueue(context.Background(), storage.NewJob{OrgID: e.org, WorkspaceID: p.WorkspaceID, Kind: importjob.Kind, Params: p.Encode()})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		j, err = e.store.Job(context.Background(), e.org, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Finished() {
			return j
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("import job did not end: %+v", j)
	return j
}

func TestImportJobEndsWithTheSummary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &importtest.Fake{})
	path := writeZip(t, map[string]string{
		"channels.json":           `[]`,
		"deploys/2026-03-01.json": `[{"ts":"1.1"},{"ts":"1.2"}]`,
		"deploys/2026-03-02.json": `[{"ts":"2.1"}]`,
		"general/2026-03-01.json": `[{"ts":"3.1"}]`,
		"general/2026-03-02.json": `{not json`,
	})
	j := e.run(t, importjob.Params{Path: path, WorkspaceID: "T0ACME", OrgID: e.org})
	if j.Status != storage.JobPartial || j.Summary != "2 channels, 4 messages new, 0 updated, 0 unchanged, 0 skipped; 1 channel-days failed" {
		t.Fatalf("job: %s %q %q", j.Status, j.Summary, j.Error)
	}
	sum, err := importjob.DecodeSummary(j.Result)
	if err != nil || len(sum.FailedDays) != 1 || sum.FailedDays[0].Channel != "general" || sum.FailedDays[0].Date != "2026-03-02" ||
		!strings.Contains(sum.FailedDays[0].Reason, "general/2026-03-02.json") {
		t.Fatalf("detail: %+v, %v", sum, err)
	}
	if j.Progress.ChannelsDone != 4 || j.Progress.ChannelsTotal != 4 || j.Progress.Messages != 4 || j.Progress.Percent != 100 {
		t.Errorf("progress %+v", j.Progress)
	}
	// The command line's file is the admin's: it stays.
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the imported file went: %v", err)
	}

	// Into a new workspace: the fake names TNEW, as if it had created it;
	// the job row then names it too, so that the workspace lists its import.
	if _, err := e.store.CreateWorkspace(context.Background(), e.org, "TNEW", "New"); err != nil {
		t.Fatal(err)
	}
	ok := writeZip(t, map[string]string{"deploys/2026-03-01.json": `[{"ts":"1.1"}]`})
	j = e.run(t, importjob.Params{Path: ok, OrgID: e.org})
	if j.Status != storage.JobSucceeded || j.Summary != "1 channels, 1 messages new, 0 updated, 0 unchanged, 0 skipped" || j.WorkspaceID != "TNEW" {
		t.Fatalf("clean import into a new workspace: %s %q %q workspace %q", j.Status, j.Summary, j.Error, j.WorkspaceID)
	}
	// A workspace of another organization is never written on the row.
	other, _ := e.store.CreateOrganization(context.Background(), "Other")
	if err := e.store.Tx(context.Background(), func(tx *storage.Tx) error { return tx.DeleteWorkspace(context.Background(), e.org, "TNEW") }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.CreateWorkspace(context.Background(), other.ID, "TNEW", "Other's"); err != nil {
		t.Fatal(err)
	}
	if j := e.run(t, importjob.Params{Path: ok, OrgID: e.org}); j.Status != storage.JobSucceeded || j.WorkspaceID != "" {
		t.Fatalf("import naming another organization's workspace: %s workspace %q", j.Status, j.WorkspaceID)
	}
	if calls := e.fake.Calls(); len(calls) != 3 || calls[1].Target != (sync.ImportTarget{OrgID: e.org}) {
		t.Errorf("calls %+v", calls)
	}
}

func TestUploadedExportIsRemovedOnceItsJobEnds(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	e := newEnv(t, &importtest.Fake{Gate: gate})
	upload := writeZip(t, map[string]string{"deploys/2026-03-01.json": `[]`})
	close(gate)
	j := e.run(t, importjob.Params{Path: upload, WorkspaceID: "T0ACME", OrgID: e.org, RemoveAfter: true})
	if j.Status != storage.JobSucceeded {
		t.Fatalf("job %+v", j)
	}
	// The runner removes it just after it stores the job's end, which the
	// test may read first.
	_, err := os.Stat(upload)
	for deadline := time.Now().Add(5 * time.Second); !errors.Is(err, os.ErrNotExist) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		_, err = os.Stat(upload)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the upload is still there after its job ended: %v", err)
	}
	// One whose file has gone fails saying so.
	j = e.run(t, importjob.Params{Path: upload, WorkspaceID: "T0ACME", OrgID: e.org, RemoveAfter: true})
	if j.Status != storage.JobFailed || !strings.Contains(j.Error, "is not there any more") {
		t.Fatalf("job without its file: %s %q", j.Status, j.Error)
	}
}

func TestParamsAreChecked(t *testing.T) {
	t.Parallel()
	for _, p := range []importjob.Params{{Path: "/x.zip"}, {Path: "x.zip", OrgID: 1}} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v: valid, want an error", p)
		}
	}
	e := newEnv(t, &importtest.Fake{})
	j, err := e.runner.Enqueue(context.Background(), storage.NewJob{OrgID: e.org, Kind: importjob.Kind, Params: []byte(`{"path":"/x.zip","org_id":1,"extra":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	for !j.Finished() {
		time.Sleep(5 * time.Millisecond)
		j, _ = e.store.Job(context.Background(), e.org, j.ID)
	}
	if j.Status != storage.JobFailed || !strings.Contains(j.Error, "bad job params") {
		t.Fatalf("job with bad params: %s %q", j.Status, j.Error)
	}
}

func TestSweepUploadsKeepsOnlyWhatActiveJobsOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dataDir := t.TempDir()
	store, err := storage.Open(ctx, filepath.Join(dataDir, "lore.db"), os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	org, _ := store.CreateOrganization(ctx, "Acme")
	dir := importjob.UploadDir(dataDir)
	os.MkdirAll(dir, 0o700)
	owned, ended, orphan := filepath.Join(dir, "owned.zip"), filepath.Join(dir, "ended.zip"), filepath.Join(dir, "half-received.zip")
	for _, p := range []string{owned, ended, orphan} {
		os.WriteFile(p, []byte("PK\x03\x04"), 0o600)
	}
	if _, err := store.CreateJob(ctx, storage.NewJob{OrgID: org.ID, Kind: importjob.Kind,
		Params: importjob.Params{Path: owned, OrgID: org.ID, RemoveAfter: true}.Encode()}); err != nil {
		t.Fatal(err)
	}
	done, _ := store.CreateJob(ctx, storage.NewJob{OrgID: org.ID, Kind: importjob.Kind,
		Params: importjob.Params{Path: ended, OrgID: org.ID, RemoveAfter: true}.Encode()})
	if _, err := store.CancelJob(ctx, org.ID, done.ID); err != nil {
		t.Fatal(err)
	}
	removed, err := importjob.SweepUploads(ctx, store, dataDir)
	if err != nil || len(removed) != 2 {
		t.Fatalf("removed %v, %v; want the ended job's and the orphan", removed, err)
	}
	if _, err := os.Stat(owned); err != nil {
		t.Errorf("the queued job's upload went: %v", err)
	}
	for _, p := range []string{ended, orphan} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there: %v", p, err)
		}
	}
}

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
