package sync

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"lore/app/jobs"
	"lore/storage"
)

// sameMessages fails the test unless two workspaces hold the same messages
// (every stored field but the row id) and the same index.
func sameMessages(t *testing.T, got, want *env, ws string) {
	t.Helper()
	g, w := got.messages(t, ws), want.messages(t, ws)
	if len(g) != len(w) {
		t.Fatalf("%d messages, want %d", len(g), len(w))
	}
	for k, wm := range w {
		gm, ok := g[k]
		gm.ID, wm.ID = 0, 0
		if !ok || gm != wm {
			t.Errorf("%s: %+v, want %+v", k, gm, wm)
		}
	}
	for _, q := range []string{"deploy", "context: freeze OR context: deploy", "inventory", "staging OR production"} {
		if a, b := len(got.search(t, ws, q)), len(want.search(t, ws, q)); a != b {
			t.Errorf("%q finds %d messages, want %d", q, a, b)
		}
	}
}

func TestImportCancelledHalfWayResumesExactly(t *testing.T) {
	t.Parallel()
	zip := shared(t, "brightloom-export.zip")
	clean := newEnv(t, "T058E2SZ5", Limits{BatchSize: 50})
	clean.importFile(t, zip, ImportTarget{WorkspaceID: "T058E2SZ5"})

	// With IndexBatch 1 every batch is indexed after its checkpoint: the
	// cancel then comes between the two.
	for _, limits := range []Limits{{BatchSize: 50}, {BatchSize: 50, IndexBatch: 1}} {
		e := newEnv(t, "T058E2SZ5", limits)
		ctx, cancel := context.WithCancel(context.Background())
		r := &memRun{onSave: func(n int) {
			if n == 4 {
				cancel()
			}
		}}
		first, err := e.svc.ImportExport(ctx, zip, ImportTarget{WorkspaceID: "T058E2SZ5"}, r)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%+v: cancelled import: %v", limits, err)
		}
		n, _ := e.store.CountMessages(context.Background(), "T058E2SZ5")
		if n == 0 || n >= 600 || first.New != n {
			t.Fatalf("%+v: after cancel: %d stored, summary says %d new", limits, n, first.New)
		}
		// What was stored before the cancel is searchable at once.
		if got := e.search(t, "T058E2SZ5", "the"); len(got) == 0 {
			t.Errorf("%+v: the messages stored before the cancel are not indexed", limits)
		}

		resumed, err := e.svc.ImportExport(context.Background(), zip, ImportTarget{WorkspaceID: "T058E2SZ5"}, &memRun{cp: r.Checkpoint()})
		if err != nil {
			t.Fatal(err)
		}
		if !resumed.Resumed || resumed.New != 600 || resumed.Unchanged != 0 {
			t.Errorf("%+v: resumed summary: %+v", limits, resumed)
		}
		sameMessages(t, e, clean, "T058E2SZ5")
	}
}

// fileRun is a jobs.Run that keeps the checkpoint in a file, written atomically, as the job
// runner keeps it in the jobs row: what a killed process leaves behind.
type fileRun struct{ path string }

func (r fileRun) Checkpoint() []byte {
	b, _ := os.ReadFile(r.path)
	return b
}

func (r fileRun) SaveCheckpoint(_ context.Context, data []byte) error {
	tmp := r.path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	return os.Rename(tmp, r.path)
}

func (fileRun) Report(jobs.Progress) {}

func (fileRun) JobID() int64 { return 1 }

// TestImportChild is the process TestImportKilledResumesExactly kills: it
// runs only when that test starts it.
func TestImportChild(t *testing.T) {
	db, zip, cp := os.Getenv("LORE_IMPORT_CHILD_DB"), os.Getenv("LORE_IMPORT_CHILD_ZIP"), os.Getenv("LORE_IMPORT_CHILD_CHECKPOINT")
	if db == "" {
		t.Skip("started by TestImportKilledResumesExactly")
	}
	st, err := storage.Open(context.Background(), db, migrations(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	svc := New(st, slog.New(slog.DiscardHandler), Options{Now: func() time.Time { return fixedNow }, Limits: Limits{BatchSize: 20}})
	svc.ImportExport(context.Background(), zip, ImportTarget{WorkspaceID: "T058E2SZ5"}, fileRun{cp})
	// The parent kills this process before it gets here; if not, it fails.
	t.Fatal("the import finished before it was killed")
}

func TestImportKilledResumesExactly(t *testing.T) {
	t.Parallel()
	zip := shared(t, "brightloom-export.zip")
	clean := newEnv(t, "T058E2SZ5", Limits{})
	clean.importFile(t, zip, ImportTarget{WorkspaceID: "T058E2SZ5"})

	e := newEnv(t, "T058E2SZ5", Limits{BatchSize: 20})
	cp := filepath.Join(t.TempDir(), "checkpoint.json")
	child := exec.Command(os.Args[0], "-test.run=^TestImportChild$")
	child.Env = append(os.Environ(), "LORE_IMPORT_CHILD_DB="+e.dbPath, "LORE_IMPORT_CHILD_ZIP="+zip, "LORE_IMPORT_CHILD_CHECKPOINT="+cp)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it (SIGKILL: no cleanup) once it has committed a few batches,
	// most likely in the middle of the next one.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int64
		if b, err := os.ReadFile(cp); err == nil && len(b) > 0 {
			n, _ = e.store.CountMessages(context.Background(), "T058E2SZ5")
		}
		if n >= 100 {
			break
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatal("the child stored nothing within 30 s")
		}
		time.Sleep(time.Millisecond)
	}
	child.Process.Kill()
	child.Wait()
	n, _ := e.store.CountMessages(context.Background(), "T058E2SZ5")
	if n >= 600 {
		t.Skipf("the child finished (%d messages) before it was killed", n)
	}

	resumed, err := e.svc.ImportExport(context.Background(), zip, ImportTarget{WorkspaceID: "T058E2SZ5"}, fileRun{cp})
	if err != nil {
		t.Fatal(err)
	}
	if !resumed.Resumed || resumed.New+resumed.Unchanged < 600-int64(20+50) {
		t.Errorf("resumed summary: %+v", resumed)
	}
	sameMessages(t, e, clean, "T058E2SZ5")
}
