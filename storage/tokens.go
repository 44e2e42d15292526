package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// APIToken is a personal token for scripts. Only its SHA-256 is stored; the
// token itself is shown once, when it is made.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string // the first characters of the token, to tell tokens apart
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
}

const tokenColumns = `token_id, user_id, name, prefix, created_at, coalesce(last_used_at, '')`

func scanToken(row interface{ Scan(...any) error }, dest ...any) (APIToken, error) {
	var t APIToken
	var created, used string
	if err := row.Scan(append([]any{&t.ID, &t.UserID, &t.Name, &t.Prefix, &created, &used}, dest...)...); err != nil {
		return APIToken{}, err
	}
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return APIToken{}, err
	}
	if used != "" {
		if t.LastUsedAt, err = parseTime(used); err != nil {
			return APIToken{}, err
		}
	}
	return t, nil
}

// CreateAPIToken records a token of the user by its hash.
func (tx *Tx) CreateAPIToken(ctx context.Context, userID int64, name, prefix, tokenHash string) (APIToken, error) {
	t, err := scanToken(tx.tx.QueryRowContext(ctx,
		`INSERT INTO api_tokens (user_id, name, prefix, token_hash) VALUES (?, ?, ?, ?) RETURNING `+tokenColumns,
		userID, name, prefix, tokenHash))
	if err != nil {
		return APIToken{}, fmt.Errorf("storage: create api token: %w", err)
	}
	return t, nil
}

// APITokenByHash returns the token with that hash and its user, or ErrNotFound.
func (s *Store) APITokenByHash(ctx context.Context, tokenHash string) (APIToken, User, error) {
	var u User
	var created string
	t, err := scanToken(s.read.QueryRowContext(ctx, `
		SELECT t.token_id, t.user_id, t.name, t.prefix, t.created_at, coalesce(t.last_used_at, ''),
		       u.user_id, u.email, u.password_hash, u.is_instance_owner, u.created_at
		FROM api_tokens t JOIN users u USING (user_id)
		WHERE t.token_hash = ?`, tokenHash),
		&u.ID, &u.Email, &u.PasswordHash, &u.InstanceOwner, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, User{}, fmt.Errorf("storage: api token: %w", ErrNotFound)
	}
	if err != nil {
		return APIToken{}, User{}, fmt.Errorf("storage: api token: %w", err)
	}
	if u.CreatedAt, err = parseTime(created); err != nil {
		return APIToken{}, User{}, err
	}
	return t, u, nil
}

// ListAPITokens returns the user's tokens, newest first.
func (s *Store) ListAPITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = ? ORDER BY token_id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("storage: list api tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list api tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteAPIToken revokes a token of the user; another user's token is
// ErrNotFound, like a missing one.
func (tx *Tx) DeleteAPIToken(ctx context.Context, userID, tokenID int64) (APIToken, error) {
	t, err := scanToken(tx.tx.QueryRowContext(ctx,
		`DELETE FROM api_tokens WHERE token_id = ? AND user_id = ? RETURNING `+tokenColumns, tokenID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, fmt.Errorf("storage: api token %d: %w", tokenID, ErrNotFound)
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("storage: delete api token %d: %w", tokenID, err)
	}
	return t, nil
}

// TouchAPIToken records when a token was last used.
func (s *Store) TouchAPIToken(ctx context.Context, tokenID int64, at time.Time) error {
	_, err := s.write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE token_id = ?`, formatTime(at), tokenID)
	if err != nil {
		return fmt.Errorf("storage: touch api token %d: %w", tokenID, err)
	}
	return nil
}
