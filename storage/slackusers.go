package storage

import (
	"context"
	"fmt"
)

// SlackUser is a person or bot of a Slack workspace, for the names answers
// show. It is not a Lore account (that is User).
type SlackUser struct {
	WorkspaceID string
	ID          string // e.g. U0123ABCD
	Name        string // the handle
	DisplayName string
	RealName    string
	Bot         bool
	Deleted     bool
}

// UpsertSlackUser creates the user or replaces what is stored with what the
// source says; an unchanged user writes nothing.
func (w *MessageWriter) UpsertSlackUser(ctx context.Context, u SlackUser) error {
	_, err := w.tx.ExecContext(ctx, `
		INSERT INTO slack_users (workspace_id, user_id, name, display_name, real_name, is_bot, is_deleted)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, user_id) DO UPDATE SET
			name = excluded.name, display_name = excluded.display_name, real_name = excluded.real_name,
			is_bot = excluded.is_bot, is_deleted = excluded.is_deleted
		WHERE (excluded.name, excluded.display_name, excluded.real_name, excluded.is_bot, excluded.is_deleted)
		      IS NOT (name, display_name, real_name, is_bot, is_deleted)`,
		u.WorkspaceID, u.ID, u.Name, u.DisplayName, u.RealName, u.Bot, u.Deleted)
	if err != nil {
		return fmt.Errorf("storage: upsert slack user %s/%s: %w", u.WorkspaceID, u.ID, err)
	}
	return nil
}

// AddSlackUser stores a user only if the workspace has none with that id: a
// message's own user_profile names an author missing from users.json, but
// must not overwrite what users.json or users.info said.
func (w *MessageWriter) AddSlackUser(ctx context.Context, u SlackUser) error {
	_, err := w.tx.ExecContext(ctx, `
		INSERT INTO slack_users (workspace_id, user_id, name, display_name, real_name, is_bot, is_deleted)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.WorkspaceID, u.ID, u.Name, u.DisplayName, u.RealName, u.Bot, u.Deleted)
	if err != nil {
		return fmt.Errorf("storage: add slack user %s/%s: %w", u.WorkspaceID, u.ID, err)
	}
	return nil
}

// ListSlackUsers returns the workspace's Slack users by id.
func (s *Store) ListSlackUsers(ctx context.Context, workspaceID string) ([]SlackUser, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT workspace_id, user_id, name, display_name, real_name, is_bot, is_deleted
		FROM slack_users WHERE workspace_id = ? ORDER BY user_id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("storage: list slack users of %s: %w", workspaceID, err)
	}
	defer rows.Close()
	var out []SlackUser
	for rows.Next() {
		var u SlackUser
		if err := rows.Scan(&u.WorkspaceID, &u.ID, &u.Name, &u.DisplayName, &u.RealName, &u.Bot, &u.Deleted); err != nil {
			return nil, fmt.Errorf("storage: list slack users of %s: %w", workspaceID, err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
