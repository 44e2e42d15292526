package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ChannelSync is a channel with its backfill state.
type ChannelSync struct {
	Channel
	// Included is the admin's choice: nil follows the default (a channel
	// the bot can read is backfilled), else true (include) or false (exclude).
	Included *bool
	Member   bool // the bot is a member, as conversations.list last said
	// OldestTS and NewestTS bound what the stored history covers; "" when
	// no history run has finished yet.
	OldestTS, NewestTS string
	// Run is the history run in progress; its zero value when none is.
	Run HistoryRun
	// LastSyncedAt is when a history run of the channel last finished.
	LastSyncedAt time.Time
	// LastError is why the last run could not read it; "" when it could.
	LastError string
	Messages  int64 // messages stored
}

// HistoryRun is one backward, cursor-paged read of a channel's history
// over the window [Oldest, Latest]: Upper is the ts below which its stored
// pages have covered everything (Latest before the first page), Cursor the
// next page's ("" before the first page).
type HistoryRun struct {
	Oldest, Latest, Upper, Cursor string
}

// Active tells whether the run has started.
func (r HistoryRun) Active() bool { return r.Latest != "" }

// ThreadSync is a thread whose replies are still to be read.
type ThreadSync struct {
	WorkspaceID, ChannelID, ThreadTS string
	// Wanted is the thread's latest_reply and reply_count as history last
	// showed them ("1700000005.000100/3").
	Wanted string
	// Cursor and After are the replies run in progress: the next page's
	// cursor, and the ts after which the stored pages have not covered the
	// thread yet; both "" before its first page.
	Cursor, After string
}

// ListChannelSyncs returns the workspace's channels with their sync state
// and message counts, by name.
func (s *Store) ListChannelSyncs(ctx context.Context, workspaceID string) ([]ChannelSync, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT c.workspace_id, c.channel_id, c.name, c.is_private, c.is_archived,
			cs.included, coalesce(cs.is_member, 0), coalesce(cs.oldest_ts, ''), coalesce(cs.newest_ts, ''),
			coalesce(cs.run_oldest, ''), coalesce(cs.run_latest, ''), coalesce(cs.run_upper, ''), coalesce(cs.run_cursor, ''),
			coalesce(cs.last_synced_at, ''), coalesce(cs.last_error, ''),
			(SELECT count(*) FROM messages m WHERE m.workspace_id = c.workspace_id AND m.channel_id = c.channel_id)
		FROM channels c LEFT JOIN channel_sync cs ON cs.workspace_id = c.workspace_id AND cs.channel_id = c.channel_id
		WHERE c.workspace_id = ? ORDER BY c.name, c.channel_id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("storage: channel sync state of %s: %w", workspaceID, err)
	}
	defer rows.Close()
	var out []ChannelSync
	for rows.Next() {
		var (
			c        ChannelSync
			included sql.NullBool
			synced   string
		)
		if err := rows.Scan(&c.WorkspaceID, &c.ID, &c.Name, &c.Private, &c.Archived, &included, &c.Member,
			&c.OldestTS, &c.NewestTS, &c.Run.Oldest, &c.Run.Latest, &c.Run.Upper, &c.Run.Cursor,
			&synced, &c.LastError, &c.Messages); err != nil {
			return nil, fmt.Errorf("storage: channel sync state of %s: %w", workspaceID, err)
		}
		if included.Valid {
			c.Included = &included.Bool
		}
		if synced != "" {
			if c.LastSyncedAt, err = parseTime(synced); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ChannelChoice is an admin's include (true), exclude (false) or default
// (nil) for a channel.
type ChannelChoice struct {
	ChannelID string
	Included  *bool
}

// SetChannelsIncluded records choices in one transaction: all of them, or,
// when one names a channel the workspace does not have, none (ErrNotFound).
func (s *Store) SetChannelsIncluded(ctx context.Context, workspaceID string, choices []ChannelChoice) error {
	err := s.Tx(ctx, func(tx *Tx) error {
		for _, c := range choices {
			var n int
			if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM channels WHERE workspace_id = ? AND channel_id = ?`,
				workspaceID, c.ChannelID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("channel %s: %w", c.ChannelID, ErrNotFound)
			}
			var v sql.NullBool
			if c.Included != nil {
				v = sql.NullBool{Bool: *c.Included, Valid: true}
			}
			if _, err := tx.tx.ExecContext(ctx, `INSERT INTO channel_sync (workspace_id, channel_id, included) VALUES (?, ?, ?)
				ON CONFLICT DO UPDATE SET included = excluded.included`, workspaceID, c.ChannelID, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: include channels of %s: %w", workspaceID, err)
	}
	return nil
}

// SetChannelMember records whether the bot is a member of the channel.
func (w *MessageWriter) SetChannelMember(ctx context.Context, workspaceID, channelID string, member bool) error {
	_, err := w.tx.ExecContext(ctx, `INSERT INTO channel_sync (workspace_id, channel_id, is_member) VALUES (?, ?, ?)
		ON CONFLICT DO UPDATE SET is_member = excluded.is_member WHERE is_member <> excluded.is_member`,
		workspaceID, channelID, member)
	if err != nil {
		return fmt.Errorf("storage: channel member %s/%s: %w", workspaceID, channelID, err)
	}
	return nil
}

// SaveHistoryRun records how far a channel's history run got, in the
// transaction that stores the page it read.
func (w *MessageWriter) SaveHistoryRun(ctx context.Context, workspaceID, channelID string, r HistoryRun) error {
	_, err := w.tx.ExecContext(ctx, `INSERT INTO channel_sync (workspace_id, channel_id, run_oldest, run_latest, run_upper, run_cursor)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6)
		ON CONFLICT DO UPDATE SET run_oldest = ?3, run_latest = ?4, run_upper = ?5, run_cursor = ?6`,
		workspaceID, channelID, r.Oldest, r.Latest, nullString(r.Upper), nullString(r.Cursor))
	if err != nil {
		return fmt.Errorf("storage: history run of %s/%s: %w", workspaceID, channelID, err)
	}
	return nil
}

// FinishHistoryRun ends the channel's history run over r's window: the
// covered range grows by it, and the channel counts as synced at at. A run
// that ended on its first page saved no state before, so the row may not
// hold the run yet, or not exist.
func (w *MessageWriter) FinishHistoryRun(ctx context.Context, workspaceID, channelID string, r HistoryRun, at time.Time) error {
	_, err := w.tx.ExecContext(ctx, `INSERT INTO channel_sync (workspace_id, channel_id, oldest_ts, newest_ts, last_synced_at, last_error)
		VALUES (?1, ?2, ?3, ?4, ?5, '')
		ON CONFLICT DO UPDATE SET
			oldest_ts = CASE WHEN oldest_ts IS NULL OR ?3 < oldest_ts THEN ?3 ELSE oldest_ts END,
			newest_ts = CASE WHEN newest_ts IS NULL OR ?4 > newest_ts THEN ?4 ELSE newest_ts END,
			run_oldest = NULL, run_latest = NULL, run_upper = NULL, run_cursor = NULL,
			last_synced_at = ?5, last_error = ''`,
		workspaceID, channelID, r.Oldest, r.Latest, formatTime(at))
	if err != nil {
		return fmt.Errorf("storage: finish history run of %s/%s: %w", workspaceID, channelID, err)
	}
	return nil
}

// SetChannelError records why a run could not read the channel ("" clears it).
func (s *Store) SetChannelError(ctx context.Context, workspaceID, channelID, reason string) error {
	err := s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO channel_sync (workspace_id, channel_id, last_error) VALUES (?, ?, ?)
			ON CONFLICT DO UPDATE SET last_error = excluded.last_error`, workspaceID, channelID, reason)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: channel error of %s/%s: %w", workspaceID, channelID, err)
	}
	return nil
}

// WantThread records what history showed of a thread (its latest_reply
// and reply_count, as "ts/count"), and reports whether its replies are
// still to be read: none read yet, or read when it showed otherwise.
func (w *MessageWriter) WantThread(ctx context.Context, workspaceID, channelID, threadTS, version string) (bool, error) {
	var pending bool
	err := w.tx.QueryRowContext(ctx, `INSERT INTO thread_sync (workspace_id, channel_id, thread_ts, wanted) VALUES (?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET wanted = excluded.wanted
		RETURNING read_through IS NULL OR read_through <> wanted`, workspaceID, channelID, threadTS, version).Scan(&pending)
	if err != nil {
		return false, fmt.Errorf("storage: want thread %s/%s/%s: %w", workspaceID, channelID, threadTS, err)
	}
	return pending, nil
}

// PendingThreads returns up to limit threads of the channels still to be
// read, oldest first (every channel of the workspace when channels is empty).
func (s *Store) PendingThreads(ctx context.Context, workspaceID string, channels []string, limit int) ([]ThreadSync, error) {
	list, _ := json.Marshal(channels) // strings always marshal
	rows, err := s.read.QueryContext(ctx, `
		SELECT workspace_id, channel_id, thread_ts, wanted, coalesce(run_cursor, ''), coalesce(run_after, '')
		FROM thread_sync
		WHERE workspace_id = ?1 AND (read_through IS NULL OR read_through <> wanted)
		  AND (json_array_length(?2) = 0 OR channel_id IN (SELECT value FROM json_each(?2)))
		ORDER BY channel_id, thread_ts LIMIT ?3`, workspaceID, string(list), limit)
	if err != nil {
		return nil, fmt.Errorf("storage: pending threads of %s: %w", workspaceID, err)
	}
	defer rows.Close()
	var out []ThreadSync
	for rows.Next() {
		var t ThreadSync
		if err := rows.Scan(&t.WorkspaceID, &t.ChannelID, &t.ThreadTS, &t.Wanted, &t.Cursor, &t.After); err != nil {
			return nil, fmt.Errorf("storage: pending threads of %s: %w", workspaceID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SaveThreadRun records how far a thread's replies run got, in the
// transaction that stores the page it read.
func (w *MessageWriter) SaveThreadRun(ctx context.Context, workspaceID, channelID, threadTS, cursor, after string) error {
	_, err := w.tx.ExecContext(ctx, `UPDATE thread_sync SET run_cursor = ?, run_after = ?
		WHERE workspace_id = ? AND channel_id = ? AND thread_ts = ?`,
		nullString(cursor), nullString(after), workspaceID, channelID, threadTS)
	if err != nil {
		return fmt.Errorf("storage: replies run of %s/%s/%s: %w", workspaceID, channelID, threadTS, err)
	}
	return nil
}

// FinishThread records a thread's replies as read through readThrough (the
// wanted value its run started with: a change seen meanwhile keeps it
// pending).
func (w *MessageWriter) FinishThread(ctx context.Context, workspaceID, channelID, threadTS, readThrough string) error {
	_, err := w.tx.ExecContext(ctx, `UPDATE thread_sync SET read_through = ?, run_cursor = NULL, run_after = NULL
		WHERE workspace_id = ? AND channel_id = ? AND thread_ts = ?`, readThrough, workspaceID, channelID, threadTS)
	if err != nil {
		return fmt.Errorf("storage: finish thread %s/%s/%s: %w", workspaceID, channelID, threadTS, err)
	}
	return nil
}

// DeleteMissing removes the stored messages of a range that a page read
// from Slack did not return (deleted there while nobody listened), with
// their index entries: keep holds the ts the page returned. With threadTS
// "" the range is of the channel's history, ts in [from, to), and replies
// that history never shows are left alone; with threadTS set it is of that
// thread's replies, ts in (from, to], to "" meaning no upper end. It
// returns how many it removed.
func (w *MessageWriter) DeleteMissing(ctx context.Context, workspaceID, channelID, threadTS, from, to string, keep []string) (int64, error) {
	list, _ := json.Marshal(keep)
	var res sql.Result
	var err error
	if threadTS == "" {
		res, err = w.tx.ExecContext(ctx, `DELETE FROM messages
			WHERE workspace_id = ?1 AND channel_id = ?2 AND ts >= ?3 AND ts < ?4
			  AND (thread_ts IS NULL OR thread_ts = ts OR subtype = 'thread_broadcast')
			  AND ts NOT IN (SELECT value FROM json_each(?5))`, workspaceID, channelID, from, to, string(list))
	} else {
		res, err = w.tx.ExecContext(ctx, `DELETE FROM messages
			WHERE workspace_id = ?1 AND channel_id = ?2 AND thread_ts = ?3 AND ts <> ?3
			  AND ts > ?4 AND (?5 = '' OR ts <= ?5)
			  AND ts NOT IN (SELECT value FROM json_each(?6))`, workspaceID, channelID, threadTS, from, to, string(list))
	}
	if err != nil {
		return 0, fmt.Errorf("storage: delete missing messages of %s/%s: %w", workspaceID, channelID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// JoinPublic tells whether the workspace's backfill joins every public channel.
func (s *Store) JoinPublic(ctx context.Context, workspaceID string) (bool, error) {
	var join bool
	err := s.read.QueryRowContext(ctx, `SELECT join_public FROM workspace_sync WHERE workspace_id = ?`, workspaceID).Scan(&join)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("storage: join public channels of %s: %w", workspaceID, err)
	}
	return join, nil
}

// SetJoinPublic sets whether the workspace's backfill joins every public
// channel; a workspace that does not exist is ErrNotFound.
func (s *Store) SetJoinPublic(ctx context.Context, workspaceID string, join bool) error {
	err := s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO workspace_sync (workspace_id, join_public) VALUES (?, ?)
			ON CONFLICT DO UPDATE SET join_public = excluded.join_public`, workspaceID, join)
		return err
	})
	if isForeignKeyViolation(err) {
		return fmt.Errorf("storage: join public channels of %s: %w", workspaceID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage: join public channels of %s: %w", workspaceID, err)
	}
	return nil
}

// ActiveJob returns the queued or running job of a kind for a workspace,
// or ErrNotFound.
func (s *Store) ActiveJob(ctx context.Context, workspaceID, kind string) (Job, error) {
	j, err := scanJob(s.read.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE workspace_id = ? AND kind = ? AND status IN ('queued', 'running') ORDER BY job_id LIMIT 1`, workspaceID, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("storage: active %s job of %s: %w", kind, workspaceID, ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("storage: active %s job of %s: %w", kind, workspaceID, err)
	}
	return j, nil
}

// SocketTarget is a workspace whose Socket Mode connection may run: it has
// an app-level token stored, and Slack last said its credentials are valid.
type SocketTarget struct {
	WorkspaceID string
	OrgID       int64
	BotUserID   string
	// Version changes whenever the credentials or their verification do,
	// so that a runtime knows to reconnect with the new ones.
	Version string
}

// ListSocketTargets returns every workspace with valid credentials that
// include an app-level token, by team id.
func (s *Store) ListSocketTargets(ctx context.Context) ([]SocketTarget, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT workspace_id, org_id, coalesce(bot_user_id, ''),
		       updated_at || '|' || coalesce(last_verified_at, '') || '|' || coalesce(encryption_version, 0)
		FROM installations
		WHERE is_valid = 1 AND last_verified_at IS NOT NULL
		  AND CASE WHEN credentials_encrypted = 1 THEN app_token_encrypted ELSE app_token END IS NOT NULL
		ORDER BY workspace_id`)
	if err != nil {
		return nil, fmt.Errorf("storage: socket targets: %w", err)
	}
	defer rows.Close()
	var out []SocketTarget
	for rows.Next() {
		var t SocketTarget
		if err := rows.Scan(&t.WorkspaceID, &t.OrgID, &t.BotUserID, &t.Version); err != nil {
			return nil, fmt.Errorf("storage: socket targets: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ChannelSyncOf returns one channel's sync state (without its message
// count), or ErrNotFound.
func (s *Store) ChannelSyncOf(ctx context.Context, workspaceID, channelID string) (ChannelSync, error) {
	var (
		c        ChannelSync
		included sql.NullBool
	)
	err := s.read.QueryRowContext(ctx, `
		SELECT c.workspace_id, c.channel_id, c.name, c.is_private, c.is_archived, cs.included, coalesce(cs.is_member, 0),
			coalesce(cs.oldest_ts, ''), coalesce(cs.newest_ts, '')
		FROM channels c LEFT JOIN channel_sync cs ON cs.workspace_id = c.workspace_id AND cs.channel_id = c.channel_id
		WHERE c.workspace_id = ? AND c.channel_id = ?`, workspaceID, channelID).
		Scan(&c.WorkspaceID, &c.ID, &c.Name, &c.Private, &c.Archived, &included, &c.Member, &c.OldestTS, &c.NewestTS)
	if errors.Is(err, sql.ErrNoRows) {
		return ChannelSync{}, fmt.Errorf("storage: channel %s/%s: %w", workspaceID, channelID, ErrNotFound)
	}
	if err != nil {
		return ChannelSync{}, fmt.Errorf("storage: channel %s/%s: %w", workspaceID, channelID, err)
	}
	if included.Valid {
		c.Included = &included.Bool
	}
	return c, nil
}

// SetQueuedJobParams replaces the params of a job still queued (a backfill
// widened by a later request); a job that is not queued any more is
// ErrNotFound.
func (s *Store) SetQueuedJobParams(ctx context.Context, id int64, params []byte) (Job, error) {
	var j Job
	err := s.Tx(ctx, func(tx *Tx) (err error) {
		j, err = scanJob(tx.tx.QueryRowContext(ctx, `UPDATE jobs SET params = ? WHERE job_id = ? AND status = 'queued'
			RETURNING `+jobColumns, string(params), id))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("storage: job %d: not queued: %w", id, ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("storage: job %d: %w", id, err)
	}
	return j, nil
}
