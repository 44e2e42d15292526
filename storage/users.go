package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is a person who signs in. PasswordHash is an encoded argon2id hash;
// the password itself is never stored.
type User struct {
	ID            int64
	Email         string
	PasswordHash  string
	InstanceOwner bool // may create organizations
	CreatedAt     time.Time
}

const userColumns = `user_id, email, password_hash, is_instance_owner, created_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (User, error) {
	var u User
	var created string
	if err := row.Scan(append([]any{&u.ID, &u.Email, &u.PasswordHash, &u.InstanceOwner, &created}, extra...)...); err != nil {
		return User{}, err
	}
	var err error
	u.CreatedAt, err = parseTime(created)
	return u, err
}

// CreateUser inserts a user; an email already taken (ignoring case) is ErrConflict.
func (tx *Tx) CreateUser(ctx context.Context, email, passwordHash string, instanceOwner bool) (User, error) {
	u, err := scanUser(tx.tx.QueryRowContext(ctx,
		`INSERT INTO users (email, password_hash, is_instance_owner) VALUES (?, ?, ?) RETURNING `+userColumns,
		email, passwordHash, instanceOwner))
	if isUniqueViolation(err) {
		return User{}, fmt.Errorf("storage: user %s: %w", email, ErrConflict)
	}
	if err != nil {
		return User{}, fmt.Errorf("storage: create user: %w", err)
	}
	return u, nil
}

// CountUsers returns how many users exist, read inside the transaction so
// that "the first user" is decided under the write lock.
func (tx *Tx) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: count users: %w", err)
	}
	return n, nil
}

// HasUsers tells whether any user exists, a cheap read for refusing a
// signup before its password is hashed.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&n); err != nil {
		return false, fmt.Errorf("storage: count users: %w", err)
	}
	return n == 1, nil
}

// User returns one user by id, or ErrNotFound.
func (s *Store) User(ctx context.Context, id int64) (User, error) { return user(ctx, s.read, id) }

// User reads one user inside the transaction, or ErrNotFound.
func (tx *Tx) User(ctx context.Context, id int64) (User, error) { return user(ctx, tx.tx, id) }

func user(ctx context.Context, q queryRower, id int64) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE user_id = ?`, id))
	return u, userErr(err, fmt.Sprint(id))
}

// UserByEmail returns the user with that email (ignoring case), or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, email))
	return u, userErr(err, email)
}

// UserByEmail returns the user with that email inside the transaction, or ErrNotFound.
func (tx *Tx) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(tx.tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, email))
	return u, userErr(err, email)
}

func userErr(err error, who string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("storage: user %s: %w", who, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage: user %s: %w", who, err)
	}
	return nil
}

// ListUsers returns every user by email.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("storage: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetPasswordHash replaces a user's password hash.
func (tx *Tx) SetPasswordHash(ctx context.Context, userID int64, hash string) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE user_id = ?`, hash, userID)
	if err != nil {
		return fmt.Errorf("storage: set password of user %d: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: user %d: %w", userID, ErrNotFound)
	}
	return nil
}
