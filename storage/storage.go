// Package storage is Lore's SQLite layer: opening the database file with the
// right pragmas, migrating it, and the queries of every entity. It knows SQL
// and nothing of HTTP or Slack.
package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned when a looked-up row does not exist (or belongs to
// another organization, which callers must not be able to tell apart).
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a row would break a uniqueness rule.
var ErrConflict = errors.New("already exists")

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// Store is an open Lore database: one connection that writes, a pool that
// reads and a pool that searches. SQLite allows one writer at a time;
// funnelling every write through a single connection makes writers queue in
// Go instead of failing with "database is locked", while WAL lets the
// readers go on beside it.
type Store struct {
	path       string
	write      *sql.DB
	read       *sql.DB
	search     *sql.DB // readers that map the file (searchMap), for Searcher
	migrations fs.FS
	logger     *slog.Logger
	writer     chan struct{} // the one right to write, taken in turn (wal.go)
	stmts      *stmtCache    // write transactions' prepared statements
	wal        *walWatch
	bulkLoads  atomic.Int32 // bulk loads under way (BulkIndexing): the WAL watcher checkpoints beside them
}

// Option changes how Open behaves.
type Option func(*options)

type options struct {
	skipMigrations bool
	readOnly       bool
	noUpgrade      bool
	walInterval    time.Duration
}

// SkipMigrations opens the database without migrating it up, whatever its
// schema, for commands that inspect or copy it (migrate status, backup) and
// must not change it.
func SkipMigrations() Option { return func(o *options) { o.skipMigrations = true } }

// ReadOnly opens an existing database for a command that only reads: it is
// never created or migrated, a schema older or newer than the binary's is
// refused (a *VersionError), and both connection pools are query-only.
func ReadOnly() Option { return func(o *options) { o.readOnly = true } }

// NoUpgrade creates and migrates a new database but refuses to upgrade an
// existing one of an older schema (a *VersionError), for commands that write
// beside a running server without its lock: an upgrade beside an older
// server would change the tables under it.
func NoUpgrade() Option { return func(o *options) { o.noUpgrade = true } }

// VersionError is a database whose schema is not the one this binary needs.
// Its message names both versions and what to do.
type VersionError struct {
	Path         string
	Have, Latest int64
}

func (e *VersionError) Error() string {
	if e.Have > e.Latest {
		return fmt.Sprintf("storage: %s has schema version %d, newer than this lore's %d: run a newer lore", e.Path, e.Have, e.Latest)
	}
	return fmt.Sprintf("storage: %s has schema version %d, older than this lore's %d: run lore migrate up", e.Path, e.Have, e.Latest)
}

// Open opens (creating if needed) the SQLite database at path, checks that it
// is a Lore database this binary understands, and migrates it to the newest
// schema in migrations (see the options for the exceptions). A file that is
// not SQLite, or whose schema is newer than the binary, is refused before
// anything is written.
func Open(ctx context.Context, path string, migrations fs.FS, logger *slog.Logger, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	if !o.readOnly {
		if err := createPrivate(path); err != nil {
			return nil, err
		}
	}
	write, err := sql.Open("sqlite", dsn(path, o.readOnly))
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	search, err := sql.Open("sqlite", dsn(path, true, searchMap))
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	search.SetMaxOpenConns(4)
	search.SetMaxIdleConns(4)

	s := &Store{path: path, write: write, read: read, search: search, migrations: migrations, logger: logger,
		writer: make(chan struct{}, 1), stmts: newStmtCache(write)}
	if err := s.write.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	if err := s.checkVersion(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := restrictFiles(path); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.migrateOnOpen(ctx, o); err != nil {
		s.Close()
		return nil, err
	}
	if !o.readOnly { // the watcher's checkpoints write
		if err := s.startWALWatch(o.walInterval); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// migrateOnOpen migrates the database as the options say.
func (s *Store) migrateOnOpen(ctx context.Context, o options) error {
	if o.skipMigrations {
		return nil
	}
	if !o.readOnly && !o.noUpgrade {
		return s.MigrateUp(ctx)
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	latest, err := s.LatestVersion()
	if err != nil {
		return err
	}
	switch {
	case have == latest:
		return nil
	case have == 0 && o.noUpgrade: // a new database: nothing to upgrade under anyone
		return s.MigrateUp(ctx)
	}
	return &VersionError{Path: s.path, Have: have, Latest: latest}
}

// searchMap is the pragma of the search readers: they read the file through
// a memory map (up to 2 GiB, SQLite's most here). A question reads pages of
// the index and of messages all over the file; through the map they come
// from the system's file cache with no read call and no copy into each
// connection's own cache: over a million messages, warm retrieval p95 fell
// from about 12 to 10.5 ms and p50 from 6 to 5.2 (interleaved runs). The
// other readers do not map the file: a scan of the whole index (term
// statistics, after an import) would make all of it resident in the process.
const searchMap = "mmap_size(2147418112)"

// dsn builds the connection string, with extra pragmas after the common
// ones. Order matters: busy_timeout first, so that the pragmas after it wait
// for a lock rather than fail on one.
func dsn(path string, readOnly bool, extra ...string) string {
	q := url.Values{}
	for _, p := range []string{
		"busy_timeout(10000)", // wait up to 10 s for a lock instead of failing at once
		"journal_mode(WAL)",   // readers never block the writer, nor the writer them
		"synchronous(NORMAL)", // durable at each checkpoint; safe with WAL
		"foreign_keys(ON)",    // the fourth layer of tenant isolation
		"secure_delete(ON)",   // overwrite deleted content: cleared secrets must not linger in free pages
		"temp_store(MEMORY)",  // sorts and temp indexes stay off the disk
		"cache_size(-16000)",  // 16 MB page cache per connection
		"trusted_schema(OFF)", // SQL functions in the schema run only if marked safe
	} {
		q.Add("_pragma", p)
	}
	// A WAL that a checkpoint restarts is cut back to walHighWater (wal.go)
	// rather than keeping the size it once grew to.
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walHighWater))
	for _, p := range extra {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction that
		// reads then writes never fails half-way with SQLITE_BUSY.
		q.Set("_txlock", "immediate")
	}
	return "file:" + uriPath(path) + "?" + q.Encode()
}

// checkHeader refuses a file that exists and is not a SQLite database, before
// the driver touches it (it would otherwise leave -wal and -shm files beside it).
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("storage: open %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	if n == 0 && (err == io.EOF || err == nil) {
		return nil // an empty file becomes a new database
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("storage: read %s: %w", path, err)
	}
	if !bytes.Equal(head[:n], sqliteHeader) {
		return fmt.Errorf("storage: %s is not a SQLite database", path)
	}
	return nil
}

// uriPath escapes the characters that would end the path part of a SQLite URI.
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
}

// createPrivate creates a missing database file empty and readable by its
// owner only (SQLite takes an empty file as a new database, and gives the
// -wal and -shm files the database file's permissions).
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("storage: create %s: %w", path, err)
	}
	return f.Close()
}

// restrictFiles makes an existing database (from an older Lore, or copied
// in) readable by its owner only. It runs once the file is known to be a
// database this binary accepts, so a refused file is left as it was.
func restrictFiles(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("storage: %s is readable by other users and cannot be restricted: %w", p, err)
			}
		}
	}
	return nil
}

// Close closes the connection pools, checkpointing the WAL into the main file.
func (s *Store) Close() error {
	s.stopWALWatch()
	return errors.Join(s.stmts.close(), s.search.Close(), s.read.Close(), s.write.Close())
}

// Tx is one write transaction. Entity methods that must commit together (a
// change and its audit row) are methods of Tx; Store's own write methods each
// run one Tx.
type Tx struct {
	tx *txConn
}

// Tx runs fn in one write transaction (BEGIN IMMEDIATE) and commits it, or
// rolls it back if fn returns an error or panics.
func (s *Store) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if err := s.acquireWriter(ctx); err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	defer s.releaseWriter()
	defer s.noteWrite()
	sqlTx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	conn := &txConn{tx: sqlTx, cache: s.stmts}
	// Once the transaction has ended (the deferred rollback below runs
	// first), while the right to write is still held.
	defer func() { s.stmts.fill(context.WithoutCancel(ctx), conn.missed) }()
	defer func() {
		// after the rollback below, before the statements are filled
		for _, q := range conn.restore {
			if _, rerr := s.write.ExecContext(context.Background(), q); rerr != nil {
				err = errors.Join(err, fmt.Errorf("storage: %s: %w", q, rerr))
			}
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			sqlTx.Rollback()
		}
	}()
	if err = fn(&Tx{tx: conn}); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return nil
}

// formatTime formats t the way every timestamp column stores it.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// timeLayout is the text form of every timestamp column: UTC, milliseconds,
// sorting as a string. strftime('%Y-%m-%dT%H:%M:%fZ') writes the same.
const timeLayout = "2006-01-02T15:04:05.000Z"

// parseTime reads a timestamp column.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: bad timestamp %q: %w", s, err)
	}
	return t, nil
}

// isUniqueViolation tells a UNIQUE or PRIMARY KEY failure from other errors.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// IsConstraintViolation tells whether err is a CHECK, NOT NULL, FOREIGN KEY
// or UNIQUE failure: the schema's last line of defence turned a value away.
func IsConstraintViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

// condition is one optional equality test of a list query's WHERE clause.
type condition struct {
	column string // a column, compared with =; or a column and its operator: "audit_id <"
	value  any
	set    bool // false: the filter was not given, and the test is left out
}

// whereSet builds " WHERE a = ? AND b = ?" from the conditions that are set,
// and their arguments. Leaving out the filters not given, rather than
// writing "(?1 = 0 OR org_id = ?1)", lets SQLite pick an index for each query.
func whereSet(conds ...condition) (string, []any) {
	var parts []string
	var args []any
	for _, c := range conds {
		if c.set {
			test := c.column + " = ?"
			if strings.Contains(c.column, " ") {
				test = c.column + " ?"
			}
			parts = append(parts, test)
			args = append(args, c.value)
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(parts, " AND "), args
}

// collect scans every row of rows with scan and closes them; what names
// the query in errors.
func collect[T any](rows *sql.Rows, what string, scan func(*sql.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: %s: %w", what, err)
	}
	return out, nil
}
