package accounts

import (
	"context"

	"lore/storage"
)

// ResetPassword sets a new password for the user with that email without
// asking for the current one, for an admin at the server's command line, and
// revokes every session of the user. It is audited by actor; an unknown
// email is storage.ErrNotFound.
func (s *Service) ResetPassword(ctx context.Context, email, password, actor string) (storage.User, int64, error) {
	fields := map[string]string{}
	email = checkEmail(fields, "email", email)
	checkPassword(fields, "password", password)
	if len(fields) > 0 {
		return storage.User{}, 0, invalid(fields)
	}
	hash, err := s.hash(password)
	if err != nil {
		return storage.User{}, 0, err
	}
	var u storage.User
	var revoked int64
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		var err error
		if u, err = tx.UserByEmail(ctx, email); err != nil {
			return err
		}
		if err := tx.SetPasswordHash(ctx, u.ID, hash); err != nil {
			return err
		}
		if revoked, err = tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		return tx.AddAudit(ctx, storage.AuditEntry{Actor: actor, Action: "user.password_reset",
			Detail: map[string]any{"user_id": u.ID, "sessions_revoked": revoked}})
	})
	return u, revoked, err
}
