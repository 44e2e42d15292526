package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMigrationBacksUpFirst: before a migration changes a database that has
// a schema, a checked copy goes to the data directory's backups/ folder, the
// last three kept; a new database gets none.
func TestMigrationBacksUpFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	backups := filepath.Join(filepath.Dir(s.path), "backups")
	if _, err := os.Stat(backups); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a new database was backed up: %v", err)
	}
	list, err := s.Migrations(ctx)
	if err != nil || len(list) < 2 {
		t.Fatalf("migrations: %v %v", list, err)
	}
	// The version before the newest (versions need not be contiguous).
	previous := list[len(list)-2].Version
	if _, err := s.write.ExecContext(ctx, `INSERT INTO organizations (name) VALUES ('Acme')`); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := s.MigrateTo(ctx, previous); err != nil {
			t.Fatal(err)
		}
		if err := s.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(backups, "*"))
		if want := min(i+1, 3); len(files) != want {
			t.Fatalf("after %d migrations: backups %v, want %d", i+1, files, want)
		}
	}
	files, _ := filepath.Glob(filepath.Join(backups, "*"))
	last := files[len(files)-1]
	if !strings.Contains(filepath.Base(last), fmt.Sprintf("schema%d", previous)) {
		t.Errorf("backup %s does not name the schema it holds", last)
	}
	if err := IntegrityCheck(ctx, last); err != nil {
		t.Fatal(err)
	}
	copy, err := Open(ctx, last, migrationsFS(), discard, SkipMigrations())
	if err != nil {
		t.Fatal(err)
	}
	defer copy.Close()
	if v, _ := copy.SchemaVersion(ctx); v != previous {
		t.Errorf("the backup has schema %d, want %d (from before the migration)", v, previous)
	}
	var name string
	if err := copy.read.QueryRowContext(ctx, `SELECT name FROM organizations`).Scan(&name); err != nil || name != "Acme" {
		t.Errorf("the backup's data: %q %v", name, err)
	}
	if info, _ := os.Stat(backups); info.Mode().Perm() != 0o700 {
		t.Errorf("backups folder mode %v, want 0700", info.Mode().Perm())
	}
}
