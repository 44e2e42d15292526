package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry is one row of the audit log: who did what to which secret or
// setting, and how it went. Detail never holds a secret.
type AuditEntry struct {
	ID          int64
	OrgID       int64 // 0 when the action is not about one organization
	WorkspaceID string
	Actor       string // "user:12", "token:3", "cli", "system"
	Action      string // e.g. "credentials.store", "settings.update"
	Outcome     string // "ok" or a short failure reason
	Detail      map[string]any
	CreatedAt   time.Time
}

// AddAudit appends an entry to the audit log in this transaction, so it
// commits (or not) with the change it records.
func (tx *Tx) AddAudit(ctx context.Context, e AuditEntry) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("storage: audit detail: %w", err)
	}
	if e.Detail == nil {
		detail = []byte("{}")
	}
	if e.Outcome == "" {
		e.Outcome = "ok"
	}
	_, err = tx.tx.ExecContext(ctx,
		`INSERT INTO audit_log (org_id, workspace_id, actor, action, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		nullInt(e.OrgID), nullString(e.WorkspaceID), e.Actor, e.Action, e.Outcome, string(detail))
	if err != nil {
		return fmt.Errorf("storage: add audit %s: %w", e.Action, err)
	}
	return nil
}

// AddAudit appends an entry to the audit log on its own, for actions that
// change nothing else (a failed verification, a read of a secret for use).
func (s *Store) AddAudit(ctx context.Context, e AuditEntry) error {
	return s.Tx(ctx, func(tx *Tx) error { return tx.AddAudit(ctx, e) })
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	OrgID       int64
	WorkspaceID string
	Action      string
	Actor       string    // exactly, e.g. "user:12"
	Since       time.Time // entries at or after
	Until       time.Time // entries before
	// Before pages back: only entries older than the entry with this id
	// (the last one of the page before).
	Before int64
	Limit  int // default 100
}

// ListAudit returns audit entries, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	query, args := auditQuery(f)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list audit: %w", err)
	}
	return collect(rows, "list audit", scanAudit)
}

func scanAudit(rows *sql.Rows) (AuditEntry, error) {
	var e AuditEntry
	var detail, created string
	if err := rows.Scan(&e.ID, &e.OrgID, &e.WorkspaceID, &e.Actor, &e.Action, &e.Outcome, &detail, &created); err != nil {
		return AuditEntry{}, err
	}
	if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
		return AuditEntry{}, fmt.Errorf("audit %d detail: %w", e.ID, err)
	}
	var err error
	if e.CreatedAt, err = parseTime(created); err != nil {
		return AuditEntry{}, err
	}
	return e, nil
}

// auditQuery builds ListAudit's query from the filters given, so that each
// condition can use an index (migration 00013).
func auditQuery(f AuditFilter) (string, []any) {
	where, args := whereSet(
		condition{"org_id", f.OrgID, f.OrgID != 0},
		condition{"workspace_id", f.WorkspaceID, f.WorkspaceID != ""},
		condition{"action", f.Action, f.Action != ""},
		condition{"actor", f.Actor, f.Actor != ""},
		condition{"created_at >=", formatTime(f.Since), !f.Since.IsZero()},
		condition{"created_at <", formatTime(f.Until), !f.Until.IsZero()},
		condition{"audit_id <", f.Before, f.Before != 0},
	)
	query := `SELECT audit_id, coalesce(org_id, 0), coalesce(workspace_id, ''), actor, action, outcome, detail, created_at
		FROM audit_log` + where
	return query + " ORDER BY audit_id DESC LIMIT ?", append(args, f.Limit)
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

func nullString(v string) sql.NullString { return sql.NullString{String: v, Valid: v != ""} }
