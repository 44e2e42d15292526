package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// KeptNightlyBackups is how many nightly backups stay in backups/.
const KeptNightlyBackups = 7

// BackupDir is the folder of the data directory's backups, beside the
// database: the copies taken before migrations and the nightly ones. No key
// is ever written there.
func BackupDir(dbPath string) string { return filepath.Join(filepath.Dir(dbPath), "backups") }

// NightlyBackup writes the nightly backup (backups/lore-nightly-<time>.db)
// with Backup, checked the same way, and removes the oldest nightly copies
// past KeptNightlyBackups. It returns the new copy's path and size.
func (s *Store) NightlyBackup(ctx context.Context, now time.Time) (string, int64, error) {
	dir := BackupDir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("storage: nightly backup: %w", err)
	}
	dest := filepath.Join(dir, "lore-nightly-"+now.UTC().Format("20060102T150405.000Z")+".db")
	if err := s.Backup(ctx, dest); err != nil {
		return "", 0, err
	}
	info, err := os.Stat(dest)
	if err != nil {
		return "", 0, fmt.Errorf("storage: nightly backup: %w", err)
	}
	if _, err := s.pruneBackups(filepath.Join(dir, "lore-nightly-*.db"), KeptNightlyBackups); err != nil {
		return dest, info.Size(), err
	}
	return dest, info.Size(), nil
}

// Restore puts the database file at src in place of the one at dbPath, for
// a stopped Lore (the caller holds the data directory's lock). src must be
// a SQLite database that passes integrity_check and holds a Lore schema no
// newer than latest. The database it replaces, with its WAL, is kept aside
// in backups/ (lore-replaced-<time>.db); the path is returned ("" when there
// was none). The copy is written beside the target and renamed over it, so
// a crash leaves either the old database or the new one.
func Restore(ctx context.Context, src, dbPath string, latest int64, now time.Time) (string, error) {
	if err := checkHeader(src); err != nil {
		return "", err
	}
	info, err := os.Stat(src)
	if err != nil {
		return "", fmt.Errorf("storage: restore: %w", err)
	}
	if info.Size() == 0 {
		return "", fmt.Errorf("storage: restore: %s is empty, not a backup", src)
	}
	if err := IntegrityCheck(ctx, src); err != nil {
		return "", err
	}
	if v, err := backupSchema(ctx, src); err != nil {
		return "", err
	} else if v > latest {
		return "", fmt.Errorf("storage: restore: %s has schema version %d, newer than this lore's %d: run a newer lore", src, v, latest)
	}

	tmp := dbPath + ".restoring"
	if err := copyFile(src, tmp); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("storage: restore: %w", err)
	}
	aside := ""
	if _, err := os.Stat(dbPath); err == nil {
		dir := BackupDir(dbPath)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("storage: restore: %w", err)
		}
		aside = filepath.Join(dir, "lore-replaced-"+now.UTC().Format("20060102T150405.000Z")+".db")
		// The WAL and its index go with the database they belong to.
		for _, suffix := range []string{"-wal", "-shm", ""} {
			err := os.Rename(dbPath+suffix, aside+suffix)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				os.Remove(tmp)
				return "", fmt.Errorf("storage: restore: keep the replaced database aside: %w", err)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		os.Remove(tmp)
		return "", fmt.Errorf("storage: restore: %w", err)
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return aside, fmt.Errorf("storage: restore: %w", err)
	}
	return aside, nil
}

// LatestMigration returns the newest version among the migration files of
// migrations (NNNNN_name.sql), without a database.
func LatestMigration(migrations fs.FS) (int64, error) {
	names, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return 0, fmt.Errorf("storage: migrations: %w", err)
	}
	var latest int64
	for _, n := range names {
		num, _, ok := strings.Cut(n, "_")
		if v, err := strconv.ParseInt(num, 10, 64); ok && err == nil {
			latest = max(latest, v)
		}
	}
	if latest == 0 {
		return 0, errors.New("storage: no migrations given")
	}
	return latest, nil
}

// backupSchema reads the schema version of the database at path, read-only.
func backupSchema(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+uriPath(path)+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("storage: open %s: %w", path, err)
	}
	defer db.Close()
	var v sql.NullInt64
	err = db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v)
	if err != nil || !v.Valid || v.Int64 == 0 {
		return 0, fmt.Errorf("storage: restore: %s is a SQLite database but not a Lore backup (no schema version)", path)
	}
	return v.Int64, nil
}

// copyFile copies src to a new file dst (mode 0600) and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
