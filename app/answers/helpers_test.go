package answers

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lore/app/apptest"
	"lore/app/sync"
	"lore/storage"
)

// shared is a file of the shared test data, read in place.
func shared(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data: %v", err)
	}
	return p
}

// env is a fresh database with one organization and the answers service.
type env struct {
	store *storage.Store
	sync  *sync.Service
	svc   *Service
	orgID int64
}

func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, filepath.Join(t.TempDir(), "lore.db"), os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, err := st.CreateOrganization(ctx, "Brightloom")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(ctx, st, slog.New(slog.DiscardHandler), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	now := func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	return &env{store: st, svc: svc, orgID: org.ID, sync: sync.New(st, slog.New(slog.DiscardHandler), sync.Options{Now: now})}
}

// nopReporter discards an import's checkpoints and progress.
type nopReporter struct{}

func (nopReporter) Checkpoint() []byte                           { return nil }
func (nopReporter) SaveCheckpoint(context.Context, []byte) error { return nil }
func (nopReporter) Report(sync.Progress)                         {}

// importExport imports an export ZIP into a workspace of the organization.
func (e *env) importExport(t testing.TB, path, ws string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.store.CreateWorkspace(ctx, e.orgID, ws, "Brightloom"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sync.ImportExport(ctx, path, sync.ImportTarget{WorkspaceID: ws}, nopReporter{}); err != nil {
		t.Fatal(err)
	}
}
