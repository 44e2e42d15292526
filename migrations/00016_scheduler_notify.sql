-- The scheduler, retention and email (issue 14).
--
-- schedule_runs: when each scheduled job (by its stable name, e.g.
-- "org-3-backfill", "backup") last ran and how that ended, and since when it
-- has been scheduled as it is now; a start that finds the next run after
-- the later of the two already past runs it once (a missed run).
-- smtp_settings: the instance's SMTP server as its owner set it through the
-- API (the environment, when set, wins over it); the password is a vault
-- token made with the key of encryption_version.
-- mail_log: every mail Lore tried to send, its recipients, how many
-- attempts it took and how it ended; the failed-backfill mail's daily cap per
-- workspace is counted here.
--
-- Retention deletes old messages; to give their pages back to the file
-- system the database needs auto_vacuum = INCREMENTAL, which an existing
-- database only takes through a VACUUM run outside a transaction: this
-- migration therefore runs without one (storage copies the database to
-- backups/ before it migrates an existing schema). Each statement is safe
-- to run again, so a migration interrupted half-way completes on the next
-- start.

-- +goose NO TRANSACTION
-- +goose Up
CREATE TABLE IF NOT EXISTS schedule_runs (
    name         TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
    org_id       INTEGER REFERENCES organizations (org_id) ON DELETE CASCADE,
    -- when the job got its current schedule
    since        TEXT NOT NULL,
    last_run_at  TEXT,
    -- succeeded, failed or skipped, with one line for people
    outcome      TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'succeeded', 'failed', 'skipped')),
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS schedule_runs_org ON schedule_runs (org_id);

CREATE TABLE IF NOT EXISTS smtp_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    host               TEXT NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
    port               INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    tls_mode           TEXT NOT NULL CHECK (tls_mode IN ('none', 'starttls', 'tls')),
    username           TEXT NOT NULL DEFAULT '',
    password_encrypted TEXT NOT NULL DEFAULT '',
    encryption_version INTEGER NOT NULL DEFAULT 0,
    from_address       TEXT NOT NULL CHECK (length(from_address) BETWEEN 3 AND 320),
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE IF NOT EXISTS mail_log (
    mail_id      INTEGER PRIMARY KEY,
    -- no foreign keys: the log outlives what it talks about
    org_id       INTEGER,
    workspace_id TEXT,
    kind         TEXT NOT NULL CHECK (kind IN ('backfill_failed', 'credentials_invalid', 'digest', 'test')),
    recipients   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    attempts     INTEGER NOT NULL CHECK (attempts >= 0),
    error        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS mail_log_workspace ON mail_log (workspace_id, kind, created_at);

PRAGMA auto_vacuum = INCREMENTAL;
VACUUM;

-- +goose Down
DROP TABLE IF EXISTS mail_log;
DROP TABLE IF EXISTS smtp_settings;
DROP TABLE IF EXISTS schedule_runs;
PRAGMA auto_vacuum = NONE;
VACUUM;
