-- The original system's step 006: per-organization settings with defaults for
-- every organization, and encrypted credential columns beside the legacy
-- plaintext ones (credentials_encrypted chooses which set is read).

-- +goose Up
CREATE TABLE org_settings (
    org_id                      INTEGER PRIMARY KEY REFERENCES organizations (org_id) ON DELETE CASCADE,
    ai_tone                     TEXT NOT NULL DEFAULT 'professional'
                                CHECK (ai_tone IN ('professional', 'casual', 'technical')),
    ai_response_length          TEXT NOT NULL DEFAULT 'balanced'
                                CHECK (ai_response_length IN ('concise', 'balanced', 'detailed')),
    confidence_threshold        INTEGER NOT NULL DEFAULT 40
                                CHECK (typeof(confidence_threshold) = 'integer' AND confidence_threshold BETWEEN 0 AND 100),
    custom_system_prompt        TEXT DEFAULT NULL
                                CHECK (custom_system_prompt IS NULL OR length(custom_system_prompt) <= 4000),
    -- a 5-field cron expression in UTC; its syntax is validated in code by the scheduler's parser
    backfill_schedule           TEXT NOT NULL DEFAULT '0 2 * * *'
                                CHECK (length(trim(backfill_schedule)) BETWEEN 9 AND 200),
    backfill_days_back          INTEGER NOT NULL DEFAULT 90
                                CHECK (typeof(backfill_days_back) = 'integer' AND backfill_days_back BETWEEN 1 AND 365),
    auto_backfill_enabled       INTEGER NOT NULL DEFAULT 1 CHECK (auto_backfill_enabled IN (0, 1)),
    slack_commands_enabled      INTEGER NOT NULL DEFAULT 1 CHECK (slack_commands_enabled IN (0, 1)),
    web_qa_enabled              INTEGER NOT NULL DEFAULT 1 CHECK (web_qa_enabled IN (0, 1)),
    document_upload_enabled     INTEGER NOT NULL DEFAULT 1 CHECK (document_upload_enabled IN (0, 1)),
    email_notifications_enabled INTEGER NOT NULL DEFAULT 1 CHECK (email_notifications_enabled IN (0, 1)),
    notify_on_failed_backfill   INTEGER NOT NULL DEFAULT 1 CHECK (notify_on_failed_backfill IN (0, 1)),
    weekly_digest_enabled       INTEGER NOT NULL DEFAULT 0 CHECK (weekly_digest_enabled IN (0, 1)),
    message_retention_days      INTEGER NOT NULL DEFAULT 365
                                CHECK (typeof(message_retention_days) = 'integer' AND message_retention_days >= 30),
    created_at                  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at                  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Moves updated_at on every change unless the statement set it itself.
-- +goose StatementBegin
CREATE TRIGGER org_settings_updated_at AFTER UPDATE ON org_settings
FOR EACH ROW WHEN new.updated_at = old.updated_at BEGIN
    UPDATE org_settings SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE org_id = new.org_id;
END;
-- +goose StatementEnd

-- Every organization has its settings row, from the first moment it exists.
INSERT INTO org_settings (org_id) SELECT org_id FROM organizations;

-- +goose StatementBegin
CREATE TRIGGER organizations_default_settings AFTER INSERT ON organizations BEGIN
    INSERT INTO org_settings (org_id) VALUES (new.org_id);
END;
-- +goose StatementEnd

ALTER TABLE installations ADD COLUMN bot_token_encrypted TEXT;
ALTER TABLE installations ADD COLUMN app_token_encrypted TEXT;
ALTER TABLE installations ADD COLUMN signing_secret_encrypted TEXT;
ALTER TABLE installations ADD COLUMN encryption_version INTEGER NOT NULL DEFAULT 1 CHECK (encryption_version >= 1);
ALTER TABLE installations ADD COLUMN credentials_encrypted INTEGER NOT NULL DEFAULT 0 CHECK (credentials_encrypted IN (0, 1));
ALTER TABLE installations ADD COLUMN bot_user_id TEXT;
ALTER TABLE installations ADD COLUMN last_verified_at TEXT;
ALTER TABLE installations ADD COLUMN is_valid INTEGER NOT NULL DEFAULT 1 CHECK (is_valid IN (0, 1));

-- +goose Down
ALTER TABLE installations DROP COLUMN is_valid;
ALTER TABLE installations DROP COLUMN last_verified_at;
ALTER TABLE installations DROP COLUMN bot_user_id;
ALTER TABLE installations DROP COLUMN credentials_encrypted;
ALTER TABLE installations DROP COLUMN encryption_version;
ALTER TABLE installations DROP COLUMN signing_secret_encrypted;
ALTER TABLE installations DROP COLUMN app_token_encrypted;
ALTER TABLE installations DROP COLUMN bot_token_encrypted;
DROP TRIGGER organizations_default_settings;
DROP TRIGGER org_settings_updated_at;
DROP TABLE org_settings;
