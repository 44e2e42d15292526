package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/pressly/goose/v3"
)

// MigrationStatus is one migration and whether the database has it.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// provider builds a goose provider over the write connection, so migrations
// queue behind (and never collide with) other writes.
func (s *Store) provider() (*goose.Provider, error) {
	if s.migrations == nil {
		return nil, errors.New("storage: no migrations given")
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.write, s.migrations,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("storage: load migrations: %w", err)
	}
	return p, nil
}

// LatestVersion returns the newest schema version this binary's migrations know.
func (s *Store) LatestVersion() (int64, error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, src := range p.ListSources() {
		latest = max(latest, src.Version)
	}
	return latest, nil
}

// SchemaVersion returns the newest migration applied to the database, 0 for
// a new one. It only reads, unlike goose, which creates its table first.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	var exists int
	err := s.read.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`).Scan(&exists)
	if err != nil {
		return 0, fmt.Errorf("storage: %s: %w", s.path, err)
	}
	if exists == 0 {
		return 0, nil
	}
	var v sql.NullInt64
	err = s.read.QueryRowContext(ctx,
		`SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("storage: read schema version of %s: %w", s.path, err)
	}
	return v.Int64, nil
}

// checkVersion refuses a database migrated by a newer Lore: this binary would
// not know its tables, and migrating it down is for the newer binary to do.
func (s *Store) checkVersion(ctx context.Context) error {
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if s.migrations == nil {
		return nil
	}
	latest, err := s.LatestVersion()
	if err != nil {
		return err
	}
	if have > latest {
		return &VersionError{Path: s.path, Have: have, Latest: latest}
	}
	return nil
}

// MigrateUp applies every pending migration, each in its own transaction, and
// logs each one applied. A failing migration is rolled back whole. A database
// that has a schema is first copied to the backups folder (backupBeforeMigration).
func (s *Store) MigrateUp(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	latest, err := s.LatestVersion()
	if err != nil {
		return err
	}
	if have > 0 && have < latest {
		if err := s.backupBeforeMigration(ctx, have); err != nil {
			return err
		}
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		s.logMigration(r)
	}
	if err != nil {
		return fmt.Errorf("storage: migrate %s: %w", s.path, err)
	}
	return nil
}

// MigrateDown rolls back the newest applied migration and returns its
// version, after copying the database to the backups folder.
func (s *Store) MigrateDown(ctx context.Context) (int64, error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	if have > 0 {
		if err := s.backupBeforeMigration(ctx, have); err != nil {
			return 0, err
		}
	}
	r, err := p.Down(ctx)
	if r != nil {
		s.logMigration(r)
	}
	if err != nil {
		return 0, fmt.Errorf("storage: migrate down %s: %w", s.path, err)
	}
	return r.Source.Version, nil
}

// Migrations lists every migration this binary knows and whether it is applied.
func (s *Store) Migrations(ctx context.Context) ([]MigrationStatus, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	list, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("storage: migration status of %s: %w", s.path, err)
	}
	out := make([]MigrationStatus, 0, len(list))
	for _, m := range list {
		out = append(out, MigrationStatus{
			Version:   m.Source.Version,
			Name:      m.Source.Path,
			Applied:   m.State == goose.StateApplied,
			AppliedAt: m.AppliedAt,
		})
	}
	return out, nil
}

func (s *Store) logMigration(r *goose.MigrationResult) {
	if r.Error != nil {
		s.logger.Error("migration failed", "version", r.Source.Version, "file", r.Source.Path,
			"direction", r.Direction, slog.Any("error", r.Error))
		return
	}
	s.logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path,
		"direction", r.Direction, "duration", r.Duration.Round(time.Microsecond))
}

// keptBackups is how many copies taken before migrations stay in backups/.
const keptBackups = 3

// backupBeforeMigration copies the database, of schema version have, to the
// backups folder beside it (lore-<time>-schema<N>.db) and checks the copy,
// before a migration changes it: the original system's "back up the
// database before the encryption migration". Only the database is copied,
// never a key file kept beside it. The newest three copies are kept.
func (s *Store) backupBeforeMigration(ctx context.Context, have int64) error {
	dir := filepath.Join(filepath.Dir(s.path), "backups")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storage: backup before migrating: %w", err)
	}
	dest := filepath.Join(dir, fmt.Sprintf("lore-%s-schema%d.db", time.Now().UTC().Format("20060102T150405.000Z"), have))
	if err := s.Backup(ctx, dest); err != nil {
		return fmt.Errorf("storage: backup before migrating (nothing was migrated): %w", err)
	}
	s.logger.Info("backed up the database before migrating", "backup", dest, "schema_version", have)
	_, err := s.pruneBackups(filepath.Join(dir, "lore-*-schema*.db"), keptBackups)
	return err
}

// pruneBackups removes the oldest of the backups matching pattern, whose
// names sort by their time, so that the newest keep stay, and returns how
// many are kept.
func (s *Store) pruneBackups(pattern string, keep int) (int, error) {
	old, err := filepath.Glob(pattern)
	if err != nil {
		return 0, fmt.Errorf("storage: backups: %w", err)
	}
	sort.Strings(old) // the time in the name sorts them oldest first
	for _, p := range old[:max(0, len(old)-keep)] {
		if err := os.Remove(p); err != nil {
			s.logger.Warn("could not remove an old backup", "backup", p, slog.Any("error", err))
		}
	}
	return min(len(old), keep), nil
}
