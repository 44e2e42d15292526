-- How each workspace's Slack app reaches Lore: over Socket Mode (the
-- default, no public URL needed) or by posting its commands, events and
-- interactions to Lore's /slack/{workspace_id}/… routes (HTTP mode). An
-- http workspace opens no socket.

-- +goose Up
ALTER TABLE installations ADD COLUMN transport TEXT NOT NULL DEFAULT 'socket'
    CHECK (transport IN ('socket', 'http'));

-- +goose Down
ALTER TABLE installations DROP COLUMN transport;
