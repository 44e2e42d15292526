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
	// Creating the file first, exclusively, refuses an existing file without
	// a race and makes the copy private to its owner; VACUUM INTO accepts
	// an empty file.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("storage: backup: %s already exists; choose a new file name", dest)
	}
	if err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	f.Close()
	// VACUUM INTO writes, so it cannot run on the query_only readers; a
	// dedicated connection keeps it from holding up the writer.
	db, err := sql.Open("sqlite", dsn(s.path, false))
	if err != nil {
		os.Remove(dest)
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
