package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// InstanceLLM is the instance's optional model endpoint as stored: the API
// key only as a Fernet token.
type InstanceLLM struct {
	BaseURL           string
	Model             string
	APIKeyEncrypted   string // "" when there is no key
	EncryptionVersion int    // the key version of APIKeyEncrypted; 0 without one
	Timeout           time.Duration
	UpdatedAt         time.Time
}

// InstanceLLM returns the stored model endpoint, or ErrNotFound when none was
// ever set.
func (s *Store) InstanceLLM(ctx context.Context) (InstanceLLM, error) {
	var l InstanceLLM
	var key sql.NullString
	var version sql.NullInt64
	var ms int64
	var updated string
	err := s.read.QueryRowContext(ctx, `SELECT base_url, model, api_key_encrypted, encryption_version, timeout_ms, updated_at
		FROM instance_llm WHERE id = 1`).Scan(&l.BaseURL, &l.Model, &key, &version, &ms, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return InstanceLLM{}, fmt.Errorf("storage: instance model: %w", ErrNotFound)
	}
	if err != nil {
		return InstanceLLM{}, fmt.Errorf("storage: instance model: %w", err)
	}
	l.APIKeyEncrypted, l.EncryptionVersion, l.Timeout = key.String, int(version.Int64), time.Duration(ms)*time.Millisecond
	if l.UpdatedAt, err = parseTime(updated); err != nil {
		return InstanceLLM{}, err
	}
	return l, nil
}

// SaveInstanceLLM stores the model endpoint, replacing what was stored, with
// an audit row by actor naming what changed (never the key).
func (tx *Tx) SaveInstanceLLM(ctx context.Context, l InstanceLLM, actor string, detail map[string]any) error {
	var key sql.NullString
	var version sql.NullInt64
	if l.APIKeyEncrypted != "" {
		key = sql.NullString{String: l.APIKeyEncrypted, Valid: true}
		version = sql.NullInt64{Int64: int64(l.EncryptionVersion), Valid: true}
	}
	_, err := tx.tx.ExecContext(ctx, `
		INSERT INTO instance_llm (id, base_url, model, api_key_encrypted, encryption_version, timeout_ms)
		VALUES (1, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET base_url = excluded.base_url, model = excluded.model,
			api_key_encrypted = excluded.api_key_encrypted, encryption_version = excluded.encryption_version,
			timeout_ms = excluded.timeout_ms, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
		l.BaseURL, l.Model, key, version, l.Timeout.Milliseconds())
	if err != nil {
		return fmt.Errorf("storage: save instance model: %w", err)
	}
	return tx.AddAudit(ctx, AuditEntry{Actor: actor, Action: "instance.llm.update", Detail: detail})
}
