package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// walCheckInterval is how often the Store looks at its WAL by default.
const walCheckInterval = time.Second

// walHighWater is the WAL size past which the Store checkpoints it even
// while writes go on. SQLite's automatic checkpoints copy the WAL into the
// database but restart it only when no reader is using it; under steady
// load readers always overlap, and the file grows without bound.
const walHighWater = 16 << 20

// walBulkLimit bounds the WAL during a bulk load, whose commits do not
// checkpoint: past it the watcher checkpoints fully in the writers' queue,
// as it does past walHighWater otherwise.
const walBulkLimit = 64 * walHighWater

// checkpointBusyTimeout bounds how long one full checkpoint waits for the
// readers still using the WAL. Readers here never hold a transaction open,
// so they finish within milliseconds; waiting longer would only hold up
// the writes queued behind the checkpoint. Only when readers keep beating
// it does the watcher wait longer, doubling up to 16 times this, so that
// the WAL stays bounded on a machine so busy that readers stall.
const checkpointBusyTimeout = 100 * time.Millisecond

// WALCheckInterval sets how often the Store samples its WAL's size and, when
// no write came in since the last look, checkpoints and truncates it. The
// default is a second; tests shorten it.
func WALCheckInterval(d time.Duration) Option { return func(o *options) { o.walInterval = d } }

// WALStats is the size of the database's write-ahead log.
type WALStats struct {
	Bytes    int64 // now
	MaxBytes int64 // the largest seen since Open
}

// walWatch is the Store's WAL keeper: a goroutine started by Open and stopped
// by Close, so that the WAL stays bounded however the Store is used.
type walWatch struct {
	path      string
	side      *sql.DB      // one connection for checkpoints that must not wait in the writers' queue
	lastWrite atomic.Int64 // UnixNano of the last write transaction's end
	size, max atomic.Int64 // bytes, at the last look and the largest seen
	cancel    context.CancelFunc
	done      chan struct{}
	stopOnce  sync.Once
}

// WAL returns the write-ahead log's size now and the largest seen (by this
// call, or by the Store's look every interval); zero for a read-only Store.
func (s *Store) WAL() WALStats {
	if s.wal == nil { // a read-only Store keeps no watch
		return WALStats{}
	}
	size := s.sampleWAL()
	return WALStats{Bytes: size, MaxBytes: s.wal.max.Load()}
}

// startWALWatch starts the goroutine that keeps the WAL small: every
// interval it samples the WAL's size, and checkpoints it fully (TRUNCATE)
// when the database was idle since the last look or the WAL is past
// walHighWater.
func (s *Store) startWALWatch(interval time.Duration) error {
	if interval <= 0 {
		interval = walCheckInterval
	}
	side, err := sql.Open("sqlite", dsn(s.path, false))
	if err != nil {
		return fmt.Errorf("storage: open %s: %w", s.path, err)
	}
	side.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	s.wal = &walWatch{path: s.path + "-wal", side: side, cancel: cancel, done: make(chan struct{})}
	s.wal.lastWrite.Store(time.Now().UnixNano())
	go func() {
		defer close(s.wal.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		misses := 0 // full checkpoints in a row that readers kept from finishing
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			size := s.sampleWAL()
			idle := time.Since(time.Unix(0, s.wal.lastWrite.Load())) >= interval
			if size == 0 || (!idle && size < walHighWater) {
				continue
			}
			if s.bulkLoads.Load() > 0 && size < walBulkLimit {
				// A bulk load's commits do not checkpoint: copy what they
				// wrote beside them, without taking the writers' turn. The
				// WAL starts over once a checkpoint has caught up.
				if _, err := s.wal.side.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
					s.logger.Warn("could not checkpoint the WAL", slog.Any("error", err))
				}
				continue
			}
			busy, err := s.checkpointOnce(ctx, checkpointBusyTimeout<<min(misses, 4))
			switch {
			case err != nil && ctx.Err() == nil:
				s.logger.Warn("could not checkpoint the WAL", slog.Any("error", err))
			case busy:
				misses++
				s.logger.Debug("WAL checkpoint waited for readers; trying again later", "wal_bytes", size)
			default:
				misses = 0
			}
			s.sampleWAL()
		}
	}()
	return nil
}

// stopWALWatch stops the goroutine and waits for it; calling it again is a no-op.
func (s *Store) stopWALWatch() {
	if s.wal == nil {
		return
	}
	s.wal.stopOnce.Do(func() {
		s.wal.cancel()
		<-s.wal.done
		s.wal.side.Close()
	})
}

// sampleWAL records the WAL file's size and returns it.
func (s *Store) sampleWAL() int64 {
	info, err := os.Stat(s.wal.path)
	if err != nil {
		s.wal.size.Store(0)
		return 0
	}
	size := info.Size()
	s.wal.size.Store(size)
	for {
		m := s.wal.max.Load()
		if size <= m || s.wal.max.CompareAndSwap(m, size) {
			return size
		}
	}
}

// acquireWriter takes the one right to write. Waiters are served in the
// order they came (a channel's queue is FIFO; database/sql hands a freed
// connection to a waiter at random, which under load made a few writes wait
// ten times longer than the rest).
func (s *Store) acquireWriter(ctx context.Context) error {
	select {
	case s.writer <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// releaseWriter gives the right to write to the next waiter.
func (s *Store) releaseWriter() { <-s.writer }

// noteWrite records that a write transaction just ended, so that the WAL
// watcher knows the database is not idle.
func (s *Store) noteWrite() {
	if s.wal != nil {
		s.wal.lastWrite.Store(time.Now().UnixNano())
	}
}

// Checkpoint copies the WAL into the main file and truncates it, so that
// overwritten pages (cleared secrets among them) leave the WAL file too.
// Readers still holding old pages make it try again, five times over about
// a second, before it reports them; writes go on between the tries.
func (s *Store) Checkpoint(ctx context.Context) error {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		busy, cerr := s.checkpointOnce(ctx, checkpointBusyTimeout)
		if cerr != nil {
			return cerr
		}
		if !busy {
			s.sampleWAL()
			return nil
		}
		err = fmt.Errorf("storage: checkpoint: readers kept the WAL busy for %d tries", attempt+1)
	}
	return err
}

// checkpointOnce checkpoints the WAL fully and truncates it. A full
// checkpoint locks writers out while it copies the WAL into the database
// and waits for readers, which on a slow disk takes hundreds of
// milliseconds; so it first copies what it can beside the writers (PASSIVE,
// on its own connection), then runs wal_checkpoint(TRUNCATE) on the write
// connection, in the writers' queue, with only the last frames left to copy
// and waiting at most wait for readers (the connection's own busy timeout
// is restored afterwards). busy reports readers that kept it from finishing.
func (s *Store) checkpointOnce(ctx context.Context, wait time.Duration) (busy bool, err error) {
	var isBusy, logPages, checkpointed int
	// A busy PASSIVE checkpoint (another one running) is no failure: the
	// TRUNCATE below does the whole job anyway.
	if err := s.wal.side.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&isBusy, &logPages, &checkpointed); err != nil {
		return false, fmt.Errorf("storage: checkpoint: %w", err)
	}
	if err := s.acquireWriter(ctx); err != nil {
		return false, fmt.Errorf("storage: checkpoint: %w", err)
	}
	defer s.releaseWriter()
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("storage: checkpoint: %w", err)
	}
	defer conn.Close()
	var timeout int64
	if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err != nil {
		return false, fmt.Errorf("storage: checkpoint: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", wait.Milliseconds())); err != nil {
		return false, fmt.Errorf("storage: checkpoint: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA busy_timeout = %d", timeout))
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&isBusy, &logPages, &checkpointed); err != nil {
		return false, fmt.Errorf("storage: checkpoint: %w", err)
	}
	return isBusy != 0, nil
}
