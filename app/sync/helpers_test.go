package sync

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"lore/app/jobs"
	"lore/app/testshared"
	"lore/storage"
)

// shared is a file of the shared test data, read in place (never copied: the
// real exports' licences are not Lore's).
func shared(t testing.TB, rel string) string {
	t.Helper()
	return testshared.Path(t, "testdata/"+rel)
}

// migrations is the repository's migrations folder (not apptest's: app
// imports this package).
func migrations() fs.FS { return os.DirFS(filepath.Join("..", "..", "migrations")) }

// fixedNow is the tests' clock: the day after Brightloom's export ends.
var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

type env struct {
	store  *storage.Store
	dbPath string
	svc    *Service
	orgID  int64
}

// newEnv opens a fresh database with one organization and, when ws is not
// empty, one workspace of it.
func newEnv(t testing.TB, ws string, limits Limits) *env {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lore.db")
	st, err := storage.Open(ctx, path, migrations(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, err := st.CreateOrganization(ctx, "Brightloom")
	if err != nil {
		t.Fatal(err)
	}
	if ws != "" {
		if _, err := st.CreateWorkspace(ctx, org.ID, ws, "Brightloom"); err != nil {
			t.Fatal(err)
		}
	}
	return &env{store: st, dbPath: path, orgID: org.ID,
		svc: New(st, slog.New(slog.DiscardHandler), Options{Now: func() time.Time { return fixedNow }, Limits: limits})}
}

// memRun is a jobs.Run that keeps checkpoints and progress in memory;
// onSave, when set, runs after each saved checkpoint (to cancel an import
// half-way).
type memRun struct {
	mu       gosync.Mutex
	cp       []byte
	saves    int
	progress []jobs.Progress
	onSave   func(n int)
}

func (r *memRun) JobID() int64 { return 1 }

func (r *memRun) Checkpoint() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cp
}

func (r *memRun) SaveCheckpoint(_ context.Context, data []byte) error {
	r.mu.Lock()
	r.cp = append([]byte(nil), data...)
	r.saves++
	n, f := r.saves, r.onSave
	r.mu.Unlock()
	if f != nil {
		f(n)
	}
	return nil
}

func (r *memRun) Report(p jobs.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress = append(r.progress, p)
}

func (e *env) importFile(t testing.TB, path string, target ImportTarget) ImportSummary {
	t.Helper()
	sum, err := e.svc.ImportExport(context.Background(), path, target, &memRun{})
	if err != nil {
		t.Fatalf("import %s: %v", filepath.Base(path), err)
	}
	return sum
}

// messages returns the workspace's messages keyed by channel name and ts.
func (e *env) messages(t testing.TB, ws string) map[string]storage.Message {
	t.Helper()
	ctx := context.Background()
	chans, err := e.store.ListChannels(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, c := range chans {
		names[c.ID] = c.Name
	}
	list, err := e.store.ListMessages(ctx, ws, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]storage.Message{}
	for _, m := range list {
		out[names[m.ChannelID]+"/"+m.TS] = m
	}
	return out
}

// search returns "channel/ts" of the messages an FTS5 query finds, best first.
func (e *env) search(t testing.TB, ws, match string) []string {
	t.Helper()
	ids, err := e.store.SearchMessages(context.Background(), ws, match, 20)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]string{}
	for k, m := range e.messages(t, ws) {
		byID[m.ID] = k
	}
	var out []string
	for _, id := range ids {
		out = append(out, byID[id])
	}
	return out
}
