// Package audit reads the audit log: who stored, read, verified, rotated or
// deleted a secret, or changed a setting or a member, and how it went. The
// services write its entries in the transactions of the changes they record.
package audit

import (
	"context"

	"lore/storage"
)

// Service reads the audit log.
type Service struct {
	store *storage.Store
}

// New returns the audit service over store.
func New(store *storage.Store) *Service { return &Service{store: store} }

// List returns the entries f selects, newest first.
func (s *Service) List(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEntry, error) {
	return s.store.ListAudit(ctx, f)
}
