-- The questions log of issue 10: every question asked (on the web, by /ask,
-- /askall, a mention, a direct message or the command line), how it was
-- answered, its top sources and the asker's feedback. A question asked in a
-- private channel is marked, so that lists show it without its words.
--
-- SQLite changes a CHECK only by rebuilding the table: create, copy, drop,
-- rename. Dropping questions drops its triggers, so migration 00010's are
-- created again exactly as 00010 defines them; installations' trigger that
-- reads questions goes first (a rename checks every trigger's tables) and
-- comes back the same.

-- +goose Up
DROP TRIGGER IF EXISTS installations_org_keeps_questions;

CREATE TABLE questions_new (
    question_id     INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    workspace_id    TEXT REFERENCES installations (workspace_id) ON DELETE SET NULL,
    channel_id      TEXT,
    -- asked in a private channel: its words may carry that channel's content
    channel_private INTEGER NOT NULL DEFAULT 0 CHECK (channel_private IN (0, 1)),
    asked_by        TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL CHECK (source IN ('ask', 'askall', 'web', 'mention', 'dm', 'cli')),
    question        TEXT NOT NULL,
    answer          TEXT NOT NULL DEFAULT '',
    answered        INTEGER NOT NULL DEFAULT 0 CHECK (answered IN (0, 1)),
    confidence      INTEGER NOT NULL DEFAULT 0 CHECK (confidence BETWEEN 0 AND 100),
    -- the top sources as JSON: [{"kind", "workspace_id", "channel_id", "ts", "document_id", "score"}]
    sources         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sources) AND json_type(sources) = 'array'),
    -- the asker's feedback: NULL until given, then 1 (helpful) or 0
    helpful         INTEGER CHECK (helpful IN (0, 1)),
    feedback_at     TEXT,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO questions_new (question_id, org_id, workspace_id, channel_id, asked_by, source, question, answer,
    answered, confidence, created_at)
SELECT question_id, org_id, workspace_id, channel_id, asked_by, source, question, answer,
    answered, confidence, created_at FROM questions;
DROP TABLE questions;
ALTER TABLE questions_new RENAME TO questions;
CREATE INDEX questions_org_created ON questions (org_id, created_at);
-- the unanswered list: what the team asks that Lore cannot answer yet
CREATE INDEX questions_org_answered ON questions (org_id, answered, created_at);

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

-- +goose StatementBegin
CREATE TRIGGER installations_org_keeps_questions BEFORE UPDATE OF org_id ON installations
FOR EACH ROW WHEN new.org_id <> old.org_id AND EXISTS (
    SELECT 1 FROM questions WHERE workspace_id = old.workspace_id)
BEGIN
    SELECT RAISE(ABORT, 'installations.org_id cannot change while questions name the workspace');
END;
-- +goose StatementEnd

-- The instance's optional model: one OpenAI-compatible chat endpoint for
-- every organization, set by the instance owner (the environment's
-- LORE_LLM_* win over it). The API key is a Fernet token of the key
-- version in encryption_version, re-encrypted by key rotation.
CREATE TABLE instance_llm (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    base_url           TEXT NOT NULL DEFAULT '' CHECK (base_url = '' OR base_url GLOB 'http://?*' OR base_url GLOB 'https://?*'),
    model              TEXT NOT NULL DEFAULT '' CHECK (length(model) <= 200),
    api_key_encrypted  TEXT,
    encryption_version INTEGER CHECK (encryption_version >= 1),
    timeout_ms         INTEGER NOT NULL DEFAULT 20000 CHECK (timeout_ms BETWEEN 1000 AND 300000),
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((api_key_encrypted IS NULL) = (encryption_version IS NULL))
);

-- +goose Down
DROP TABLE instance_llm;
DROP TRIGGER installations_org_keeps_questions;

CREATE TABLE questions_old (
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
-- questions from the new sources have no place in the old table
INSERT INTO questions_old (question_id, org_id, workspace_id, channel_id, asked_by, source, question, answer,
    answered, confidence, created_at)
SELECT question_id, org_id, workspace_id, channel_id, asked_by, source, question, answer,
    answered, confidence, created_at FROM questions WHERE source IN ('ask', 'askall', 'web');
DROP TABLE questions;
ALTER TABLE questions_old RENAME TO questions;
CREATE INDEX questions_org_created ON questions (org_id, created_at);

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

-- +goose StatementBegin
CREATE TRIGGER installations_org_keeps_questions BEFORE UPDATE OF org_id ON installations
FOR EACH ROW WHEN new.org_id <> old.org_id AND EXISTS (
    SELECT 1 FROM questions WHERE workspace_id = old.workspace_id)
BEGIN
    SELECT RAISE(ABORT, 'installations.org_id cannot change while questions name the workspace');
END;
-- +goose StatementEnd
