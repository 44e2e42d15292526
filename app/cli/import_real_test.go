package cli

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lore/app/apptest"
	"lore/app/jobs/importjob"
	"lore/app/jobs/importjob/importtest"
	"lore/app/testlog"
	"lore/app/testshared"
	"lore/storage"
)

// These tests import with the message path itself (Env.Importer nil), as
// lore does.

func brightloom(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(testshared.Path(t, "testdata/brightloom-export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func openStore(t *testing.T, dir string) *storage.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), filepath.Join(dir, "lore.db"), os.DirFS("../../migrations"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestImportWhileAServerRunsRealImporter(t *testing.T) {
	t.Parallel()
	dir, _ := importSetup(t)
	serveFor(t, dir, nil)
	var out testlog.Buffer
	if err := Run(context.Background(), importEnv(dir, &out, nil, "import", "slack-export", brightloom(t), "--workspace", "T0ACME")); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	for _, want := range []string{"queued for the server (pid",
		"imported into workspace T0ACME: 6 channels, 600 messages new, 0 updated, 0 unchanged, 0 skipped in "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n, err := openStore(t, dir).CountMessages(context.Background(), "T0ACME"); err != nil || n != 600 {
		t.Fatalf("%d messages stored (%v), want 600", n, err)
	}
}

// TestImportOfABadExportIsAUsageError: the command checks the file before
// it queues anything, and says what is wrong in one line.
func TestImportOfABadExportIsAUsageError(t *testing.T) {
	t.Parallel()
	dir, _ := importSetup(t)
	bad := writeZip(t, "bad.zip", map[string]string{"channels.json": "[]", "general/../../x/2026-03-01.json": "[]"})
	var out testlog.Buffer
	err := Run(context.Background(), importEnv(dir, &out, nil, "import", "slack-export", bad, "--workspace", "T0ACME"))
	var ue *UsageError
	if !errors.As(err, &ue) || strings.Contains(err.Error(), "\n") ||
		err.Error() != "export "+bad+": general/../../x/2026-03-01.json: refused: a '..' path element" {
		t.Fatalf("bad export: %v", err)
	}
	if list := jobsOf(t, dir); len(list) != 0 {
		t.Errorf("a bad export was queued: %+v", list)
	}
}

// killExport writes an export large enough to take several commits.
func killExport(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := importtest.WriteExport(f, []string{"deploys", "general", "incidents", "support"}, 10, 1000, 0); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportKillChild is the lore import that TestImportKilledResumes
// kills: it runs only when that test starts it.
func TestImportKillChild(t *testing.T) {
	dir, export := os.Getenv("LORE_KILL_CHILD_DIR"), os.Getenv("LORE_KILL_CHILD_EXPORT")
	if dir == "" {
		t.Skip("started by TestImportKilledResumes")
	}
	var out testlog.Buffer
	Run(context.Background(), importEnv(dir, &out, nil, "import", "slack-export", export, "--workspace", "T0ACME"))
	t.Fatal("the import ended before it was killed")
}

// killedImport runs a lore import of export in a child process and kills
// it with SIGKILL once it has committed a checkpoint: its job is left
// running, part of the messages stored. It returns the data directory, its
// store, and how many messages the child stored (it skips the test when
// the child finished first).
func killedImport(t *testing.T, export string, total int64) (string, *storage.Store, int64) {
	t.Helper()
	dir, _ := importSetup(t)
	store := openStore(t, dir)
	child := exec.Command(os.Args[0], "-test.run=^TestImportKillChild$")
	child.Env = append(os.Environ(), "LORE_KILL_CHILD_DIR="+dir, "LORE_KILL_CHILD_EXPORT="+export)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, _ := store.ListJobs(context.Background(), storage.JobFilter{OrgID: 1})
		if len(list) == 1 && list[0].Checkpoint != nil {
			break // a commit is done: kill it, most likely in the next
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatal("the child committed nothing within 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	child.Process.Kill() // SIGKILL: no cleanup at all
	child.Wait()
	n, _ := store.CountMessages(context.Background(), "T0ACME")
	if n >= total {
		t.Skipf("the child finished (%d messages) before it was killed", n)
	}
	if list, _ := store.ListJobs(context.Background(), storage.JobFilter{OrgID: 1}); list[0].Status != storage.JobRunning {
		t.Fatalf("the killed job: %+v", list[0])
	}
	return dir, store, n
}

// cleanImport imports export into a fresh data directory without
// interruption, for comparison.
func cleanImport(t *testing.T, export string) string {
	t.Helper()
	dir, _ := importSetup(t)
	var out testlog.Buffer
	if err := Run(context.Background(), importEnv(dir, &out, nil, "import", "slack-export", export, "--workspace", "T0ACME")); err != nil {
		t.Fatalf("clean import: %v\n%s", err, out.String())
	}
	return dir
}

// checkResumed checks that the killed job, run again, ended as one
// uninterrupted import would have: the same messages and index.
func checkResumed(t *testing.T, job storage.Job, total, killedAt int64, store *storage.Store, cleanDir string) {
	t.Helper()
	if job.Status != storage.JobSucceeded || job.Attempts != 2 {
		t.Fatalf("resumed job: %+v", job)
	}
	if sum, _ := importjob.DecodeSummary(job.Result); !sum.Resumed || sum.New+sum.Unchanged != total {
		t.Errorf("resumed summary: %+v (killed after %d stored)", sum, killedAt)
	}
	apptest.SameMessages(t, store, openStore(t, cleanDir), "T0ACME", "message", "message AND 7", "999")
}

const killTotal = 40_000 // the messages of killExport

// TestImportKilledResumes: a lore import killed with SIGKILL half-way
// leaves its job running; the next runner (a server's) resumes it from its
// checkpoint, and the workspace ends with exactly the messages and index
// of an import that was never interrupted.
func TestImportKilledResumes(t *testing.T) {
	t.Parallel()
	export := killExport(t)
	cleanDir := cleanImport(t, export)
	dir, store, n := killedImport(t, export, killTotal)

	serveFor(t, dir, nil)
	var job storage.Job
	// Only a guard against a hang: under the race detector, beside every
	// other package's tests, the resumed half took most of a minute.
	for deadline := time.Now().Add(3 * time.Minute); ; {
		job, _ = store.Job(context.Background(), 1, 1)
		if job.Finished() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job was not resumed: %+v", job)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkResumed(t, job, killTotal, n, store, cleanDir)
}

// TestImportKilledResumesWithTheNextImport: with no server, the next lore
// import of the same export resumes the killed job itself (no second job),
// while an import of another export leaves it queued for its own resume.
func TestImportKilledResumesWithTheNextImport(t *testing.T) {
	t.Parallel()
	export := killExport(t)
	cleanDir := cleanImport(t, export)
	dir, store, n := killedImport(t, export, killTotal)

	// Another export (into another workspace): its own job; the killed
	// one waits in the queue.
	if _, err := store.CreateWorkspace(context.Background(), 1, "T0OTHER", "Other"); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.zip")
	f, err := os.Create(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := importtest.WriteExport(f, []string{"random"}, 1, 10, 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var out testlog.Buffer
	if err := Run(context.Background(), importEnv(dir, &out, nil, "import", "slack-export", other, "--workspace", "T0OTHER")); err != nil {
		t.Fatalf("import of another export: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "import job 2 running here") {
		t.Errorf("import of another export:\n%s", out.String())
	}
	if job, _ := store.Job(context.Background(), 1, 1); job.Status != storage.JobQueued {
		t.Fatalf("the killed job after another import: %+v", job)
	}

	out = testlog.Buffer{}
	if err := Run(context.Background(), importEnv(dir, &out, nil, "import", "slack-export", export, "--workspace", "T0ACME")); err != nil {
		t.Fatalf("import again: %v\n%s", err, out.String())
	}
	if want := "import job 1, interrupted at "; !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "resumed here") {
		t.Errorf("output lacks %q … resumed here:\n%s", want, out.String())
	}
	if list := jobsOf(t, dir); len(list) != 2 {
		t.Fatalf("jobs: %+v", list)
	}
	job, _ := store.Job(context.Background(), 1, 1)
	checkResumed(t, job, killTotal, n, store, cleanDir)
}
