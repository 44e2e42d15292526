package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Backup writes a consistent copy of the database to dest with VACUUM INTO,
// which reads one snapshot while writers go on. It refuses to overwrite an
// existing file, and checks that the copy opens and passes integrity_check;
// a copy that fails is removed.
func (s *Store) Backup(ctx context.Context, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("storage: backup: %s already exists; choose a new file name", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: backup: %w", err)
	}
	// VACUUM INTO writes, so it cannot run on the query_only readers; a
	// dedicated connection keeps it from holding up the writer.
	db, err := sql.Open("sqlite", dsn(s.path, false))
	if err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("storage: backup to %s: %w", dest, err)
	}
	if err := IntegrityCheck(ctx, dest); err != nil {
		os.Remove(dest)
		return err
	}
	return nil
}

// IntegrityCheck opens the database at path read-only and runs PRAGMA
// integrity_check, returning an error naming the first problem found.
func IntegrityCheck(ctx context.Context, path string) error {
	if err := checkHeader(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+uriPath(path)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("storage: open %s: %w", path, err)
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil {
		return fmt.Errorf("storage: integrity check of %s: %w", path, err)
	}
	if result != "ok" {
		return fmt.Errorf("storage: integrity check of %s failed: %s", path, result)
	}
	return nil
}
