-- The backfill's sync state (issue 11), apart from channels.last_synced_ts,
-- which holds only the newest ts and so cannot resume a backward,
-- cursor-paged history run or a thread's replies:
--   channel_sync  per channel: included or excluded, whether the bot is a
--                 member, the ts range covered so far, and the history run
--                 in progress (its window, the cursor of its next page and
--                 the lower end of what its pages have covered);
--   thread_sync   per thread: its latest_reply and reply_count as history
--                 last showed them (wanted, "1700000005.000100/3"), the pair
--                 its replies were read through, and the cursor of a replies
--                 run in progress: a thread is read again only when history
--                 shows it changed since (a new or a deleted reply);
--   workspace_sync per workspace: whether the backfill joins every public
--                 channel (conversations.join).
-- Each is written in the transaction that stores the page's messages, so a
-- crash resumes exactly where the last stored page left off. A unique index
-- over active backfill jobs lets the database, not only the runner, refuse a
-- second backfill of a workspace.

-- +goose Up
CREATE TABLE channel_sync (
    workspace_id   TEXT NOT NULL,
    channel_id     TEXT NOT NULL,
    -- NULL follows the default (a channel the bot can read is included)
    included       INTEGER CHECK (included IN (0, 1)),
    is_member      INTEGER NOT NULL DEFAULT 0 CHECK (is_member IN (0, 1)),
    -- Slack ts range the stored history covers (NULL: none yet)
    oldest_ts      TEXT,
    newest_ts      TEXT,
    -- the history run in progress: its window [run_oldest, run_latest], the
    -- ts below which its stored pages have covered everything (run_upper),
    -- and the cursor of its next page; all NULL when none runs
    run_oldest     TEXT,
    run_latest     TEXT,
    run_upper      TEXT,
    run_cursor     TEXT,
    last_synced_at TEXT,
    -- why the last run could not read it ("not_in_channel"); '' when it could
    last_error     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (workspace_id, channel_id),
    FOREIGN KEY (workspace_id, channel_id) REFERENCES channels (workspace_id, channel_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE thread_sync (
    workspace_id TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    thread_ts    TEXT NOT NULL,
    wanted       TEXT NOT NULL,
    read_through TEXT,
    -- the replies run in progress: the cursor of its next page, and the ts
    -- after which its stored pages have not covered the thread yet
    run_cursor   TEXT,
    run_after    TEXT,
    PRIMARY KEY (workspace_id, channel_id, thread_ts),
    FOREIGN KEY (workspace_id, channel_id) REFERENCES channels (workspace_id, channel_id) ON DELETE CASCADE
) WITHOUT ROWID;
-- the threads still to read
CREATE INDEX thread_sync_pending ON thread_sync (workspace_id, channel_id, thread_ts)
    WHERE read_through IS NULL OR read_through <> wanted;

CREATE TABLE workspace_sync (
    workspace_id TEXT PRIMARY KEY REFERENCES installations (workspace_id) ON DELETE CASCADE,
    join_public  INTEGER NOT NULL DEFAULT 0 CHECK (join_public IN (0, 1))
);

-- at most one backfill of a workspace queued or running at a time
CREATE UNIQUE INDEX jobs_one_backfill ON jobs (workspace_id)
    WHERE kind = 'backfill' AND status IN ('queued', 'running');

-- +goose Down
DROP INDEX jobs_one_backfill;
DROP TABLE workspace_sync;
DROP TABLE thread_sync;
DROP TABLE channel_sync;
