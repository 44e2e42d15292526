package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Organization is a tenant: everything else belongs to exactly one.
type Organization struct {
	ID        int64
	Name      string
	CreatedAt time.Time
}

// CreateOrganization inserts an organization; a trigger gives it its default
// settings row in the same statement, so none exists without settings.
func (tx *Tx) CreateOrganization(ctx context.Context, name string) (Organization, error) {
	var o Organization
	var created string
	err := tx.tx.QueryRowContext(ctx,
		`INSERT INTO organizations (name) VALUES (?) RETURNING org_id, name, created_at`, name).
		Scan(&o.ID, &o.Name, &created)
	if err != nil {
		return Organization{}, fmt.Errorf("storage: create organization: %w", err)
	}
	o.CreatedAt, err = parseTime(created)
	return o, err
}

// CreateOrganization inserts an organization in its own transaction.
func (s *Store) CreateOrganization(ctx context.Context, name string) (o Organization, err error) {
	err = s.Tx(ctx, func(tx *Tx) error {
		o, err = tx.CreateOrganization(ctx, name)
		return err
	})
	return o, err
}

// Organization returns one organization by id, or ErrNotFound.
func (s *Store) Organization(ctx context.Context, orgID int64) (Organization, error) {
	var o Organization
	var created string
	err := s.read.QueryRowContext(ctx,
		`SELECT org_id, name, created_at FROM organizations WHERE org_id = ?`, orgID).
		Scan(&o.ID, &o.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Organization{}, fmt.Errorf("storage: organization %d: %w", orgID, ErrNotFound)
	}
	if err != nil {
		return Organization{}, fmt.Errorf("storage: organization %d: %w", orgID, err)
	}
	o.CreatedAt, err = parseTime(created)
	return o, err
}

// OrganizationsByName returns the organizations with exactly that name
// (names are not unique), oldest first.
func (tx *Tx) OrganizationsByName(ctx context.Context, name string) ([]Organization, error) {
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT org_id, name, created_at FROM organizations WHERE name = ? ORDER BY org_id`, name)
	if err != nil {
		return nil, fmt.Errorf("storage: organizations named %q: %w", name, err)
	}
	defer rows.Close()
	var out []Organization
	for rows.Next() {
		var o Organization
		var created string
		if err := rows.Scan(&o.ID, &o.Name, &created); err != nil {
			return nil, fmt.Errorf("storage: organizations named %q: %w", name, err)
		}
		if o.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
