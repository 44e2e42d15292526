package storage

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"
)

// MigrateTo migrates up or down to exactly version (0 undoes everything),
// for tests that build a database of an older schema.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	current, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	var results []*goose.MigrationResult
	if version >= current {
		results, err = p.UpTo(ctx, version)
	} else {
		results, err = p.DownTo(ctx, version)
	}
	for _, r := range results {
		s.logMigration(r)
	}
	if err != nil {
		return fmt.Errorf("storage: migrate %s to %d: %w", s.path, version, err)
	}
	return nil
}
