package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in browser. The browser holds a random token; only its
// SHA-256 (TokenHash, hex) is stored, so a copy of the database signs no one in.
type Session struct {
	ID        int64
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession records a new session for the user.
func (tx *Tx) CreateSession(ctx context.Context, userID int64, tokenHash string, expiresAt time.Time) (Session, error) {
	var s Session
	var created string
	err := tx.tx.QueryRowContext(ctx,
		`INSERT INTO sessions (user_id, token_hash, expires_at) VALUES (?, ?, ?) RETURNING session_id, created_at`,
		userID, tokenHash, formatTime(expiresAt)).Scan(&s.ID, &created)
	if err != nil {
		return Session{}, fmt.Errorf("storage: create session: %w", err)
	}
	s.UserID, s.ExpiresAt = userID, expiresAt.UTC().Truncate(time.Millisecond)
	s.CreatedAt, err = parseTime(created)
	return s, err
}

// SessionByHash returns the unexpired session with that token hash and its
// user, or ErrNotFound.
func (s *Store) SessionByHash(ctx context.Context, tokenHash string, now time.Time) (Session, User, error) {
	var sess Session
	var created, expires string
	u, err := scanUser(s.read.QueryRowContext(ctx, `
		SELECT u.user_id, u.email, u.password_hash, u.is_instance_owner, u.created_at,
		       s.session_id, s.created_at, s.expires_at
		FROM sessions s JOIN users u USING (user_id)
		WHERE s.token_hash = ? AND s.expires_at > ?`, tokenHash, formatTime(now)),
		&sess.ID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, fmt.Errorf("storage: session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("storage: session: %w", err)
	}
	sess.UserID = u.ID
	if sess.CreatedAt, err = parseTime(created); err != nil {
		return Session{}, User{}, err
	}
	if sess.ExpiresAt, err = parseTime(expires); err != nil {
		return Session{}, User{}, err
	}
	return sess, u, nil
}

// DeleteSession revokes one session of the user; a session that is gone
// already is ErrNotFound.
func (tx *Tx) DeleteSession(ctx context.Context, userID, sessionID int64) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE session_id = ? AND user_id = ?`, sessionID, userID)
	if err != nil {
		return fmt.Errorf("storage: delete session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: session %d: %w", sessionID, ErrNotFound)
	}
	return nil
}

// DeleteUserSessions revokes every session of the user and returns how many
// there were.
func (tx *Tx) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("storage: delete sessions of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteExpiredSessions removes the sessions that expired before now.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, formatTime(now)); err != nil {
		return fmt.Errorf("storage: delete expired sessions: %w", err)
	}
	return nil
}
