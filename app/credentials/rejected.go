package credentials

import (
	"context"
	"errors"
	"fmt"

	"lore/storage"
)

// ActionRejected is audited when background work finds the credentials
// rejected by Slack (a backfill or a socket met invalid_auth).
const ActionRejected = "credentials.rejected"

// Rejected records that Slack rejected a Connection's credentials while it
// worked (code: invalid_auth, token_revoked, …): they are marked invalid
// as of now, so the admin sees it and nothing retries them, unless they
// were replaced since the Connection read them (then nothing changes).
func (s *Service) Rejected(ctx context.Context, conn *Connection, code string) error {
	entry := storage.AuditEntry{OrgID: conn.OrgID, WorkspaceID: conn.WorkspaceID, Actor: conn.Purpose, Action: ActionRejected,
		Outcome: "invalid", Detail: map[string]any{"reason": code}}
	rec, c, err := s.open(ctx, conn.OrgID, conn.WorkspaceID)
	if err != nil {
		return err
	}
	if c != conn.Credentials {
		return nil // replaced: the new ones are not the ones Slack rejected
	}
	v := storage.Verification{Valid: false, At: s.now(), Of: rec.Legacy.BotToken}
	if rec.Encrypted {
		v.Of = rec.Sealed.BotToken
	}
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		if err := tx.SetVerification(ctx, conn.OrgID, conn.WorkspaceID, v); err != nil {
			return err
		}
		return tx.AddAudit(ctx, entry)
	})
	if errors.Is(err, storage.ErrConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("credentials: record rejection for workspace %s: %w", conn.WorkspaceID, err)
	}
	s.logger.Warn("slack rejected the credentials; marked invalid", "org_id", conn.OrgID, "workspace_id", conn.WorkspaceID,
		"purpose", conn.Purpose, "reason", code)
	return nil
}
