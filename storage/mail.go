package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SMTPSettings is the instance's SMTP server as its owner stored it; the
// password is a vault token made with the key of Version ("" when none).
type SMTPSettings struct {
	Host              string
	Port              int
	TLSMode           string // none, starttls, tls
	Username          string
	PasswordEncrypted string
	Version           int
	From              string
	UpdatedAt         time.Time
}

// SMTPSettings returns the stored SMTP settings, or ErrNotFound.
func (s *Store) SMTPSettings(ctx context.Context) (SMTPSettings, error) {
	var (
		m       SMTPSettings
		updated string
	)
	err := s.read.QueryRowContext(ctx, `SELECT host, port, tls_mode, username, password_encrypted, encryption_version,
		from_address, updated_at FROM smtp_settings WHERE id = 1`).Scan(&m.Host, &m.Port, &m.TLSMode, &m.Username,
		&m.PasswordEncrypted, &m.Version, &m.From, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return SMTPSettings{}, fmt.Errorf("storage: smtp settings: %w", ErrNotFound)
	}
	if err != nil {
		return SMTPSettings{}, fmt.Errorf("storage: smtp settings: %w", err)
	}
	m.UpdatedAt, err = parseTime(updated)
	return m, err
}

// SaveSMTPSettings stores the SMTP settings with an audit row (entry), in
// one transaction.
func (s *Store) SaveSMTPSettings(ctx context.Context, m SMTPSettings, entry AuditEntry) error {
	err := s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO smtp_settings (id, host, port, tls_mode, username, password_encrypted,
				encryption_version, from_address) VALUES (1, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port, tls_mode = excluded.tls_mode,
				username = excluded.username, password_encrypted = excluded.password_encrypted,
				encryption_version = excluded.encryption_version, from_address = excluded.from_address,
				updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
			m.Host, m.Port, m.TLSMode, m.Username, m.PasswordEncrypted, m.Version, m.From)
		if err != nil {
			return err
		}
		return tx.AddAudit(ctx, entry)
	})
	if err != nil {
		return fmt.Errorf("storage: save smtp settings: %w", err)
	}
	return nil
}

// MailRecord is one row of mail_log: a mail Lore tried to send.
type MailRecord struct {
	OrgID       int64
	WorkspaceID string
	Kind        string // backfill_failed, credentials_invalid, digest, test
	Recipients  []string
	Subject     string
	Status      string // sent, failed
	Attempts    int
	Error       string
	CreatedAt   time.Time
}

// AddMail records a mail and how sending it ended.
func (s *Store) AddMail(ctx context.Context, m MailRecord) error {
	err := s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO mail_log (org_id, workspace_id, kind, recipients, subject, status,
			attempts, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, nullInt(m.OrgID), nullString(m.WorkspaceID),
			m.Kind, strings.Join(m.Recipients, ", "), m.Subject, m.Status, m.Attempts, m.Error, formatTime(m.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: record mail: %w", err)
	}
	return nil
}

// CountMail returns how many mails of kind about the workspace were
// recorded since (sent or not): the failed-backfill mail's daily cap.
func (s *Store) CountMail(ctx context.Context, workspaceID, kind string, since time.Time) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM mail_log WHERE workspace_id = ? AND kind = ? AND created_at >= ?`,
		workspaceID, kind, formatTime(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("storage: count mail: %w", err)
	}
	return n, nil
}

// ListMail returns the recorded mails, newest first.
func (s *Store) ListMail(ctx context.Context, limit int) ([]MailRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT coalesce(org_id, 0), coalesce(workspace_id, ''), kind, recipients,
		subject, status, attempts, error, created_at FROM mail_log ORDER BY mail_id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: list mail: %w", err)
	}
	defer rows.Close()
	var out []MailRecord
	for rows.Next() {
		var m MailRecord
		var to, created string
		if err := rows.Scan(&m.OrgID, &m.WorkspaceID, &m.Kind, &to, &m.Subject, &m.Status, &m.Attempts, &m.Error, &created); err != nil {
			return nil, fmt.Errorf("storage: list mail: %w", err)
		}
		m.Recipients = strings.Split(to, ", ")
		if m.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ListAdminEmails returns the email addresses of the organization's owners
// and admins, sorted: who is told of failures. Members never are.
func (s *Store) ListAdminEmails(ctx context.Context, orgID int64) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT u.email FROM memberships m JOIN users u USING (user_id)
		WHERE m.org_id = ? AND m.role IN ('owner', 'admin') ORDER BY u.email`, orgID)
	if err != nil {
		return nil, fmt.Errorf("storage: list admins: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("storage: list admins: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ChannelCount is how many messages one channel gained.
type ChannelCount struct {
	WorkspaceID string
	ChannelID   string
	Name        string
	Messages    int64
}

// DigestQuestion is a question asked, for the digest.
type DigestQuestion struct {
	Question string
	Answered bool
	// Private: asked in a channel that is not known to be public (a private
	// channel, a direct message): counted, never quoted.
	Private bool
}

// Digest is an organization's week for the weekly digest.
type Digest struct {
	Channels  []ChannelCount // public channels only, most messages first
	Questions []DigestQuestion
}

// DigestOf gathers the organization's messages stored in [from, to) per
// public channel, and the questions asked in that time.
func (s *Store) DigestOf(ctx context.Context, orgID int64, from, to time.Time) (Digest, error) {
	var d Digest
	rows, err := s.read.QueryContext(ctx, `
		SELECT c.workspace_id, c.channel_id, c.name, count(*) FROM installations i
		JOIN channels c ON c.workspace_id = i.workspace_id
		JOIN messages m ON m.workspace_id = c.workspace_id AND m.channel_id = c.channel_id
		WHERE i.org_id = ? AND c.is_private = 0 AND m.is_noise = 0 AND m.created_at >= ? AND m.created_at < ?
		GROUP BY c.workspace_id, c.channel_id ORDER BY count(*) DESC, c.name`, orgID, formatTime(from), formatTime(to))
	if err != nil {
		return Digest{}, fmt.Errorf("storage: digest: %w", err)
	}
	for rows.Next() {
		var c ChannelCount
		if err := rows.Scan(&c.WorkspaceID, &c.ChannelID, &c.Name, &c.Messages); err != nil {
			rows.Close()
			return Digest{}, fmt.Errorf("storage: digest: %w", err)
		}
		d.Channels = append(d.Channels, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Digest{}, fmt.Errorf("storage: digest: %w", err)
	}
	// A question is public when asked on the web (no channel) or in a
	// channel known to be public; any other is private.
	rows, err = s.read.QueryContext(ctx, `
		SELECT q.question, q.answered,
		       coalesce(q.channel_id, '') <> '' AND NOT EXISTS (SELECT 1 FROM channels c
		           WHERE c.workspace_id = q.workspace_id AND c.channel_id = q.channel_id AND c.is_private = 0)
		FROM questions q WHERE q.org_id = ? AND q.created_at >= ? AND q.created_at < ? ORDER BY q.question_id`,
		orgID, formatTime(from), formatTime(to))
	if err != nil {
		return Digest{}, fmt.Errorf("storage: digest questions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var q DigestQuestion
		if err := rows.Scan(&q.Question, &q.Answered, &q.Private); err != nil {
			return Digest{}, fmt.Errorf("storage: digest questions: %w", err)
		}
		d.Questions = append(d.Questions, q)
	}
	return d, rows.Err()
}
