package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// OrgSettings is an organization's row of org_settings. Storage knows the
// table's columns only from the table itself: which settings exist, their
// types and ranges are the settings service's field table (app/settings),
// with the table's CHECK constraints as the last line.
type OrgSettings struct {
	OrgID int64
	// Values holds every other column by name, as SQLite stores it: int64
	// (booleans are 0 or 1), string, or nil for NULL.
	Values    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// isSettingColumn tells whether c can name a setting column of org_settings.
func isSettingColumn(c string) bool {
	switch c {
	case "org_id", "created_at", "updated_at", "":
		return false
	}
	return strings.Trim(c, "abcdefghijklmnopqrstuvwxyz_") == ""
}

func orgSettings(ctx context.Context, q querier, orgID int64) (OrgSettings, error) {
	rows, err := q.QueryContext(ctx, `SELECT * FROM org_settings WHERE org_id = ?`, orgID)
	if err != nil {
		return OrgSettings{}, fmt.Errorf("storage: settings of organization %d: %w", orgID, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return OrgSettings{}, fmt.Errorf("storage: settings of organization %d: %w", orgID, err)
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return OrgSettings{}, fmt.Errorf("storage: settings of organization %d: %w", orgID, err)
		}
		return OrgSettings{}, fmt.Errorf("storage: settings of organization %d: %w", orgID, ErrNotFound)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return OrgSettings{}, fmt.Errorf("storage: settings of organization %d: %w", orgID, err)
	}
	o := OrgSettings{Values: make(map[string]any, len(cols))}
	var created, updated string
	for i, c := range cols {
		switch c {
		case "org_id":
			o.OrgID, _ = vals[i].(int64)
		case "created_at":
			created, _ = vals[i].(string)
		case "updated_at":
			updated, _ = vals[i].(string)
		default:
			o.Values[c] = vals[i]
		}
	}
	if o.CreatedAt, err = parseTime(created); err != nil {
		return OrgSettings{}, err
	}
	if o.UpdatedAt, err = parseTime(updated); err != nil {
		return OrgSettings{}, err
	}
	return o, rows.Close()
}

// OrgSettings returns the organization's settings, or ErrNotFound.
func (s *Store) OrgSettings(ctx context.Context, orgID int64) (OrgSettings, error) {
	return orgSettings(ctx, s.read, orgID)
}

// OrgSettings reads the organization's settings inside the transaction.
func (tx *Tx) OrgSettings(ctx context.Context, orgID int64) (OrgSettings, error) {
	return orgSettings(ctx, tx.tx, orgID)
}

// UpdateOrgSettings sets the given columns (org_settings column name → value;
// nil for NULL) of the organization's settings. A name must be a plain
// column name and not org_id, created_at or updated_at, so nothing but a
// column name reaches the SQL (SQLite refuses one the table lacks). The
// updated_at trigger moves updated_at. A value a CHECK refuses fails the
// whole update.
func (tx *Tx) UpdateOrgSettings(ctx context.Context, orgID int64, set map[string]any) error {
	if len(set) == 0 {
		return nil
	}
	cols := make([]string, 0, len(set))
	for c := range set {
		if !isSettingColumn(c) {
			return fmt.Errorf("storage: update settings: no writable column %q", c)
		}
		cols = append(cols, c)
	}
	sort.Strings(cols)
	assign := make([]string, len(cols))
	args := make([]any, 0, len(cols)+1)
	for i, c := range cols {
		assign[i] = c + " = ?"
		args = append(args, set[c])
	}
	args = append(args, orgID)
	res, err := tx.tx.ExecContext(ctx,
		`UPDATE org_settings SET `+strings.Join(assign, ", ")+` WHERE org_id = ?`, args...)
	if err != nil {
		return fmt.Errorf("storage: update settings of organization %d: %w", orgID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: settings of organization %d: %w", orgID, ErrNotFound)
	}
	return nil
}
