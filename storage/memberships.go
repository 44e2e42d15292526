package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Roles a member can have in an organization, weakest first.
const (
	RoleMember = "member"
	RoleAdmin  = "admin"
	RoleOwner  = "owner"
)

// Membership is a user's role in an organization.
type Membership struct {
	OrgID     int64
	UserID    int64
	Role      string
	Email     string // the member's, filled by ListMembers
	CreatedAt time.Time
}

// OrganizationRole is an organization seen by one of its members.
type OrganizationRole struct {
	Organization
	Role string
}

// AddMembership gives the user a role in the organization; a user already a
// member is ErrConflict, a missing user or organization ErrNotFound.
func (tx *Tx) AddMembership(ctx context.Context, orgID, userID int64, role string) (Membership, error) {
	var created string
	err := tx.tx.QueryRowContext(ctx,
		`INSERT INTO memberships (org_id, user_id, role) VALUES (?, ?, ?) RETURNING created_at`,
		orgID, userID, role).Scan(&created)
	switch {
	case isUniqueViolation(err):
		return Membership{}, fmt.Errorf("storage: user %d in organization %d: %w", userID, orgID, ErrConflict)
	case isForeignKeyViolation(err):
		return Membership{}, fmt.Errorf("storage: membership of user %d in organization %d: %w", userID, orgID, ErrNotFound)
	case err != nil:
		return Membership{}, fmt.Errorf("storage: add membership: %w", err)
	}
	m := Membership{OrgID: orgID, UserID: userID, Role: role}
	m.CreatedAt, err = parseTime(created)
	return m, err
}

// Membership returns the user's membership of the organization, or
// ErrNotFound when the user is not a member (or either does not exist).
func (s *Store) Membership(ctx context.Context, orgID, userID int64) (Membership, error) {
	return membership(ctx, s.read, orgID, userID)
}

// Membership reads a membership inside the transaction.
func (tx *Tx) Membership(ctx context.Context, orgID, userID int64) (Membership, error) {
	return membership(ctx, tx.tx, orgID, userID)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func membership(ctx context.Context, q queryRower, orgID, userID int64) (Membership, error) {
	m := Membership{OrgID: orgID, UserID: userID}
	var created string
	err := q.QueryRowContext(ctx, `
		SELECT m.role, u.email, m.created_at FROM memberships m JOIN users u USING (user_id)
		WHERE m.org_id = ? AND m.user_id = ?`, orgID, userID).Scan(&m.Role, &m.Email, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Membership{}, fmt.Errorf("storage: user %d in organization %d: %w", userID, orgID, ErrNotFound)
	}
	if err != nil {
		return Membership{}, fmt.Errorf("storage: membership: %w", err)
	}
	m.CreatedAt, err = parseTime(created)
	return m, err
}

// ListMembers returns the organization's members by email.
func (s *Store) ListMembers(ctx context.Context, orgID int64) ([]Membership, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT m.org_id, m.user_id, m.role, u.email, m.created_at
		FROM memberships m JOIN users u USING (user_id)
		WHERE m.org_id = ? ORDER BY u.email`, orgID)
	if err != nil {
		return nil, fmt.Errorf("storage: list members: %w", err)
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		var created string
		if err := rows.Scan(&m.OrgID, &m.UserID, &m.Role, &m.Email, &created); err != nil {
			return nil, fmt.Errorf("storage: list members: %w", err)
		}
		if m.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// RemoveMembership takes the user out of the organization, or ErrNotFound.
func (tx *Tx) RemoveMembership(ctx context.Context, orgID, userID int64) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID)
	if err != nil {
		return fmt.Errorf("storage: remove membership: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: user %d in organization %d: %w", userID, orgID, ErrNotFound)
	}
	return nil
}

// SetMembershipRole changes the user's role in the organization, or
// ErrNotFound when the user is not a member.
func (tx *Tx) SetMembershipRole(ctx context.Context, orgID, userID int64, role string) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?`, role, orgID, userID)
	if err != nil {
		return fmt.Errorf("storage: set role of user %d in organization %d: %w", userID, orgID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: user %d in organization %d: %w", userID, orgID, ErrNotFound)
	}
	return nil
}

// CountOwners returns how many owners the organization has.
func (tx *Tx) CountOwners(ctx context.Context, orgID int64) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx,
		`SELECT count(*) FROM memberships WHERE org_id = ? AND role = 'owner'`, orgID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("storage: count owners: %w", err)
	}
	return n, nil
}

// ListUserOrganizations returns the organizations the user belongs to, with
// the user's role in each, by name.
func (s *Store) ListUserOrganizations(ctx context.Context, userID int64) ([]OrganizationRole, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT o.org_id, o.name, o.created_at, m.role
		FROM memberships m JOIN organizations o USING (org_id)
		WHERE m.user_id = ? ORDER BY o.name, o.org_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("storage: list organizations of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []OrganizationRole
	for rows.Next() {
		var o OrganizationRole
		var created string
		if err := rows.Scan(&o.ID, &o.Name, &created, &o.Role); err != nil {
			return nil, fmt.Errorf("storage: list organizations of user %d: %w", userID, err)
		}
		if o.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// isForeignKeyViolation tells a FOREIGN KEY failure: a referenced row is missing.
func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
