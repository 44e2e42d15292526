-- A faster message path (issue 9's import speed), with the same rows.
--
-- 1. New messages are queued for the index by a watermark instead of by
--    insert triggers. Any row trigger on messages made SQLite copy every
--    multi-row insert into a temporary table before storing it, and ran three
--    trigger programs per message: together about a third of an import's
--    message writes. Now message_index.indexed_through is the highest
--    message_id the index covers, and every message above it is waiting for
--    its index row; storage's IndexPending indexes them, queues the thread
--    rows whose context they change (set-wise, as the insert triggers did
--    row by row), and moves the watermark. AUTOINCREMENT keeps ids from being
--    used twice, so a new message is always above the watermark.
--    messages_fts_pending now holds only indexed messages whose index row must
--    be written again (edits, deletions in their thread).
-- 2. ts loses its GLOB checks, which cost a pattern match per message:
--    storage refuses a ts that is not a Slack timestamp before it writes one.
-- The index is rebuilt here, as indexPending writes its rows. (detail=column
-- would have made the index smaller, but on a contentless table FTS5 then
-- reports no term frequencies, and every bm25 score is 0.)

-- +goose Up
DROP TRIGGER messages_index_delete;
DROP TRIGGER messages_index_update;
DROP TRIGGER messages_index_insert_parent;
DROP TRIGGER messages_index_insert_reply;
DROP TRIGGER messages_index_insert;
DROP TABLE messages_fts_vocab;
DROP TABLE messages_fts;

CREATE TABLE messages_new (
    message_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    -- Slack's message id and its time (the only one: never the day file's
    -- date): seconds since 1970, a dot, microseconds; storage checks its shape
    ts           TEXT NOT NULL CHECK (length(ts) BETWEEN 1 AND 32),
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
    -- a hash of every stored field, so an unchanged redelivery writes nothing
    digest       INTEGER NOT NULL DEFAULT 0,
    -- how many times a redelivery changed the row (0: as first stored)
    revision     INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (workspace_id, channel_id, ts),
    FOREIGN KEY (workspace_id, channel_id) REFERENCES channels (workspace_id, channel_id) ON DELETE CASCADE
);
INSERT INTO messages_new SELECT * FROM messages ORDER BY message_id;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
-- a thread's messages in ts order: context (first replies) is a range of it
CREATE INDEX messages_thread ON messages (workspace_id, channel_id, thread_ts, ts) WHERE thread_ts IS NOT NULL;

-- body and thread context, weighted (1, 1.5) by bm25 (migration 00012)
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    context,
    content = '',
    contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('rank', 'bm25(1.0, 1.5)');
INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', 16777216);
CREATE VIRTUAL TABLE messages_fts_vocab USING fts5vocab (messages_fts, 'row');

-- The highest message_id the index covers: every message above it waits for
-- its index row.
CREATE TABLE message_index (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_through INTEGER NOT NULL DEFAULT 0 CHECK (indexed_through >= 0)
);
INSERT INTO message_index (id) VALUES (1);

-- Every message is indexed again, as storage's indexPending writes a row:
-- body, and a thread's context (a reply its parent's words, a parent its
-- first three replies', at most 2,000 bytes).
INSERT INTO messages_fts (rowid, body, context)
SELECT m.message_id, coalesce(m.body, m.text), substr(CASE
    WHEN m.thread_ts IS NULL THEN ''
    WHEN m.thread_ts <> m.ts THEN coalesce((SELECT coalesce(p.body, p.text) FROM messages p
        WHERE p.workspace_id = m.workspace_id AND p.channel_id = m.channel_id AND p.ts = m.thread_ts), '')
    ELSE coalesce((SELECT group_concat(body, ' ') FROM (SELECT coalesce(r.body, r.text) AS body FROM messages r
        WHERE r.workspace_id = m.workspace_id AND r.channel_id = m.channel_id
          AND r.thread_ts = m.ts AND r.ts <> m.ts AND r.is_noise = 0
        ORDER BY r.ts LIMIT 3)), '')
    END, 1, 2000)
FROM messages m WHERE m.is_noise = 0;
UPDATE message_index SET indexed_through = (SELECT coalesce(max(message_id), 0) FROM messages);
DELETE FROM messages_fts_pending;
INSERT INTO messages_fts (messages_fts) VALUES ('optimize');

-- An edit rewrites the index row of an indexed message, and of the thread
-- rows whose context it is part of (one above the watermark is indexed from
-- messages as it is anyway).
-- +goose StatementBegin
CREATE TRIGGER messages_index_update AFTER UPDATE OF text, body, thread_ts, is_noise ON messages
WHEN old.text IS NOT new.text OR old.body IS NOT new.body OR old.thread_ts IS NOT new.thread_ts
  OR old.is_noise IS NOT new.is_noise BEGIN
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT new.message_id, 1 FROM message_index WHERE new.message_id <= indexed_through
        ON CONFLICT DO NOTHING;
    -- an edited reply may be in its parent's context
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT p.message_id, 1 FROM messages p, message_index i
        WHERE p.workspace_id = new.workspace_id AND p.channel_id = new.channel_id
          AND p.ts IN (old.thread_ts, new.thread_ts) AND p.ts <> new.ts AND p.message_id <= i.indexed_through
        ON CONFLICT DO NOTHING;
    -- an edited parent refreshes its replies' context
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT r.message_id, 1 FROM messages r, message_index i
        WHERE new.thread_ts = new.ts
          AND r.workspace_id = new.workspace_id AND r.channel_id = new.channel_id
          AND r.thread_ts = new.ts AND r.ts <> new.ts AND r.message_id <= i.indexed_through
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- A deleted message leaves the index at once (also when a workspace or
-- channel goes, by cascade), and its thread's indexed rows are queued for new
-- context.
-- +goose StatementBegin
CREATE TRIGGER messages_index_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = old.message_id
        AND old.message_id <= (SELECT indexed_through FROM message_index);
    DELETE FROM messages_fts_pending WHERE message_id = old.message_id;
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT t.message_id, 1 FROM messages t, message_index i
        WHERE old.thread_ts IS NOT NULL
          AND t.workspace_id = old.workspace_id AND t.channel_id = old.channel_id
          AND (t.ts = old.thread_ts OR t.thread_ts = old.ts) AND t.message_id <= i.indexed_through
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER messages_index_delete;
DROP TRIGGER messages_index_update;
DROP TABLE message_index;
DROP TABLE messages_fts_vocab;
DROP TABLE messages_fts;

CREATE TABLE messages_old (
    message_id   INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    ts           TEXT NOT NULL CHECK (length(ts) BETWEEN 1 AND 32 AND ts GLOB '[0-9]*' AND ts NOT GLOB '*[^0-9.]*'),
    thread_ts    TEXT,
    user_id      TEXT NOT NULL DEFAULT '',
    bot_id       TEXT NOT NULL DEFAULT '',
    author_name  TEXT NOT NULL DEFAULT '',
    text         TEXT NOT NULL DEFAULT '',
    body         TEXT,
    subtype      TEXT NOT NULL DEFAULT '',
    is_noise     INTEGER NOT NULL DEFAULT 0 CHECK (is_noise IN (0, 1)),
    is_bot       INTEGER NOT NULL DEFAULT 0 CHECK (is_bot IN (0, 1)),
    reply_count  INTEGER NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    latest_reply TEXT,
    edited       INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
    edited_ts    TEXT NOT NULL DEFAULT '',
    digest       INTEGER NOT NULL DEFAULT 0,
    revision     INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (workspace_id, channel_id, ts),
    FOREIGN KEY (workspace_id, channel_id) REFERENCES channels (workspace_id, channel_id) ON DELETE CASCADE
);
INSERT INTO messages_old SELECT * FROM messages ORDER BY message_id;
DROP TABLE messages;
ALTER TABLE messages_old RENAME TO messages;
CREATE INDEX messages_thread ON messages (workspace_id, channel_id, thread_ts, ts) WHERE thread_ts IS NOT NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    context,
    content = '',
    contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('rank', 'bm25(1.0, 1.5)');
INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', 16777216);
CREATE VIRTUAL TABLE messages_fts_vocab USING fts5vocab (messages_fts, 'row');
-- the index is empty: every message is queued, and the next write indexes them
DELETE FROM messages_fts_pending;
INSERT INTO messages_fts_pending (message_id, reindex) SELECT message_id, 0 FROM messages;

-- +goose StatementBegin
CREATE TRIGGER messages_index_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts_pending (message_id, reindex) VALUES (new.message_id, 0)
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

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
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT p.message_id, 1 FROM messages p
        WHERE p.workspace_id = new.workspace_id AND p.channel_id = new.channel_id
          AND p.ts IN (old.thread_ts, new.thread_ts) AND p.ts <> new.ts
        ON CONFLICT DO NOTHING;
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT r.message_id, 1 FROM messages r
        WHERE new.thread_ts = new.ts
          AND r.workspace_id = new.workspace_id AND r.channel_id = new.channel_id
          AND r.thread_ts = new.ts AND r.ts <> new.ts
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

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
