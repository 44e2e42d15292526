package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Workspace is one Slack workspace connected to an organization (a row of
// installations), without its credentials.
type Workspace struct {
	ID       string // the Slack team id, e.g. T0123ABCD
	OrgID    int64
	TeamName string
	TeamURL  string
	// Transport is how the workspace's Slack app reaches Lore:
	// TransportSocket (the default) or TransportHTTP.
	Transport string
	CreatedAt time.Time
}

// The transports of a workspace (installations.transport).
const (
	TransportSocket = "socket"
	TransportHTTP   = "http"
)

const workspaceColumns = `workspace_id, org_id, team_name, team_url, transport, created_at`

func scanWorkspace(row interface{ Scan(...any) error }) (Workspace, error) {
	var w Workspace
	var created string
	if err := row.Scan(&w.ID, &w.OrgID, &w.TeamName, &w.TeamURL, &w.Transport, &created); err != nil {
		return Workspace{}, err
	}
	var err error
	w.CreatedAt, err = parseTime(created)
	return w, err
}

// CreateWorkspace connects a Slack workspace to an organization. A team id
// already connected (to any organization) is ErrConflict.
func (tx *Tx) CreateWorkspace(ctx context.Context, orgID int64, id, name string) (Workspace, error) {
	w, err := scanWorkspace(tx.tx.QueryRowContext(ctx,
		`INSERT INTO installations (workspace_id, org_id, team_name) VALUES (?, ?, ?)
		 RETURNING `+workspaceColumns, id, orgID, name))
	if isUniqueViolation(err) {
		return Workspace{}, fmt.Errorf("storage: workspace %s: %w", id, ErrConflict)
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("storage: create workspace %s: %w", id, err)
	}
	return w, nil
}

// CreateWorkspace connects a Slack workspace in its own transaction.
func (s *Store) CreateWorkspace(ctx context.Context, orgID int64, id, name string) (w Workspace, err error) {
	err = s.Tx(ctx, func(tx *Tx) error {
		w, err = tx.CreateWorkspace(ctx, orgID, id, name)
		return err
	})
	return w, err
}

// NoteWorkspaceURL records a workspace's Slack address
// ("https://acme.slack.com") when none is known yet: an export's file links
// name it before a Slack app is connected, and auth.test's URL, stored with
// a verification, has the last word. A workspace that does not exist is
// left alone.
func (s *Store) NoteWorkspaceURL(ctx context.Context, id, url string) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE installations SET team_url = ?
			WHERE workspace_id = ? AND coalesce(team_url, '') = ''`, url, id); err != nil {
			return fmt.Errorf("storage: note workspace %s address: %w", id, err)
		}
		return nil
	})
}

// Workspace returns a workspace of the organization, or ErrNotFound, also
// when it exists in another organization.
func (s *Store) Workspace(ctx context.Context, orgID int64, id string) (Workspace, error) {
	return workspace(s.read.QueryRowContext(ctx,
		`SELECT `+workspaceColumns+` FROM installations WHERE workspace_id = ? AND org_id = ?`, id, orgID), id)
}

// Workspace is Store.Workspace inside the transaction.
func (tx *Tx) Workspace(ctx context.Context, orgID int64, id string) (Workspace, error) {
	return workspace(tx.tx.QueryRowContext(ctx,
		`SELECT `+workspaceColumns+` FROM installations WHERE workspace_id = ? AND org_id = ?`, id, orgID), id)
}

func workspace(row *sql.Row, id string) (Workspace, error) {
	w, err := scanWorkspace(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Workspace{}, fmt.Errorf("storage: workspace %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("storage: workspace %s: %w", id, err)
	}
	return w, nil
}

// WorkspaceOrg returns the organization a workspace belongs to, or
// ErrNotFound; the HTTP layer uses it to check membership once.
func (s *Store) WorkspaceOrg(ctx context.Context, id string) (int64, error) {
	var orgID int64
	err := s.read.QueryRowContext(ctx, `SELECT org_id FROM installations WHERE workspace_id = ?`, id).Scan(&orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("storage: workspace %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("storage: workspace %s: %w", id, err)
	}
	return orgID, nil
}

// ListWorkspaces returns the organization's workspaces by team id.
func (s *Store) ListWorkspaces(ctx context.Context, orgID int64) ([]Workspace, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+workspaceColumns+` FROM installations WHERE org_id = ? ORDER BY workspace_id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("storage: list workspaces: %w", err)
	}
	defer rows.Close()
	var out []Workspace
	for rows.Next() {
		w, err := scanWorkspace(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list workspaces: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// SetWorkspaceTransport sets how the workspace's Slack app reaches Lore and
// returns the workspace; ErrNotFound when the organization has no such
// workspace.
func (tx *Tx) SetWorkspaceTransport(ctx context.Context, orgID int64, id, transport string) (Workspace, error) {
	w, err := scanWorkspace(tx.tx.QueryRowContext(ctx,
		`UPDATE installations SET transport = ? WHERE workspace_id = ? AND org_id = ? RETURNING `+workspaceColumns,
		transport, id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return Workspace{}, fmt.Errorf("storage: workspace %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("storage: set transport of workspace %s: %w", id, err)
	}
	return w, nil
}

// DeleteWorkspace removes a workspace of the organization and, through
// foreign keys, its channels and messages; secure_delete overwrites them.
func (tx *Tx) DeleteWorkspace(ctx context.Context, orgID int64, id string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM installations WHERE workspace_id = ? AND org_id = ?`, id, orgID)
	if err != nil {
		return fmt.Errorf("storage: delete workspace %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: workspace %s: %w", id, ErrNotFound)
	}
	return nil
}
