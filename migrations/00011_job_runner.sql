-- Jobs for the job runner (issue 9): imports now, backfills, retention runs
-- and document extraction later. A job is queued by any process (the server,
-- or `lore import` while a server runs) and run by the one runner of the
-- process holding the data directory's lock. The row carries what the job
-- was queued with (params), its live progress as counts beside the
-- percentage, how far it got (checkpoint, so a resumable kind resumes after
-- a crash), who runs it and when that runner last showed life (owner,
-- heartbeat_at), a cancel request, and how it ended: succeeded, partial
-- (some units failed; result says which and why), failed or cancelled.
-- The composite foreign key of 00010 stays: a job names only a workspace of
-- its own organization.

-- +goose Up
CREATE TABLE jobs_new (
    job_id           INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    workspace_id     TEXT,
    kind             TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    status           TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled')),
    -- what the job was queued with, for its kind's handler
    params           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    progress         INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    channels_done    INTEGER NOT NULL DEFAULT 0 CHECK (channels_done >= 0),
    channels_total   INTEGER NOT NULL DEFAULT 0 CHECK (channels_total >= 0),
    messages         INTEGER NOT NULL DEFAULT 0 CHECK (messages >= 0),
    api_calls        INTEGER NOT NULL DEFAULT 0 CHECK (api_calls >= 0),
    rate_limited     INTEGER NOT NULL DEFAULT 0 CHECK (rate_limited >= 0),
    -- what it works on now, e.g. "#deploys 2026-03-02"
    current          TEXT NOT NULL DEFAULT '',
    -- per channel-day or per channel outcome, once it ended
    result           TEXT CHECK (result IS NULL OR json_valid(result)),
    summary          TEXT NOT NULL DEFAULT '',
    checkpoint       BLOB,
    -- the runner running it (process and instance), and its last sign of life
    owner            TEXT,
    heartbeat_at     TEXT,
    -- how many times a runner started it: more than one means it was resumed
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    error            TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at       TEXT,
    finished_at      TEXT,
    FOREIGN KEY (workspace_id, org_id) REFERENCES installations (workspace_id, org_id) ON DELETE CASCADE
);
-- A job that was running under the old table had no runner that could
-- resume it: it ends failed, as the runner's recovery would end it.
INSERT INTO jobs_new (job_id, org_id, workspace_id, kind, status, progress, error, created_at, started_at, finished_at)
SELECT job_id, org_id, workspace_id, kind,
       CASE status WHEN 'running' THEN 'failed' ELSE status END,
       progress,
       CASE status WHEN 'running' THEN 'interrupted' ELSE error END,
       created_at, started_at,
       CASE status WHEN 'running' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') ELSE finished_at END
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_org_created ON jobs (org_id, created_at);
-- the queue: oldest first, per kind
CREATE INDEX jobs_queue ON jobs (kind, job_id) WHERE status = 'queued';
-- what a runner starting up must recover
CREATE INDEX jobs_running ON jobs (job_id) WHERE status = 'running';
-- a workspace's jobs, newest first (also the foreign key's child index)
CREATE INDEX jobs_workspace ON jobs (workspace_id, job_id);

-- +goose Down
CREATE TABLE jobs_old (
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
-- partial has no place in the old status set: some units failed, so failed,
-- with the summary kept as the error.
INSERT INTO jobs_old (job_id, org_id, workspace_id, kind, status, progress, error, created_at, started_at, finished_at)
SELECT job_id, org_id, workspace_id, kind,
       CASE status WHEN 'partial' THEN 'failed' ELSE status END,
       progress,
       CASE status WHEN 'partial' THEN 'partial: ' || summary ELSE error END,
       created_at, started_at, finished_at
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_old RENAME TO jobs;
CREATE INDEX jobs_org_created ON jobs (org_id, created_at);
