-- The questions asked and how they were answered, and the audit log of who
-- touched which secret or setting (never the secret itself).

-- +goose Up
CREATE TABLE questions (
    question_id  INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    workspace_id TEXT REFERENCES installations (workspace_id) ON DELETE SET NULL,
    channel_id   TEXT,
    asked_by     TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL CHECK (source IN ('ask', 'askall', 'web')),
    question     TEXT NOT NULL,
    answer       TEXT NOT NULL DEFAULT '',
    answered     INTEGER NOT NULL DEFAULT 0 CHECK (answered IN (0, 1)),
    confidence   INTEGER NOT NULL DEFAULT 0 CHECK (confidence BETWEEN 0 AND 100),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX questions_org_created ON questions (org_id, created_at);

CREATE TABLE audit_log (
    audit_id     INTEGER PRIMARY KEY,
    -- no foreign keys: the log outlives what it talks about
    org_id       INTEGER,
    workspace_id TEXT,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    outcome      TEXT NOT NULL DEFAULT 'ok',
    detail       TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX audit_log_org_created ON audit_log (org_id, created_at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE questions;
