-- A row that names a workspace belongs to that workspace's organization.
-- jobs go with their workspace: a composite foreign key to installations
-- (workspace_id, org_id). questions outlive it (ON DELETE SET NULL), and
-- SQLite would set every column of a composite key to NULL, org_id too;
-- a trigger checks their organization instead.

-- +goose Up
CREATE UNIQUE INDEX installations_workspace_org ON installations (workspace_id, org_id);

-- Rebuilt as SQLite changes a table's constraints: create, copy, drop,
-- rename. Nothing references jobs, so this is safe with foreign keys on.
CREATE TABLE jobs_new (
    job_id       INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    workspace_id TEXT,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    progress     INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at   TEXT,
    finished_at  TEXT,
    FOREIGN KEY (workspace_id, org_id) REFERENCES installations (workspace_id, org_id) ON DELETE CASCADE
);
-- A job naming another organization's workspace could only be corrupt: it
-- is not carried over (no job without a workspace is lost).
INSERT INTO jobs_new (job_id, org_id, workspace_id, kind, status, progress, error, created_at, started_at, finished_at)
SELECT job_id, org_id, workspace_id, kind, status, progress, error, created_at, started_at, finished_at
FROM jobs j
WHERE workspace_id IS NULL
   OR EXISTS (SELECT 1 FROM installations i WHERE i.workspace_id = j.workspace_id AND i.org_id = j.org_id);
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_org_created ON jobs (org_id, created_at);

-- A workspace that exists under another organization is refused; one that
-- does not exist at all is left to the foreign key.
-- +goose StatementBegin
CREATE TRIGGER questions_workspace_org_insert BEFORE INSERT ON questions
FOR EACH ROW WHEN new.workspace_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM installations WHERE workspace_id = new.workspace_id AND org_id <> new.org_id)
BEGIN
    SELECT RAISE(ABORT, 'questions.workspace_id names a workspace of another organization');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER questions_workspace_org_update BEFORE UPDATE OF workspace_id, org_id ON questions
FOR EACH ROW WHEN new.workspace_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM installations WHERE workspace_id = new.workspace_id AND org_id <> new.org_id)
BEGIN
    SELECT RAISE(ABORT, 'questions.workspace_id names a workspace of another organization');
END;
-- +goose StatementEnd

-- Nor may a workspace move to another organization under its questions
-- (its jobs' foreign key already refuses that).
-- +goose StatementBegin
CREATE TRIGGER installations_org_keeps_questions BEFORE UPDATE OF org_id ON installations
FOR EACH ROW WHEN new.org_id <> old.org_id AND EXISTS (
    SELECT 1 FROM questions WHERE workspace_id = old.workspace_id)
BEGIN
    SELECT RAISE(ABORT, 'installations.org_id cannot change while questions name the workspace');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER installations_org_keeps_questions;
DROP TRIGGER questions_workspace_org_update;
DROP TRIGGER questions_workspace_org_insert;

CREATE TABLE jobs_old (
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
INSERT INTO jobs_old (job_id, org_id, workspace_id, kind, status, progress, error, created_at, started_at, finished_at)
SELECT job_id, org_id, workspace_id, kind, status, progress, error, created_at, started_at, finished_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_old RENAME TO jobs;
CREATE INDEX jobs_org_created ON jobs (org_id, created_at);

DROP INDEX installations_workspace_org;
