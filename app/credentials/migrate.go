package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"lore/storage"
)

// MigrateResult counts what a plaintext migration did.
type MigrateResult struct {
	Migrated int
	Skipped  int // nothing in plaintext to migrate
	Failed   int
	Errors   []MigrateError
}

// MigrateError is why one workspace failed to migrate; it holds no secret.
type MigrateError struct {
	WorkspaceID string
	Err         string
}

// Migrate encrypts the legacy plaintext credentials of one workspace (any
// organization's), or of every workspace when workspaceID is "". For each
// it encrypts, checks that decrypting gives back the same bytes and clears
// the plaintext, in one transaction per workspace; a workspace that fails
// is counted and left as it was. Then it checkpoints the WAL so that no
// plaintext stays in the files. The error is for what stops the whole run
// (no key, an unknown workspace, a failed checkpoint).
func (s *Service) Migrate(ctx context.Context, actor, workspaceID string) (MigrateResult, error) {
	var res MigrateResult
	if s.keys == nil {
		return res, ErrNoKey
	}
	states, err := s.store.ListCredentialStates(ctx, 0)
	if err != nil {
		return res, fmt.Errorf("credentials: migrate: %w", err)
	}
	if workspaceID != "" {
		var one []storage.CredentialState
		for _, st := range states {
			if st.WorkspaceID == workspaceID {
				one = append(one, st)
			}
		}
		if len(one) == 0 {
			return res, fmt.Errorf("credentials: migrate: workspace %s: %w", workspaceID, storage.ErrNotFound)
		}
		states = one
	}
	for _, st := range states {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if !st.HasPlaintext {
			res.Skipped++
			continue
		}
		migrated, err := s.migrateOne(ctx, actor, st)
		switch {
		case err != nil:
			res.Failed++
			res.Errors = append(res.Errors, MigrateError{WorkspaceID: st.WorkspaceID, Err: err.Error()})
			s.logger.Error("could not migrate plaintext slack credentials", "org_id", st.OrgID,
				"workspace_id", st.WorkspaceID, slog.Any("error", err))
		case migrated:
			res.Migrated++
			s.logger.Info("slack credentials migrated from plaintext", "org_id", st.OrgID, "workspace_id", st.WorkspaceID)
		default:
			res.Skipped++
		}
	}
	if err := s.checkpoint(ctx); err != nil {
		return res, fmt.Errorf("credentials: migrate: plaintext cleared, but the WAL could not be checkpointed yet: %w", err)
	}
	return res, nil
}

// migrateOne migrates one workspace in one transaction; false means there
// was nothing to do after all.
func (s *Service) migrateOne(ctx context.Context, actor string, st storage.CredentialState) (bool, error) {
	entry := storage.AuditEntry{OrgID: st.OrgID, WorkspaceID: st.WorkspaceID, Actor: actor, Action: ActionMigrate}
	migrated := false
	err := s.store.Tx(ctx, func(tx *storage.Tx) error {
		rec, err := tx.Credentials(ctx, st.OrgID, st.WorkspaceID)
		if err != nil {
			return err
		}
		if rec.Legacy.IsZero() {
			return nil
		}
		migrated = true
		if rec.Encrypted {
			// The encrypted set is the one in use; the plaintext beside it
			// is a leftover of the original system's phase one.
			if err := tx.ClearLegacyCredentials(ctx, st.OrgID, st.WorkspaceID); err != nil {
				return err
			}
			entry.Detail = map[string]any{"cleared_leftover_plaintext": true}
			return tx.AddAudit(ctx, entry)
		}
		plain := rec.Legacy
		sealed, err := s.seal(plain)
		if err != nil {
			return err
		}
		back, err := s.unseal(sealed)
		if err != nil {
			return fmt.Errorf("check encryption: %w", err)
		}
		if back != plain {
			return errors.New("check encryption: decrypting did not give back the same bytes")
		}
		if err := tx.EncryptCredentialsInPlace(ctx, st.OrgID, st.WorkspaceID, sealed); err != nil {
			return err
		}
		entry.Detail = map[string]any{"encryption_version": sealed.Version}
		return tx.AddAudit(ctx, entry)
	})
	if err != nil {
		s.auditFailure(ctx, entry, outcomeOf(err), map[string]any{"error": err.Error()})
		return false, err
	}
	return migrated, nil
}
