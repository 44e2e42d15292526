// Package apptest builds a fresh app.App over a new database file in a
// test's temporary directory, migrated with the repository's migrations.
package apptest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"lore/app"
)

// Open returns an App over a new database in t.TempDir(), closed when the
// test ends. Logs are discarded.
func Open(t testing.TB) *app.App {
	t.Helper()
	a, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir()}, os.DirFS(MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("apptest: open app: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("apptest: close app: %v", err)
		}
	})
	return a
}

// MigrationsDir is the repository's migrations folder, found from this
// file's location so that tests in any package can use it.
func MigrationsDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("apptest: cannot locate the migrations folder")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "migrations")
}
