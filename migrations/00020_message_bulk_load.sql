-- A bulk load (an export import) queues its messages for the index set-wise,
-- once per transaction, instead of through a trigger per row (issue 9's speed
-- goal). The import's transaction puts the one row of message_bulk_load in at
-- its start and takes it out before it commits, so no other transaction ever
-- sees it: every other writer's inserts are queued by the trigger as before,
-- and storage's bulk write queues what it inserted, the same rows the trigger
-- would have queued, before the row goes. A rolled-back load leaves neither.
--
-- The three insert triggers of 00012 become one: each looked the flag up
-- (three lookups per row); one trigger looks once, and its statements for
-- replies and parents skip themselves on their constant conditions.

-- +goose Up
CREATE TABLE message_bulk_load (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);

DROP TRIGGER messages_index_insert_parent;
DROP TRIGGER messages_index_insert_reply;
DROP TRIGGER messages_index_insert;

-- +goose StatementBegin
CREATE TRIGGER messages_index_insert AFTER INSERT ON messages
WHEN NOT EXISTS (SELECT 1 FROM message_bulk_load) BEGIN
    INSERT INTO messages_fts_pending (message_id, reindex) VALUES (new.message_id, 0)
        ON CONFLICT DO NOTHING;
    -- a new reply among the first three changes its parent's context
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT p.message_id, 1 FROM messages p
        WHERE new.thread_ts IS NOT NULL AND new.thread_ts <> new.ts
          AND p.workspace_id = new.workspace_id AND p.channel_id = new.channel_id AND p.ts = new.thread_ts
          AND (SELECT count(*) FROM messages r
               WHERE r.workspace_id = new.workspace_id AND r.channel_id = new.channel_id
                 AND r.thread_ts = new.thread_ts AND r.ts < new.ts AND r.ts <> r.thread_ts) < 3
        ON CONFLICT DO NOTHING;
    -- a parent arriving after its replies (exports hold such) gives them context
    INSERT INTO messages_fts_pending (message_id, reindex)
        SELECT r.message_id, 1 FROM messages r
        WHERE new.thread_ts = new.ts
          AND r.workspace_id = new.workspace_id AND r.channel_id = new.channel_id
          AND r.thread_ts = new.ts AND r.ts <> new.ts
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER messages_index_insert;

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

DROP TABLE message_bulk_load;
