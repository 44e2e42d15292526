-- PLACEHOLDER for helper C's 00010 (issue 8), so that 00011 can be written
-- and tested on top of it; the lead drops this file at merge in favour of
-- C's. It holds only what 00011 relies on: installations unique on
-- (workspace_id, org_id), and jobs rebuilt with a composite foreign key, so
-- that a job can only name a workspace of its own organization.

-- +goose Up
CREATE UNIQUE INDEX installations_workspace_org ON installations (workspace_id, org_id);

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
INSERT INTO jobs_new SELECT job_id, org_id, workspace_id, kind, status, progress, error, created_at, started_at, finished_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_org_created ON jobs (org_id, created_at);

-- +goose Down
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
INSERT INTO jobs_old SELECT job_id, org_id, workspace_id, kind, status, progress, error, created_at, started_at, finished_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_old RENAME TO jobs;
CREATE INDEX jobs_org_created ON jobs (org_id, created_at);
DROP INDEX installations_workspace_org;
