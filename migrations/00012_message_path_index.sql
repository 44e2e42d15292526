-- The one message path (issue 9): messages keep Slack's raw text beside the
-- readable, searchable body, with the thread, noise and bot facts answers need;
-- Slack users get a table for names; and the full-text index becomes a
-- contentless two-column FTS5 table (body, thread context) filled from a queue.
--
-- Why a queue: a contentless index cannot be read back nor partly updated, and a
-- row's thread context depends on other rows (a reply carries its parent's
-- words, a parent its first replies'), which may arrive later, or in another
-- batch. Triggers put every message whose index row must be (re)written into
-- messages_fts_pending in the same transaction as the change, so no writer can
-- forget; storage's IndexPending rewrites those rows from messages, set-wise,
-- before the writing transaction commits. The queue is never left filled by a
-- committed transaction, but if it were, the next flush would finish it.

-- +goose Up
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_insert;
DROP TABLE messages_fts;

CREATE TABLE messages_new (
    message_id   INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    -- Slack's message id and time: seconds since 1970, a dot, a sequence
    ts           TEXT NOT NULL CHECK (length(ts) BETWEEN 1 AND 32 AND ts GLOB '[0-9]*' AND ts NOT GLOB '*[^0-9.]*'),
    thread_ts    TEXT,
    user_id      TEXT NOT NULL DEFAULT '',
    bot_id       TEXT NOT NULL DEFAULT '',
    -- the name the message itself carries (a bot's username, the user_profile of
    -- an author missing from users.json), for when slack_users has none
    author_name  TEXT NOT NULL DEFAULT '',
    -- Slack's text as sent (markup and all); body is what people read and search:
    -- markup made readable, with attachments', blocks' and files' words; NULL
    -- when it reads as text does (most messages), so that it is stored once
    text         TEXT NOT NULL DEFAULT '',
    body         TEXT,
    subtype      TEXT NOT NULL DEFAULT '',
    -- joins, leaves, topic changes, tombstones: kept, never indexed
    is_noise     INTEGER NOT NULL DEFAULT 0 CHECK (is_noise IN (0, 1)),
    is_bot       INTEGER NOT NULL DEFAULT 0 CHECK (is_bot IN (0, 1)),
    reply_count  INTEGER NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    latest_reply TEXT,
    edited       INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
    edited_ts    TEXT NOT NULL DEFAULT '',
    -- the time of ts (never the day file's date), as every timestamp column
    -- stores it, milliseconds truncated (strftime's %f would round)
    posted_at    TEXT GENERATED ALWAYS AS (
        strftime('%Y-%m-%dT%H:%M:%S.', CAST(ts AS INTEGER), 'unixepoch')
        || substr(CASE WHEN instr(ts, '.') > 0 THEN substr(ts, instr(ts, '.') + 1) ELSE '' END || '000', 1, 3)
        || 'Z') VIRTUAL,
    -- a hash of every stored field, so an unchanged redelivery writes nothing
    digest       INTEGER NOT NULL DEFAULT 0,
    -- how many times a redelivery changed the row (0: as first stored)
    revision     INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (workspace_id, channel_id, ts),
    FOREIGN KEY (workspace_id, channel_id) REFERENCES channels (workspace_id, channel_id) ON DELETE CASCADE
);
INSERT INTO messages_new (message_id, workspace_id, channel_id, ts, thread_ts, user_id, text, edited, created_at)
SELECT message_id, workspace_id, channel_id, ts, thread_ts, user_id, text, edited, created_at
FROM messages WHERE deleted = 0;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
-- a thread's messages in ts order: context (first replies) and the triggers'
-- counts are ranges of it
CREATE INDEX messages_thread ON messages (workspace_id, channel_id, thread_ts, ts) WHERE thread_ts IS NOT NULL;

-- Slack's users, for names: "#deploys · Maya Chen · 3 Mar".
CREATE TABLE slack_users (
    workspace_id TEXT NOT NULL REFERENCES installations (workspace_id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL CHECK (length(user_id) BETWEEN 1 AND 32),
    name         TEXT NOT NULL DEFAULT '', -- the handle
    display_name TEXT NOT NULL DEFAULT '',
    real_name    TEXT NOT NULL DEFAULT '',
    is_bot       INTEGER NOT NULL DEFAULT 0 CHECK (is_bot IN (0, 1)),
    is_deleted   INTEGER NOT NULL DEFAULT 0 CHECK (is_deleted IN (0, 1)),
    PRIMARY KEY (workspace_id, user_id)
) WITHOUT ROWID;

-- body and thread context; bm25 weights (1, 1.5) put the answering reply first
-- far more often than body alone (measured in issue 9). contentless_delete lets
-- rows be deleted by rowid without their old values.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    context,
    content = '',
    contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('rank', 'bm25(1.0, 1.5)');
-- FTS5 writes its pending terms out as a new segment when they pass hashsize
-- (1 MB by default), so a batch of thousands of messages made several small
-- segments, each merged again later; 16 MB holds one batch.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', 16777216);

-- The messages whose index row must be written: reindex = 1 when the index holds
-- an older row for it that must go first, 0 when it has none yet.
CREATE TABLE messages_fts_pending (
    message_id INTEGER PRIMARY KEY,
    reindex    INTEGER NOT NULL CHECK (reindex IN (0, 1))
);
INSERT INTO messages_fts_pending (message_id, reindex) SELECT message_id, 0 FROM messages;

-- One trigger per case, with WHEN clauses, so that a plain message (most of
-- them) runs only the first: a bulk import stores a million.
-- +goose StatementBegin
CREATE TRIGGER messages_index_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts_pending (message_id, reindex) VALUES (new.message_id, 0)
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- A new reply among the first three changes its parent's context.
-- +goose StatementBegin
CREATE TRIGGER messages_index_insert_reply AFTER INSERT ON messages
WHEN new.thread_ts IS NOT NULL AND new.thread_ts <> new.ts BEGIN
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT p.message_id, 1 FROM messages p
        WHERE p.workspace_id = new.workspace_id AND p.channel_id = new.channel_id AND p.ts = new.thread_ts
          AND (SELECT count(*) FROM messages r
               WHERE r.workspace_id = new.workspace_id AND r.channel_id = new.channel_id
                 AND r.thread_ts = new.thread_ts AND r.ts < new.ts AND r.ts <> r.thread_ts) < 3
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- A parent arriving after its replies (exports hold such) gives them context.
-- +goose StatementBegin
CREATE TRIGGER messages_index_insert_parent AFTER INSERT ON messages
WHEN new.thread_ts = new.ts BEGIN
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT r.message_id, 1 FROM messages r
        WHERE r.workspace_id = new.workspace_id AND r.channel_id = new.channel_id
          AND r.thread_ts = new.ts AND r.ts <> new.ts
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_index_update AFTER UPDATE OF text, body, thread_ts, is_noise ON messages
WHEN old.text IS NOT new.text OR old.body IS NOT new.body OR old.thread_ts IS NOT new.thread_ts
  OR old.is_noise IS NOT new.is_noise BEGIN
    INSERT INTO messages_fts_pending (message_id, reindex) VALUES (new.message_id, 1)
        ON CONFLICT DO NOTHING;
    -- an edited reply may be in its parent's context
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT p.message_id, 1 FROM messages p
        WHERE p.workspace_id = new.workspace_id AND p.channel_id = new.channel_id
          AND p.ts IN (old.thread_ts, new.thread_ts) AND p.ts <> new.ts
        ON CONFLICT DO NOTHING;
    -- an edited parent refreshes its replies' context
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT r.message_id, 1 FROM messages r
        WHERE new.thread_ts = new.ts
          AND r.workspace_id = new.workspace_id AND r.channel_id = new.channel_id
          AND r.thread_ts = new.ts AND r.ts <> new.ts
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- A deleted message leaves the index at once (also when a workspace or
-- channel goes, by cascade), and its thread's rows are queued for new context.
-- +goose StatementBegin
CREATE TRIGGER messages_index_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = old.message_id
        AND NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE message_id = old.message_id AND reindex = 0);
    DELETE FROM messages_fts_pending WHERE message_id = old.message_id;
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT t.message_id, 1 FROM messages t
        WHERE old.thread_ts IS NOT NULL
          AND t.workspace_id = old.workspace_id AND t.channel_id = old.channel_id
          AND (t.ts = old.thread_ts OR t.thread_ts = old.ts)
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- Document frequencies for the query planner, refreshed from the index after
-- each bulk write (storage's RefreshTermStats): reading fts5vocab per query
-- costs tens of milliseconds at a million messages, this table one lookup.
CREATE VIRTUAL TABLE messages_fts_vocab USING fts5vocab (messages_fts, 'row');
CREATE TABLE message_terms (
    term      TEXT PRIMARY KEY,
    documents INTEGER NOT NULL CHECK (documents >= 0)
) WITHOUT ROWID;
CREATE TABLE message_term_stats (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    documents    INTEGER NOT NULL DEFAULT 0 CHECK (documents >= 0),
    refreshed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO message_term_stats (id) VALUES (1);

-- +goose Down
DROP TABLE message_term_stats;
DROP TABLE message_terms;
DROP TABLE messages_fts_vocab;
DROP TRIGGER messages_index_delete;
DROP TRIGGER messages_index_update;
DROP TRIGGER messages_index_insert_parent;
DROP TRIGGER messages_index_insert_reply;
DROP TRIGGER messages_index_insert;
DROP TABLE messages_fts_pending;
DROP TABLE messages_fts;
DROP TABLE slack_users;

CREATE TABLE messages_old (
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
INSERT INTO messages_old (message_id, workspace_id, channel_id, ts, thread_ts, user_id, text, edited, created_at)
SELECT message_id, workspace_id, channel_id, ts, thread_ts, user_id, text, edited, created_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_old RENAME TO messages;
CREATE INDEX messages_thread ON messages (workspace_id, channel_id, thread_ts) WHERE thread_ts IS NOT NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text,
    content = 'messages',
    content_rowid = 'message_id',
    tokenize = 'porter unicode61'
);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

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
