-- Uploaded documents split into chunks (full-text indexed like messages), and
-- background jobs such as backfills with their progress.

-- +goose Up
CREATE TABLE documents (
    document_id  INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    filename     TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    size_bytes   INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX documents_org ON documents (org_id);

CREATE TABLE chunks (
    chunk_id    INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (document_id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position >= 0),
    text        TEXT NOT NULL,
    UNIQUE (document_id, position)
);

CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    text,
    content = 'chunks',
    content_rowid = 'chunk_id',
    tokenize = 'porter unicode61'
);

-- +goose StatementBegin
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, text) VALUES (new.chunk_id, new.text);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.chunk_id, old.text);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.chunk_id, old.text);
    INSERT INTO chunks_fts (rowid, text) VALUES (new.chunk_id, new.text);
END;
-- +goose StatementEnd

CREATE TABLE jobs (
    job_id       INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    workspace_id TEXT REFERENCES installations (workspace_id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    progress     INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at   TEXT,
    finished_at  TEXT
);
CREATE INDEX jobs_org_created ON jobs (org_id, created_at);

-- +goose Down
DROP TABLE jobs;
DROP TRIGGER chunks_fts_update;
DROP TRIGGER chunks_fts_delete;
DROP TRIGGER chunks_fts_insert;
DROP TABLE chunks_fts;
DROP TABLE chunks;
DROP TABLE documents;
