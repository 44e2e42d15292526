package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Channel is a Slack channel of a workspace, as the source (an export, the
// Web API, an event) last described it.
type Channel struct {
	WorkspaceID string
	ID          string // e.g. C0123ABCD
	Name        string // without '#'
	Private     bool
	Archived    bool
}

// UpsertChannel creates the channel or updates its name and flags. An empty
// name keeps the stored one: an event that names only the id must not erase it.
func (w *MessageWriter) UpsertChannel(ctx context.Context, c Channel) error {
	_, err := w.tx.ExecContext(ctx, `
		INSERT INTO channels (workspace_id, channel_id, name, is_private, is_archived) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, channel_id) DO UPDATE SET
			name = CASE WHEN excluded.name = '' THEN name ELSE excluded.name END,
			is_private = excluded.is_private, is_archived = excluded.is_archived
		WHERE (CASE WHEN excluded.name = '' THEN name ELSE excluded.name END, excluded.is_private, excluded.is_archived)
		      IS NOT (name, is_private, is_archived)`,
		c.WorkspaceID, c.ID, c.Name, c.Private, c.Archived)
	if err != nil {
		return fmt.Errorf("storage: upsert channel %s/%s: %w", c.WorkspaceID, c.ID, err)
	}
	return nil
}

// EnsureChannel creates the channel with only its id if the workspace has no
// such channel yet (a live event from a channel Lore has not listed).
func (w *MessageWriter) EnsureChannel(ctx context.Context, workspaceID, channelID string) error {
	_, err := w.tx.ExecContext(ctx,
		`INSERT INTO channels (workspace_id, channel_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, workspaceID, channelID)
	if err != nil {
		return fmt.Errorf("storage: ensure channel %s/%s: %w", workspaceID, channelID, err)
	}
	return nil
}

const channelColumns = `workspace_id, channel_id, name, is_private, is_archived`

func scanChannel(row interface{ Scan(...any) error }) (Channel, error) {
	var c Channel
	err := row.Scan(&c.WorkspaceID, &c.ID, &c.Name, &c.Private, &c.Archived)
	return c, err
}

// Channel returns one channel of the workspace, or ErrNotFound.
func (s *Store) Channel(ctx context.Context, workspaceID, channelID string) (Channel, error) {
	c, err := scanChannel(s.read.QueryRowContext(ctx,
		`SELECT `+channelColumns+` FROM channels WHERE workspace_id = ? AND channel_id = ?`, workspaceID, channelID))
	if errors.Is(err, sql.ErrNoRows) {
		return Channel{}, fmt.Errorf("storage: channel %s/%s: %w", workspaceID, channelID, ErrNotFound)
	}
	if err != nil {
		return Channel{}, fmt.Errorf("storage: channel %s/%s: %w", workspaceID, channelID, err)
	}
	return c, nil
}

// ListChannels returns the workspace's channels by name.
func (s *Store) ListChannels(ctx context.Context, workspaceID string) ([]Channel, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+channelColumns+` FROM channels WHERE workspace_id = ? ORDER BY name, channel_id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("storage: list channels of %s: %w", workspaceID, err)
	}
	defer rows.Close()
	var out []Channel
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list channels of %s: %w", workspaceID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
