package storage

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
)

// maxCachedStatements bounds the write connection's prepared statements
// (queries built from a set of columns can vary).
const maxCachedStatements = 256

// stmtCache keeps the statements of write transactions prepared on the one
// write connection. The driver otherwise parses and plans every statement
// it runs, which was 40% of the time a write held that connection (BEGIN
// IMMEDIATE to COMMIT) under load, and every other write waits that long.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// fill prepares queries that ran unprepared. It runs between transactions,
// with the right to write held: preparing needs the write connection,
// which an open transaction holds.
func (c *stmtCache) fill(ctx context.Context, queries []string) {
	for _, q := range queries {
		c.mu.Lock()
		_, have := c.stmts[q]
		full := len(c.stmts) >= maxCachedStatements
		c.mu.Unlock()
		if have || full {
			continue
		}
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue // the statement ran already; a failure to prepare it only costs speed
		}
		c.mu.Lock()
		c.stmts[q] = st
		c.mu.Unlock()
	}
}

// close closes every statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// txConn is a write transaction as entity methods use it: the same
// ExecContext, QueryContext and QueryRowContext as *sql.Tx, running
// statements from the cache and noting the ones it lacks.
type txConn struct {
	tx      *sql.Tx
	cache   *stmtCache
	missed  []string
	restore []string // pragmas to put back once the transaction has ended (setPragma)
}

// setPragma sets a pragma of the write connection for a while of the
// transaction, and returns what sets it back (run it before the
// transaction's other statements need it back). Should that not run, or
// fail (when ctx is done, database/sql rolls the transaction back on its
// own, and a finished transaction's statements fail), Store.Tx sets it back
// once the transaction has ended, before the right to write passes on: the
// one write connection never keeps a bulk load's pragmas.
func (t *txConn) setPragma(ctx context.Context, set, restore string) (func() error, error) {
	t.restore = append(t.restore, restore)
	if _, err := t.tx.ExecContext(ctx, set); err != nil {
		return nil, err
	}
	return func() error {
		// context.Background: the pragma must be set back even when ctx is done.
		if _, err := t.tx.ExecContext(context.Background(), restore); err != nil {
			return err
		}
		if i := slices.Index(t.restore, restore); i >= 0 {
			t.restore = slices.Delete(t.restore, i, i+1)
		}
		return nil
	}, nil
}

func (t *txConn) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.cache.get(query); st != nil {
		return t.tx.StmtContext(ctx, st)
	}
	t.missed = append(t.missed, query)
	return nil
}

// ExecContext runs a statement that returns no rows.
func (t *txConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query that returns rows.
func (t *txConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query that returns at most one row.
func (t *txConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}
