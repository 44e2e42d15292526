-- Slack messages, stored once per workspace, channel and ts, with a full-text
-- index (porter stemming over unicode61) that triggers keep in step.

-- +goose Up
CREATE TABLE messages (
    message_id   INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    ts           TEXT NOT NULL,
    thread_ts    TEXT,
    user_id      TEXT NOT NULL DEFAULT '',
    text         TEXT NOT NULL DEFAULT '',
    edited       INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
    deleted      INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (workspace_id, channel_id, ts),
    FOREIGN KEY (workspace_id, channel_id) REFERENCES channels (workspace_id, channel_id) ON DELETE CASCADE
);
CREATE INDEX messages_thread ON messages (workspace_id, channel_id, thread_ts) WHERE thread_ts IS NOT NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text,
    content = 'messages',
    content_rowid = 'message_id',
    tokenize = 'porter unicode61'
);

-- +goose StatementBegin
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.message_id, new.text);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.message_id, old.text);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.message_id, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.message_id, new.text);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_insert;
DROP TABLE messages_fts;
DROP TABLE messages;
