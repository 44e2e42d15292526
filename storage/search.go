package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"time"
)

// Searcher runs the queries of answers, each prepared once: at a question
// every few milliseconds, parsing the same SQL again costs a quarter of the
// time. Obtain one from Store.Searcher; it is safe for concurrent use.
type Searcher struct {
	read  *sql.DB
	mu    gosync.Mutex
	stmts map[string]*sql.Stmt
}

// Searcher returns a Searcher over the store's search readers.
func (s *Store) Searcher() *Searcher {
	return &Searcher{read: s.search, stmts: map[string]*sql.Stmt{}}
}

// Close releases the prepared statements.
func (q *Searcher) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for k, st := range q.stmts {
		st.Close()
		delete(q.stmts, k)
	}
	return nil
}

// query runs a statement, preparing it the first time its text is seen. The
// texts are a handful: the scopes' shapes, never values.
func (q *Searcher) query(ctx context.Context, text string, args ...any) (*sql.Rows, error) {
	q.mu.Lock()
	st := q.stmts[text]
	if st == nil {
		var err error
		if st, err = q.read.PrepareContext(ctx, text); err != nil {
			q.mu.Unlock()
			return nil, err
		}
		q.stmts[text] = st
	}
	q.mu.Unlock()
	return st.QueryContext(ctx, args...)
}

// MessageScope is which messages a search may see. Every search is within one
// organization; private channels are seen only when named as PrivateChannel.
type MessageScope struct {
	OrgID       int64
	WorkspaceID string // "" for every workspace of the organization
	ChannelID   string // "" for every channel the rest allows
	// PrivateChannel is the one private channel of WorkspaceID whose content
	// may be seen (the channel /ask or /askall is typed in); "" for none.
	PrivateChannel string
	Since, Until   time.Time // zero for no bound
}

// where is the scope as SQL over messages m and channels c, with its arguments.
func (sc MessageScope) where() (string, []any) {
	var b strings.Builder
	args := []any{sc.OrgID}
	b.WriteString(`m.workspace_id IN (SELECT workspace_id FROM installations WHERE org_id = ?)`)
	if sc.WorkspaceID != "" {
		b.WriteString(` AND m.workspace_id = ?`)
		args = append(args, sc.WorkspaceID)
	}
	if sc.ChannelID != "" {
		b.WriteString(` AND m.channel_id = ?`)
		args = append(args, sc.ChannelID)
	}
	if sc.PrivateChannel != "" && sc.WorkspaceID != "" {
		b.WriteString(` AND (c.is_private = 0 OR m.channel_id = ?)`)
		args = append(args, sc.PrivateChannel)
	} else {
		b.WriteString(` AND c.is_private = 0`)
	}
	if !sc.Since.IsZero() {
		b.WriteString(` AND m.ts >= ?`)
		args = append(args, TSOf(sc.Since))
	}
	if !sc.Until.IsZero() {
		b.WriteString(` AND m.ts < ?`)
		args = append(args, TSOf(sc.Until))
	}
	return b.String(), args
}

// TSOf is t as a Slack ts, to compare with ts columns: every ts since 2001
// has ten digits before the dot, so they sort as strings.
func TSOf(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// MessageHit is a message a search found, with its channel and bm25 rank
// (SQLite's: negative, lower is better). Its Text (Slack's raw text) is
// not read.
type MessageHit struct {
	Message
	ChannelName    string
	ChannelPrivate bool
	Rank           float64
}

// hitColumns leave Slack's raw text out: answers quote the readable body
// (stored NULL where it reads as the raw text does).
const hitColumns = `m.message_id, m.workspace_id, m.channel_id, m.ts, coalesce(m.thread_ts, ''), m.user_id, m.bot_id,
	m.author_name, coalesce(m.body, m.text), m.subtype, m.is_noise, m.is_bot, m.reply_count, coalesce(m.latest_reply, ''),
	m.edited, m.edited_ts, m.revision, c.name, c.is_private`

func scanHit(row interface{ Scan(...any) error }, rank *float64) (MessageHit, error) {
	var h MessageHit
	dest := []any{&h.ID, &h.WorkspaceID, &h.ChannelID, &h.TS, &h.ThreadTS, &h.UserID, &h.BotID, &h.AuthorName,
		&h.Body, &h.Subtype, &h.Noise, &h.Bot, &h.ReplyCount, &h.LatestReply, &h.Edited, &h.EditedTS,
		&h.Revision, &h.ChannelName, &h.ChannelPrivate}
	if rank != nil {
		dest = append(dest, rank)
	}
	if err := row.Scan(dest...); err != nil {
		return MessageHit{}, err
	}
	var err error
	h.PostedAt, err = TSTime(h.TS)
	return h, err
}

// matchFrom is the messages an FTS5 query (the first argument) matches,
// with their channels, for a scope's where to follow.
const matchFrom = `FROM messages_fts f
		CROSS JOIN messages m ON m.message_id = f.rowid
		JOIN channels c ON c.workspace_id = m.workspace_id AND c.channel_id = m.channel_id
		WHERE messages_fts MATCH ? AND `

// SearchScoped returns the messages in scope matching an FTS5 query, best
// first under the index's rank (bm25 over body and thread context, weighted
// 1 and 1.5), at most limit of them.
func (q *Searcher) SearchScoped(ctx context.Context, match string, scope MessageScope, limit int) ([]MessageHit, error) {
	where, args := scope.where()
	rows, err := q.query(ctx, `
		SELECT `+hitColumns+`, f.rank `+matchFrom+where+`
		ORDER BY f.rank LIMIT ?`, append(append([]any{match}, args...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("storage: search messages: %w", err)
	}
	return scanHits(rows, limit)
}

// SearchRanked is SearchScoped in two steps: FTS5 ranks its best rows alone
// (scoring a row costs little next to joining it), then the scope filters
// those. When the scope leaves fewer than limit of them, it may have left
// out better rows further down: SearchScoped then answers.
func (q *Searcher) SearchRanked(ctx context.Context, match string, scope MessageScope, limit int) ([]MessageHit, error) {
	where, args := scope.where()
	rows, err := q.query(ctx, `
		SELECT `+hitColumns+`, f.rank
		FROM (SELECT rowid, rank FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?) f
		CROSS JOIN messages m ON m.message_id = f.rowid
		JOIN channels c ON c.workspace_id = m.workspace_id AND c.channel_id = m.channel_id
		WHERE `+where+`
		ORDER BY f.rank LIMIT ?`, append(append([]any{match, rankedDepth * limit}, args...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("storage: search messages: %w", err)
	}
	hits, err := scanHits(rows, limit)
	if err != nil || len(hits) == limit {
		return hits, err
	}
	return q.SearchScoped(ctx, match, scope, limit)
}

// rankedDepth is how many times limit SearchRanked ranks before the scope.
const rankedDepth = 4

// MessageText is a message's id and readable text: what ranking it in Go
// takes.
type MessageText struct {
	ID   int64
	Body string
}

// SearchRecent returns the newest messages in scope matching an FTS5 query
// (by index row, which follows the order messages were stored), at most
// limit of them, as their id and text alone: the caller ranks them and reads
// the few it keeps with MessagesByID. It is for a query of common words,
// which match a large share of the messages: it stops after limit rows, and
// it reads no rank because bm25 would first count every row each word
// matches (50 ms for a word in most of a million messages, against 0.2 to
// list the newest 200).
func (q *Searcher) SearchRecent(ctx context.Context, match string, scope MessageScope, limit int) ([]MessageText, error) {
	where, args := scope.where()
	rows, err := q.query(ctx, `
		SELECT m.message_id, coalesce(m.body, m.text) `+matchFrom+where+`
		ORDER BY f.rowid DESC LIMIT ?`, append(append([]any{match}, args...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("storage: search messages: %w", err)
	}
	defer rows.Close()
	out := make([]MessageText, 0, limit)
	for rows.Next() {
		var t MessageText
		if err := rows.Scan(&t.ID, &t.Body); err != nil {
			return nil, fmt.Errorf("storage: search messages: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// MessagesByID returns the messages of ids that are in scope, in the
// order of ids (Rank 0); an id that names no such message is left out. The
// scope is tested again: a channel may have turned private since the ids
// were found.
func (q *Searcher) MessagesByID(ctx context.Context, ids []int64, scope MessageScope) ([]MessageHit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("storage: list messages: %w", err)
	}
	where, args := scope.where()
	hits, err := q.listHits(ctx, len(ids), `m.message_id IN (SELECT value FROM json_each(?)) AND `+where,
		append([]any{string(list)}, args...)...)
	if err != nil {
		return nil, err
	}
	at := make(map[int64]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	slices.SortFunc(hits, func(a, b MessageHit) int { return at[a.ID] - at[b.ID] })
	return hits, nil
}

// scanHits reads up to limit hits (the capacity: a hit is a large struct,
// and growing the slice copies them all again).
func scanHits(rows *sql.Rows, limit int) ([]MessageHit, error) {
	defer rows.Close()
	out := make([]MessageHit, 0, limit)
	for rows.Next() {
		var rank float64
		h, err := scanHit(rows, &rank)
		if err != nil {
			return nil, fmt.Errorf("storage: search messages: %w", err)
		}
		h.Rank = rank
		out = append(out, h)
	}
	return out, rows.Err()
}

// ThreadMessages returns a thread's messages (its parent first), noise left
// out, at most limit of them.
func (q *Searcher) ThreadMessages(ctx context.Context, workspaceID, channelID, threadTS string, limit int) ([]MessageHit, error) {
	return q.listHits(ctx, limit, `m.workspace_id = ? AND m.channel_id = ? AND m.thread_ts = ? AND m.is_noise = 0
		ORDER BY m.ts LIMIT ?`, workspaceID, channelID, threadTS, limit)
}

// ChannelRun returns the channel's messages outside threads (thread parents
// included) around ts, noise left out, in ts order: at most before of them
// posted in (from, ts), and at most after from ts (included) to to — the
// conversation around a message in a team that does not use threads. Each
// side is bounded apart, so that a busy hour before a message never crowds
// out its answers.
func (q *Searcher) ChannelRun(ctx context.Context, workspaceID, channelID, ts, from, to string, before, after int) ([]MessageHit, error) {
	const run = `m.workspace_id = ? AND m.channel_id = ? AND m.is_noise = 0 AND (m.thread_ts IS NULL OR m.thread_ts = m.ts)`
	hits, err := q.listHits(ctx, before+after, `m.message_id IN (
		SELECT message_id FROM (SELECT m.message_id FROM messages m WHERE `+run+` AND m.ts > ? AND m.ts < ? ORDER BY m.ts DESC LIMIT ?)
		UNION ALL
		SELECT message_id FROM (SELECT m.message_id FROM messages m WHERE `+run+` AND m.ts >= ? AND m.ts < ? ORDER BY m.ts LIMIT ?))
		ORDER BY m.ts`, workspaceID, channelID, from, ts, before, workspaceID, channelID, ts, to, after)
	return hits, err
}

// listHits reads the hits where says, at most limit of them as the
// query's own LIMIT bounds them (the slice's capacity).
func (q *Searcher) listHits(ctx context.Context, limit int, where string, args ...any) ([]MessageHit, error) {
	rows, err := q.query(ctx, `SELECT `+hitColumns+` FROM messages m
		JOIN channels c ON c.workspace_id = m.workspace_id AND c.channel_id = m.channel_id
		WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list messages: %w", err)
	}
	defer rows.Close()
	out := make([]MessageHit, 0, limit)
	for rows.Next() {
		h, err := scanHit(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("storage: list messages: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// SlackUserNames returns the names to show for some users of a workspace:
// the real name, else the display name, else the handle. Users the workspace
// does not know are absent.
func (q *Searcher) SlackUserNames(ctx context.Context, workspaceID string, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("storage: slack user names: %w", err)
	}
	rows, err := q.query(ctx, `SELECT user_id, coalesce(nullif(real_name, ''), nullif(display_name, ''), name)
		FROM slack_users WHERE workspace_id = ? AND user_id IN (SELECT value FROM json_each(?))`, workspaceID, string(list))
	if err != nil {
		return nil, fmt.Errorf("storage: slack user names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("storage: slack user names: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}
