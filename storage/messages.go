package storage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// Message is one stored Slack message: unique per workspace, channel and ts.
type Message struct {
	ID          int64
	WorkspaceID string
	ChannelID   string
	TS          string
	ThreadTS    string // "" when not in a thread; equal to TS for a thread's parent
	UserID      string
	BotID       string
	AuthorName  string // the name the message carries itself (bot username, user_profile)
	Text        string // Slack's text as sent
	Body        string // readable, searchable text (stored only where it differs from Text)
	Subtype     string
	Noise       bool // joins, leaves, topic changes, tombstones: stored, not indexed
	Bot         bool
	ReplyCount  int
	LatestReply string
	Edited      bool
	EditedTS    string
	PostedAt    time.Time // the time of TS, read from it (not stored: it cannot disagree)
	Revision    int       // how many redeliveries changed it
}

// PutResult says what storing a message did.
type PutResult int

// What Put did with a message.
const (
	PutUnchanged PutResult = iota // the stored row already said the same: nothing written
	PutNew                        // a new row
	PutUpdated                    // an edit or other change rewrote the row
)

// digest hashes every stored field, so a redelivery that changes nothing is
// recognised in SQL without comparing each column.
func (m *Message) digest() int64 {
	h := fnv.New64a()
	var n [8]byte
	for _, s := range []string{m.ThreadTS, m.UserID, m.BotID, m.AuthorName, m.Text, m.Body, m.Subtype, m.LatestReply, m.EditedTS} {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var flags uint64
	for i, b := range []bool{m.Noise, m.Bot, m.Edited} {
		if b {
			flags |= 1 << i
		}
	}
	binary.LittleEndian.PutUint64(n[:], flags|uint64(m.ReplyCount)<<8)
	h.Write(n[:])
	return int64(h.Sum64())
}

// MessageWriter stores messages, channels and Slack users inside one write
// transaction, through statements prepared once for the transaction.
// Obtain one from Store.WriteMessages.
type MessageWriter struct {
	conn   *txConn // the transaction, for setPragma
	tx     *sql.Tx // conn.tx, which the writer's statements run in
	upsert *sql.Stmt
	delete *sql.Stmt
	lastID *sql.Stmt         // the highest message_id ever used
	adds   map[int]*sql.Stmt // multi-row inserts by row count, for PutAll
}

// WriteOption changes how WriteMessages writes.
type WriteOption func(*writeOptions)

type writeOptions struct{ bulk, deferIndex bool }

// BulkLoad marks a transaction of an import that only adds and updates
// messages: secure_delete is relaxed to FAST inside it (freed pages then hold
// only older copies of index pages whose messages are still stored), and set
// back to ON before the connection serves any other writer.
func BulkLoad() WriteOption { return func(o *writeOptions) { o.bulk = true } }

// DeferIndex leaves the index rows of the transaction's messages queued for
// the next IndexPending (or the next WriteMessages without it): a bulk load
// commits messages in short transactions and indexes them in fewer, larger
// ones, as FTS5 writes one segment per indexing transaction. Until then the
// messages are stored but not found by search.
func DeferIndex() WriteOption { return func(o *writeOptions) { o.deferIndex = true } }

// WriteMessages runs fn in one write transaction with a MessageWriter, then
// writes the index rows of every message fn changed (and of the thread rows
// whose context changed with it) and commits. Either all of it is stored and
// indexed, or nothing.
func (s *Store) WriteMessages(ctx context.Context, fn func(w *MessageWriter) error, opts ...WriteOption) error {
	o := writeOptionsOf(opts)
	return s.messageTx(ctx, o, func(tx *Tx) error {
		w, err := prepareWriter(ctx, tx.tx)
		if err != nil {
			return err
		}
		defer w.close()
		if err := fn(w); err != nil || o.deferIndex {
			return err
		}
		return indexPending(ctx, tx.tx.tx)
	})
}

// IndexPending writes the index rows of every queued message in one
// transaction (see DeferIndex).
func (s *Store) IndexPending(ctx context.Context, opts ...WriteOption) error {
	return s.messageTx(ctx, writeOptionsOf(opts), func(tx *Tx) error { return indexPending(ctx, tx.tx.tx) })
}

func writeOptionsOf(opts []WriteOption) writeOptions {
	var o writeOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// messageTx runs fn in one write transaction; for a bulk load with
// secure_delete FAST (pages a load frees held nothing secret), set back to
// ON before the transaction ends, whatever fn did (setPragma).
func (s *Store) messageTx(ctx context.Context, o writeOptions, fn func(tx *Tx) error) error {
	return s.Tx(ctx, func(tx *Tx) (err error) {
		if o.bulk {
			restore, err := tx.tx.setPragma(ctx, `PRAGMA secure_delete = FAST`, `PRAGMA secure_delete = ON`)
			if err != nil {
				return fmt.Errorf("storage: bulk load: %w", err)
			}
			defer func() {
				if rerr := restore(); rerr != nil {
					err = errors.Join(err, fmt.Errorf("storage: restore secure_delete: %w", rerr))
				}
			}()
		}
		return fn(tx)
	})
}

// insertColumns are the columns Put and PutAll write, in their argument order.
const insertColumns = insertInto + `VALUES `

const insertInto = `INSERT INTO messages (workspace_id, channel_id, ts, thread_ts, user_id, bot_id, author_name,
	text, body, subtype, is_noise, is_bot, reply_count, latest_reply, edited, edited_ts, digest) `

const insertValues = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func prepareWriter(ctx context.Context, conn *txConn) (*MessageWriter, error) {
	tx := conn.tx
	upsert, err := tx.PrepareContext(ctx, insertColumns+insertValues+`
		ON CONFLICT (workspace_id, channel_id, ts) DO UPDATE SET
			thread_ts = excluded.thread_ts, user_id = excluded.user_id, bot_id = excluded.bot_id,
			author_name = excluded.author_name, text = excluded.text, body = excluded.body,
			subtype = excluded.subtype, is_noise = excluded.is_noise, is_bot = excluded.is_bot,
			reply_count = excluded.reply_count, latest_reply = excluded.latest_reply,
			edited = excluded.edited, edited_ts = excluded.edited_ts,
			digest = excluded.digest, revision = revision + 1
		WHERE digest <> excluded.digest
		RETURNING revision`)
	if err != nil {
		return nil, fmt.Errorf("storage: prepare message upsert: %w", err)
	}
	del, err := tx.PrepareContext(ctx, `DELETE FROM messages WHERE workspace_id = ? AND channel_id = ? AND ts = ?`)
	if err != nil {
		upsert.Close()
		return nil, fmt.Errorf("storage: prepare message delete: %w", err)
	}
	lastID, err := tx.PrepareContext(ctx, `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0)`)
	if err != nil {
		upsert.Close()
		del.Close()
		return nil, fmt.Errorf("storage: prepare message writer: %w", err)
	}
	return &MessageWriter{conn: conn, tx: tx, upsert: upsert, delete: del, lastID: lastID, adds: map[int]*sql.Stmt{}}, nil
}

func (w *MessageWriter) close() {
	w.upsert.Close()
	w.delete.Close()
	w.lastID.Close()
	for _, st := range w.adds {
		st.Close()
	}
}

// Prepared is a message with its stored values computed (the digest among
// them), ready for PutAll. A bulk load prepares its messages where it decodes
// them, on other cores, so that the single writer only writes.
type Prepared struct {
	Message
	args [insertArgs]any
	// rare is the values most messages leave at their zero (bot, author,
	// subtype, noise, thread counts, edit), as one JSON object for PutAll's
	// insert; nil when all are zero. Binding a value costs the driver more
	// than SQLite's reading a field.
	rare any
	bad  error // why the message cannot be stored (a ts that is not Slack's), checked where it is prepared
}

// valid says why the message cannot be stored, if it cannot.
func (p *Prepared) valid() error { return p.bad }

// insertArgs is how many values a row of insertColumns takes.
const insertArgs = 17

// rareValues are a message's values that most messages leave at their zero,
// by the names PutAll's insert reads them with.
type rareValues struct {
	BotID       string `json:"b,omitempty"`
	AuthorName  string `json:"a,omitempty"`
	Subtype     string `json:"s,omitempty"`
	Noise       int    `json:"n,omitempty"`
	Bot         int    `json:"o,omitempty"`
	ReplyCount  int    `json:"r,omitempty"`
	LatestReply string `json:"l,omitempty"`
	Edited      int    `json:"e,omitempty"`
	EditedTS    string `json:"t,omitempty"`
}

// Prepare computes m's stored values.
func Prepare(m Message) Prepared {
	var threadTS, latest, body sql.NullString
	if m.Body != m.Text {
		body = sql.NullString{String: m.Body, Valid: true}
	}
	if m.ThreadTS != "" {
		threadTS = sql.NullString{String: m.ThreadTS, Valid: true}
	}
	if m.LatestReply != "" {
		latest = sql.NullString{String: m.LatestReply, Valid: true}
	}
	var bad error
	if _, err := TSTime(m.TS); err != nil {
		bad = fmt.Errorf("storage: put message in %s/%s: %w", m.WorkspaceID, m.ChannelID, err)
	} else if _, err := TSTime(m.ThreadTS); m.ThreadTS != "" && err != nil {
		bad = fmt.Errorf("storage: put message %s/%s/%s: thread_ts: %w", m.WorkspaceID, m.ChannelID, m.TS, err)
	} else if m.ReplyCount < 0 {
		bad = fmt.Errorf("storage: put message %s/%s/%s: reply_count %d is negative", m.WorkspaceID, m.ChannelID, m.TS, m.ReplyCount)
	}
	p := Prepared{Message: m, bad: bad,
		args: [insertArgs]any{m.WorkspaceID, m.ChannelID, m.TS, threadTS, m.UserID, m.BotID, m.AuthorName,
			m.Text, body, m.Subtype, m.Noise, m.Bot, m.ReplyCount, latest, m.Edited, m.EditedTS, m.digest()}}
	r := rareValues{BotID: m.BotID, AuthorName: m.AuthorName, Subtype: m.Subtype, Noise: bit(m.Noise), Bot: bit(m.Bot),
		ReplyCount: m.ReplyCount, LatestReply: m.LatestReply, Edited: bit(m.Edited), EditedTS: m.EditedTS}
	if r != (rareValues{}) {
		b, _ := json.Marshal(r) // strings and numbers always marshal
		p.rare = string(b)
	}
	return p
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// putChunk is how many rows one statement of PutAll inserts: one statement
// per row costs more in the driver than in SQLite.
const putChunk = 128

// putRowArgs is how many values a row of PutAll's insert takes: ts,
// thread_ts, user_id, text, body, digest and the rare values; the chunk's
// workspace and channel are ?1 and ?2.
const putRowArgs = 7

// putInsert is PutAll's insert of a chunk, followed by its rows of
// putRowArgs values: only the chunk's workspace and channel are numbered
// (the driver looks each value's name up in a list as long as the names).
var putInsert = insertInto + `
	SELECT ?1, ?2, v.column1, v.column2, v.column3, ` + rareValue("b", "''") + `, ` + rareValue("a", "''") + `,
		v.column4, v.column5, ` + rareValue("s", "''") + `, ` + rareValue("n", "0") + `, ` + rareValue("o", "0") + `,
		` + rareValue("r", "0") + `, ` + rareValue("l", "NULL") + `, ` + rareValue("e", "0") + `, ` + rareValue("t", "''") + `, v.column6
	FROM (VALUES `

// rareValue is the rare value of PutAll's insert named key, zero when the row
// has none: most rows have no rare values at all, and a NULL test costs
// SQLite less than a JSON function's call.
func rareValue(key, zero string) string {
	return `CASE WHEN v.column7 IS NULL THEN ` + zero + ` ELSE coalesce(v.column7->>'` + key + `', ` + zero + `) END`
}

const putRowValues = `(?, ?, ?, ?, ?, ?, ?)`

// PutAll stores messages as Put does, and returns what it did with each. New
// messages (all of them, in a first import) go in multi-row inserts of one
// channel's messages; those already stored then take Put's way, so edits and
// unchanged redeliveries behave as with Put. Nothing is read back when a
// statement inserted every row of its chunk.
func (w *MessageWriter) PutAll(ctx context.Context, msgs []Prepared) (_ []PutResult, err error) {
	// Every CHECK of messages is tested in Go where a message is prepared
	// (valid: the ts and thread_ts shapes, a reply count not negative; the
	// flags are bools), so PutAll's statements leave SQLite's out: a tenth of
	// an insert's cost. SQLite compiles the pragma into the statements it
	// prepares, and setting it expires those prepared before: a statement
	// used after PutAll checks again.
	if len(msgs) == 0 {
		return nil, nil
	}
	restore, err := w.conn.setPragma(ctx, `PRAGMA ignore_check_constraints = ON`, `PRAGMA ignore_check_constraints = OFF`)
	if err != nil {
		return nil, fmt.Errorf("storage: put messages: %w", err)
	}
	defer func() {
		if rerr := restore(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("storage: put messages: restore checks: %w", rerr))
		}
	}()
	out := make([]PutResult, len(msgs))
	args := make([]any, 0, 2+putChunk*putRowArgs)
	for start, end := 0, 0; start < len(msgs); start = end {
		first := &msgs[start]
		for end = start + 1; end < len(msgs) && end-start < putChunk &&
			msgs[end].WorkspaceID == first.WorkspaceID && msgs[end].ChannelID == first.ChannelID; end++ {
		}
		chunk := msgs[start:end]
		st, err := w.addStmt(ctx, len(chunk))
		if err != nil {
			return nil, err
		}
		args = append(args[:0], first.WorkspaceID, first.ChannelID)
		for i := range chunk {
			if err := chunk[i].valid(); err != nil {
				return nil, err
			}
			a := &chunk[i].args
			args = append(args, a[2], a[3], a[4], a[7], a[8], a[16], chunk[i].rare)
		}
		var before int64
		if err := w.lastID.QueryRowContext(ctx).Scan(&before); err != nil {
			return nil, fmt.Errorf("storage: put messages: %w", err)
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("storage: put messages: %w", err)
		}
		inserted, err := w.insertedOf(ctx, res, len(chunk), before)
		if err != nil {
			return nil, err
		}
		for i := range chunk {
			if ts := chunk[i].TS; inserted == nil || inserted[ts] {
				out[start+i] = PutNew
				delete(inserted, ts) // a second copy of the same ts in the chunk is not new
				continue
			}
			if out[start+i], err = w.put(ctx, &chunk[i]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// insertedOf returns the ts of the rows a chunk's insert of n rows stored,
// nil when it stored all of them: those with an id above before, the
// highest id used before the insert (AUTOINCREMENT ids only grow; a row the
// insert skipped may still have used one up, so the new ids need not be
// consecutive).
func (w *MessageWriter) insertedOf(ctx context.Context, res sql.Result, n int, before int64) (map[string]bool, error) {
	stored, err := res.RowsAffected()
	if err != nil {
		return nil, fmt.Errorf("storage: put messages: %w", err)
	}
	if stored == int64(n) {
		return nil, nil
	}
	inserted := make(map[string]bool, stored)
	if stored == 0 {
		return inserted, nil
	}
	rows, err := w.tx.QueryContext(ctx, `SELECT ts FROM messages WHERE message_id > ?`, before)
	if err != nil {
		return nil, fmt.Errorf("storage: put messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ts string
		if err := rows.Scan(&ts); err != nil {
			return nil, fmt.Errorf("storage: put messages: %w", err)
		}
		inserted[ts] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: put messages: %w", err)
	}
	return inserted, nil
}

// addStmt is the multi-row insert of n rows, prepared once per transaction.
func (w *MessageWriter) addStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if st := w.adds[n]; st != nil {
		return st, nil
	}
	q := putInsert + putRowValues + strings.Repeat(", "+putRowValues, n-1) + `) AS v WHERE true ON CONFLICT DO NOTHING`
	st, err := w.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("storage: prepare message insert: %w", err)
	}
	w.adds[n] = st
	return st, nil
}

// Put stores a message once per workspace, channel and ts: a new one is
// inserted, a changed one (an edit) rewrites the row and its index entry, an
// unchanged one writes nothing. Its channel must be stored.
func (w *MessageWriter) Put(ctx context.Context, m Message) (PutResult, error) {
	p := Prepare(m)
	if err := p.valid(); err != nil {
		return 0, err
	}
	return w.put(ctx, &p)
}

func (w *MessageWriter) put(ctx context.Context, p *Prepared) (PutResult, error) {
	m := &p.Message
	var revision int
	err := w.upsert.QueryRowContext(ctx, p.args[:]...).Scan(&revision)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return PutUnchanged, nil
	case err != nil:
		return 0, fmt.Errorf("storage: put message %s/%s/%s: %w", m.WorkspaceID, m.ChannelID, m.TS, err)
	case revision == 0:
		return PutNew, nil
	default:
		return PutUpdated, nil
	}
}

// Delete removes a message and its index entry, and requeues its thread's
// rows for new context; it reports whether there was such a message.
func (w *MessageWriter) Delete(ctx context.Context, workspaceID, channelID, ts string) (bool, error) {
	res, err := w.delete.ExecContext(ctx, workspaceID, channelID, ts)
	if err != nil {
		return false, fmt.Errorf("storage: delete message %s/%s/%s: %w", workspaceID, channelID, ts, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// contextReplies is how many of a thread's first replies lend their words to
// the parent's context column (indexPending and migration 00020 count the same).
const contextReplies = 3

// contextLimit bounds a context column, in bytes, so that a long parent does
// not lengthen every reply's row (longer rows rank lower under bm25).
const contextLimit = 2000

// indexRow is the index row of messages m: its body, and its thread's
// context (a reply its parent's words, a parent its first replies'), the
// whole row each time (a contentless index cannot update some columns).
const indexRow = `INSERT INTO messages_fts (rowid, body, context)
	SELECT m.message_id, coalesce(m.body, m.text), substr(CASE
		WHEN m.thread_ts IS NULL THEN ''
		WHEN m.thread_ts <> m.ts THEN coalesce((SELECT coalesce(p.body, p.text) FROM messages p
			WHERE p.workspace_id = m.workspace_id AND p.channel_id = m.channel_id AND p.ts = m.thread_ts), '')
		ELSE coalesce((SELECT group_concat(body, ' ') FROM (SELECT coalesce(r.body, r.text) AS body FROM messages r
			WHERE r.workspace_id = m.workspace_id AND r.channel_id = m.channel_id
			  AND r.thread_ts = m.ts AND r.ts <> m.ts AND r.is_noise = 0
			ORDER BY r.ts LIMIT ?2)), '')
		END, 1, ?3)`

// indexPending writes the index rows of the messages waiting for one: every
// message above the index's watermark (message_index, migration 00020), and
// the indexed ones queued in messages_fts_pending (edits, and the thread
// rows whose context changed). The new messages first queue the indexed
// thread rows they change: a parent whose first replies they are among, the
// replies of a parent that arrived after them. None for noise. CROSS JOIN
// keeps the named table the outer loop.
func indexPending(ctx context.Context, tx *sql.Tx) error {
	var through, last int64
	if err := tx.QueryRowContext(ctx, `SELECT indexed_through, (SELECT coalesce(max(message_id), 0) FROM messages)
		FROM message_index`).Scan(&through, &last); err != nil {
		return fmt.Errorf("storage: index messages: %w", err)
	}
	type statement struct {
		q    string
		args []any
	}
	queued := []statement{
		{`DELETE FROM messages_fts WHERE rowid IN (SELECT message_id FROM messages_fts_pending WHERE message_id <= ?1)`,
			[]any{through}},
		{indexRow + `
		FROM messages_fts_pending q CROSS JOIN messages m ON m.message_id = q.message_id
		WHERE q.message_id <= ?1 AND m.is_noise = 0`, []any{through, contextReplies, contextLimit}},
	}
	var statements []statement
	if last > through {
		statements = append(statements,
			// a parent stored before its first reply came has no thread_ts
			// (a live message gets one only once replied to, and Slack does
			// not always say so): the reply makes it its thread's parent, so
			// that it gains its replies' words and a deletion of it reaches
			// them; the update trigger queues it when indexed
			statement{`UPDATE messages AS p SET thread_ts = p.ts
			FROM (SELECT DISTINCT workspace_id, channel_id, thread_ts FROM messages
				WHERE message_id > ?1 AND thread_ts IS NOT NULL AND thread_ts <> ts) AS t
			WHERE p.workspace_id = t.workspace_id AND p.channel_id = t.channel_id AND p.ts = t.thread_ts
			  AND p.thread_ts IS NULL`, []any{through}},
			// the indexed thread rows whose context new messages change: a
			// parent whose first replies they are among, the replies of a
			// parent that came after them (one scan of the new rows)
			statement{`INSERT INTO messages_fts_pending (message_id, reindex)
			WITH t AS MATERIALIZED (SELECT workspace_id, channel_id, ts, thread_ts FROM messages
				WHERE message_id > ?1 AND thread_ts IS NOT NULL)
			SELECT p.message_id, 1 FROM t CROSS JOIN messages p
				ON p.workspace_id = t.workspace_id AND p.channel_id = t.channel_id AND p.ts = t.thread_ts
			WHERE t.thread_ts <> t.ts AND p.message_id <= ?1
			  AND (SELECT count(*) FROM messages r -- of p, so that only a parent found counts
			       WHERE r.workspace_id = p.workspace_id AND r.channel_id = p.channel_id
			         AND r.thread_ts = p.ts AND r.ts < t.ts AND r.ts <> r.thread_ts AND r.is_noise = 0) < ?2
			UNION ALL
			SELECT r.message_id, 1 FROM t CROSS JOIN messages r
				ON r.workspace_id = t.workspace_id AND r.channel_id = t.channel_id AND r.thread_ts = t.ts
			WHERE t.thread_ts = t.ts AND r.ts <> t.ts AND r.message_id <= ?1
			ON CONFLICT DO NOTHING`, []any{through, contextReplies}})
		statements = append(statements, queued...)
		statements = append(statements,
			statement{indexRow + `
			FROM messages m WHERE m.message_id > ?1 AND m.is_noise = 0`, []any{through, contextReplies, contextLimit}},
			statement{`UPDATE message_index SET indexed_through = ?`, []any{last}})
	} else {
		statements = queued
	}
	statements = append(statements, statement{`DELETE FROM messages_fts_pending`, nil})
	for _, st := range statements {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("storage: index messages: %w", err)
		}
	}
	return nil
}

// BulkIndexing switches the index's merge policy, and the WAL's checkpoints,
// for a bulk load and back.
// FTS5 merges small segments as it goes (automerge 4): during a load of a
// million messages that merges each row several times over. A load merges
// none (automerge 0, and crisismerge past the segments a load writes: about
// one per indexing transaction), and OptimizeIndex merges everything once at
// the end, which it must do anyway. The merge settings are stored with the
// index, so an interrupted load that leaves them on costs only unmerged
// segments until ResetIndexMerging (at the job runner's start) or the
// resumed load puts them back.
// The write connection's commits do not checkpoint during a load (each
// checkpoint copied pages and synced the files on the writer's time, every
// few commits): the WAL watcher checkpoints beside the writer instead
// (PASSIVE, on its own connection), and once more as the load ends.
func (s *Store) BulkIndexing(ctx context.Context, on bool) error {
	automerge, crisis := 4, 16 // FTS5's defaults
	autocheckpoint := 1000     // pages: SQLite's default
	if on {
		automerge, crisis = 0, 1000 // FTS5 allows crisismerge up to 1999
		autocheckpoint = 0
	}
	if _, err := s.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, autocheckpoint)); err != nil {
		return fmt.Errorf("storage: bulk load: %w", err)
	}
	if on {
		s.bulkLoads.Add(1)
	} else if s.bulkLoads.Add(-1) < 0 {
		s.bulkLoads.Store(0)
	}
	if err := s.indexMerging(ctx, automerge, crisis); err != nil {
		return err
	}
	if !on && s.wal != nil {
		// What the load wrote, copied now beside the writers rather than by
		// the next commit's automatic checkpoint.
		if _, err := s.wal.side.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			return fmt.Errorf("storage: bulk load: checkpoint: %w", err)
		}
	}
	return nil
}

// ResetIndexMerging puts the index's merge policy back to FTS5's defaults:
// a bulk load a crash stopped leaves its own (no merging) stored with the
// index. Called where no load can run yet, as the job runner starts.
func (s *Store) ResetIndexMerging(ctx context.Context) error {
	return s.indexMerging(ctx, 4, 16) // FTS5's defaults
}

// indexMerging stores the index's automerge and crisismerge settings.
func (s *Store) indexMerging(ctx context.Context, automerge, crisis int) error {
	for _, q := range []struct {
		key   string
		value int
	}{{"automerge", automerge}, {"crisismerge", crisis}} {
		if _, err := s.write.ExecContext(ctx, `INSERT INTO messages_fts (messages_fts, rank) VALUES (?, ?)`, q.key, q.value); err != nil {
			return fmt.Errorf("storage: index %s: %w", q.key, err)
		}
	}
	return nil
}

// OptimizeIndex merges the index's segments into one, after a bulk load
// (FTS5's 'optimize'), and refreshes the document frequencies. It reads them
// on a reader connection while the writer merges: a merge changes no
// message's terms, and the read, a scan of the whole index, then costs the
// writer nothing.
func (s *Store) OptimizeIndex(ctx context.Context) error {
	read := make(chan termCounts, 1)
	go func() { read <- s.readTermCounts(ctx) }()
	_, err := s.write.ExecContext(ctx, `INSERT INTO messages_fts (messages_fts) VALUES ('optimize')`)
	counts := <-read
	if err != nil {
		return fmt.Errorf("storage: optimize index: %w", err)
	}
	return s.writeTermCounts(ctx, counts)
}

// RefreshTermStats recomputes every indexed term's document frequency, and the
// number of indexed messages, from the index.
func (s *Store) RefreshTermStats(ctx context.Context) error {
	return s.writeTermCounts(ctx, s.readTermCounts(ctx))
}

// RefreshTermStatsIfChanged refreshes the document frequencies when the
// number of indexed messages is not the one they were counted over: live
// events, retention and deletions change the index between the imports and
// backfills that refresh it. Edits, which change a few words of a message,
// are left to the next refresh. It reports whether it refreshed, and the
// number of messages the frequencies are now counted over.
func (s *Store) RefreshTermStatsIfChanged(ctx context.Context) (bool, int64, error) {
	var now, counted int64
	if err := s.read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM messages WHERE is_noise = 0), documents
		FROM message_term_stats WHERE id = 1`).Scan(&now, &counted); err != nil {
		return false, 0, fmt.Errorf("storage: refresh term statistics: %w", err)
	}
	if now == counted {
		return false, counted, nil
	}
	c := s.readTermCounts(ctx)
	if err := s.writeTermCounts(ctx, c); err != nil {
		return false, 0, err
	}
	return true, c.messages, nil
}

// termCounts are the index's document frequencies as one read saw them.
type termCounts struct {
	terms     []string
	documents []int64
	messages  int64 // indexed messages
	err       error
}

// readTermCounts reads every term's document frequency from the index, and
// the number of indexed messages, in one read transaction.
func (s *Store) readTermCounts(ctx context.Context) (c termCounts) {
	fail := func(err error) termCounts {
		return termCounts{err: fmt.Errorf("storage: refresh term statistics: %w", err)}
	}
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() // read only
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE is_noise = 0`).Scan(&c.messages); err != nil {
		return fail(err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT term, doc FROM messages_fts_vocab`)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var term string
		var docs int64
		if err := rows.Scan(&term, &docs); err != nil {
			return fail(err)
		}
		c.terms, c.documents = append(c.terms, term), append(c.documents, docs)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return c
}

// termChunk is how many terms one statement of writeTermCounts inserts.
const termChunk = 400

// writeTermCounts replaces the stored document frequencies with c, in one
// transaction.
func (s *Store) writeTermCounts(ctx context.Context, c termCounts) error {
	if c.err != nil {
		return c.err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM message_terms`); err != nil {
			return err
		}
		args := make([]any, 0, 2*termChunk)
		for start := 0; start < len(c.terms); start += termChunk {
			end := min(start+termChunk, len(c.terms))
			args = args[:0]
			for i := start; i < end; i++ {
				args = append(args, c.terms[i], c.documents[i])
			}
			if _, err := tx.tx.ExecContext(ctx, `INSERT INTO message_terms (term, documents) VALUES (?, ?)`+
				strings.Repeat(", (?, ?)", end-start-1), args...); err != nil {
				return err
			}
		}
		_, err := tx.tx.ExecContext(ctx, `UPDATE message_term_stats SET documents = ?,
			refreshed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`, c.messages)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: refresh term statistics: %w", err)
	}
	return nil
}

// TermStats is the document frequencies of some index terms.
type TermStats struct {
	Documents int64            // messages in the index
	Terms     map[string]int64 // term (as the index stores it: lower case, stemmed) → messages holding it
	Refreshed time.Time
}

// TermStats reads the document frequencies of terms as of the last refresh; a
// term the index does not hold is absent from Terms.
func (s *Store) TermStats(ctx context.Context, terms []string) (TermStats, error) {
	st := TermStats{Terms: make(map[string]int64, len(terms))}
	var refreshed string
	if err := s.read.QueryRowContext(ctx, `SELECT documents, refreshed_at FROM message_term_stats WHERE id = 1`).
		Scan(&st.Documents, &refreshed); err != nil {
		return TermStats{}, fmt.Errorf("storage: term statistics: %w", err)
	}
	var err error
	if st.Refreshed, err = parseTime(refreshed); err != nil {
		return TermStats{}, err
	}
	if len(terms) == 0 {
		return st, nil
	}
	args := make([]any, len(terms))
	for i, t := range terms {
		args[i] = t
	}
	rows, err := s.read.QueryContext(ctx, `SELECT term, documents FROM message_terms WHERE term IN (?`+
		strings.Repeat(", ?", len(terms)-1)+`)`, args...)
	if err != nil {
		return TermStats{}, fmt.Errorf("storage: term statistics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return TermStats{}, fmt.Errorf("storage: term statistics: %w", err)
		}
		st.Terms[t] = n
	}
	return st, rows.Err()
}

const messageColumns = `message_id, workspace_id, channel_id, ts, coalesce(thread_ts, ''), user_id, bot_id, author_name,
	text, coalesce(body, text), subtype, is_noise, is_bot, reply_count, coalesce(latest_reply, ''), edited, edited_ts, revision`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	if err := row.Scan(&m.ID, &m.WorkspaceID, &m.ChannelID, &m.TS, &m.ThreadTS, &m.UserID, &m.BotID, &m.AuthorName,
		&m.Text, &m.Body, &m.Subtype, &m.Noise, &m.Bot, &m.ReplyCount, &m.LatestReply, &m.Edited, &m.EditedTS,
		&m.Revision); err != nil {
		return Message{}, err
	}
	var err error
	m.PostedAt, err = TSTime(m.TS)
	return m, err
}

// TSTime returns the time of a Slack ts ("1700000000.000100": seconds since
// 1970, a dot, microseconds), refusing anything else.
func TSTime(ts string) (time.Time, error) {
	sec, frac, _ := strings.Cut(ts, ".")
	if sec == "" || len(ts) > 32 || strings.Trim(sec, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return time.Time{}, fmt.Errorf("storage: ts %q is not a Slack timestamp", ts)
	}
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: ts %q is not a Slack timestamp", ts)
	}
	var micros int64
	if frac != "" {
		micros, _ = strconv.ParseInt((frac + "000000")[:6], 10, 64)
	}
	return time.Unix(s, micros*1000).UTC(), nil
}

// Message returns one message, or ErrNotFound.
func (s *Store) Message(ctx context.Context, workspaceID, channelID, ts string) (Message, error) {
	m, err := scanMessage(s.read.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE workspace_id = ? AND channel_id = ? AND ts = ?`, workspaceID, channelID, ts))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("storage: message %s/%s/%s: %w", workspaceID, channelID, ts, ErrNotFound)
	}
	if err != nil {
		return Message{}, fmt.Errorf("storage: message %s/%s/%s: %w", workspaceID, channelID, ts, err)
	}
	return m, nil
}

// ListMessages returns a channel's messages in ts order (all of the
// workspace's when channelID is empty, by channel then ts).
func (s *Store) ListMessages(ctx context.Context, workspaceID, channelID string) ([]Message, error) {
	q := `SELECT ` + messageColumns + ` FROM messages WHERE workspace_id = ?`
	args := []any{workspaceID}
	if channelID != "" {
		q += ` AND channel_id = ?`
		args = append(args, channelID)
	}
	rows, err := s.read.QueryContext(ctx, q+` ORDER BY channel_id, ts`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list messages of %s: %w", workspaceID, err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list messages of %s: %w", workspaceID, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CountMessages returns how many messages the workspace holds.
func (s *Store) CountMessages(ctx context.Context, workspaceID string) (int64, error) {
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE workspace_id = ?`, workspaceID).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: count messages of %s: %w", workspaceID, err)
	}
	return n, nil
}

// SearchMessages returns the ids of the workspace's messages matching an FTS5
// query, best first under the index's rank (bm25 over body and context). It is
// the plain retrieval the answers' planner builds on.
func (s *Store) SearchMessages(ctx context.Context, workspaceID, match string, limit int) ([]int64, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT f.rowid FROM messages_fts f JOIN messages m ON m.message_id = f.rowid
		WHERE messages_fts MATCH ? AND m.workspace_id = ? ORDER BY f.rank LIMIT ?`, match, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: search messages: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("storage: search messages: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
