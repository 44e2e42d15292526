-- A Slack workspace connected to an organization, with the original system's
-- plaintext credential columns (kept only for its migration path), and its channels.

-- +goose Up
CREATE TABLE installations (
    workspace_id   TEXT PRIMARY KEY CHECK (length(workspace_id) BETWEEN 1 AND 32),
    org_id         INTEGER NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    team_name      TEXT NOT NULL DEFAULT '',
    team_url       TEXT NOT NULL DEFAULT '',
    bot_token      TEXT,
    app_token      TEXT,
    signing_secret TEXT,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX installations_org ON installations (org_id);

CREATE TABLE channels (
    workspace_id TEXT NOT NULL REFERENCES installations (workspace_id) ON DELETE CASCADE,
    channel_id   TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    is_private   INTEGER NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1)),
    is_archived  INTEGER NOT NULL DEFAULT 0 CHECK (is_archived IN (0, 1)),
    -- backfill checkpoint: the newest ts stored, so a crashed backfill resumes there
    last_synced_ts TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (workspace_id, channel_id)
);

-- +goose Down
DROP TABLE channels;
DROP TABLE installations;
