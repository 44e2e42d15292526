package storage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openWAL(t *testing.T, interval time.Duration) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "lore.db"), migrationsFS(), discard, WALCheckInterval(interval))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func walSize(t *testing.T, s *Store) int64 {
	t.Helper()
	info, err := os.Stat(s.path + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// writeAudit writes n audit rows of size bytes each, one transaction each.
func writeAudit(t *testing.T, s *Store, n, size int) {
	t.Helper()
	ctx := context.Background()
	detail := strings.Repeat("x", size)
	for range n {
		err := s.Tx(ctx, func(tx *Tx) error {
			_, err := tx.tx.ExecContext(ctx, `INSERT INTO audit_log (actor, action, detail) VALUES ('test', 'wal', ?)`, detail)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestWALTruncatedWhenIdle(t *testing.T) {
	t.Parallel()
	s := openWAL(t, 20*time.Millisecond)
	writeAudit(t, s, 50, 10_000)
	deadline := time.Now().Add(10 * time.Second)
	for walSize(t, s) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the WAL is still %d bytes after 10 s without writes", walSize(t, s))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := s.WAL(); st.MaxBytes < 500_000 {
		t.Fatalf("WAL() = %+v, want the largest size seen (> 500 kB)", st)
	}
}

// TestWALBoundedUnderOverlappingReaders writes 96 MiB while readers
// overlap all the time, which keeps SQLite from ever restarting the WAL
// on its own: the Store's full checkpoints keep it near walHighWater.
func TestWALBoundedUnderOverlappingReaders(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 96 MiB")
	}
	t.Parallel()
	s := openWAL(t, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				var n int
				s.read.QueryRowContext(ctx, `SELECT length(detail) FROM audit_log ORDER BY audit_id DESC LIMIT 1`).Scan(&n)
			}
		})
	}
	var largest int64
	for range 96 {
		writeAudit(t, s, 16, 64<<10)
		largest = max(largest, walSize(t, s))
	}
	cancel()
	wg.Wait()
	// Without the Store's checkpoints it grows past 100 MiB; with them it
	// stays near 16, more on a machine so loaded that readers stall.
	if limit := int64(40 << 20); largest > limit {
		t.Fatalf("the WAL grew to %.1f MiB under load, want at most %d MiB", float64(largest)/(1<<20), limit>>20)
	}
	t.Logf("largest WAL %.1f MiB; WAL() = %+v", float64(largest)/(1<<20), s.WAL())
}

// TestCheckpointGivesUpOnAStuckReader: a reader that holds a transaction
// open keeps a full checkpoint from finishing; Checkpoint reports it after
// a few short tries instead of holding the writers up for the busy timeout
// (10 s) on each.
func TestCheckpointGivesUpOnAStuckReader(t *testing.T) {
	t.Parallel()
	s := openWAL(t, time.Hour)
	writeAudit(t, s, 5, 1000)
	ctx := context.Background()
	reader, err := s.read.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if _, err := reader.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRowContext(ctx, "SELECT count(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	writeAudit(t, s, 5, 1000) // frames the reader's snapshot does not have

	deadline, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	err = s.Checkpoint(deadline)
	if err == nil || !strings.Contains(err.Error(), "readers kept the WAL busy") {
		t.Fatalf("Checkpoint beside a stuck reader = %v, want the readers named", err)
	}
	reader.ExecContext(ctx, "ROLLBACK")
	if err := s.Checkpoint(ctx); err != nil || walSize(t, s) != 0 {
		t.Fatalf("Checkpoint once the reader is gone = %v, WAL %d bytes", err, walSize(t, s))
	}
}

// TestWritersServedInOrder: writes waiting for the write connection get it
// in the order they asked (database/sql hands it to a random waiter).
func TestWritersServedInOrder(t *testing.T) {
	t.Parallel()
	s := openWAL(t, time.Hour)
	ctx := context.Background()
	hold := make(chan struct{})
	held := make(chan struct{})
	go s.Tx(ctx, func(tx *Tx) error { close(held); <-hold; return nil })
	<-held
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	var arrived atomic.Int64
	for i := range 6 {
		wg.Go(func() {
			arrived.Add(1)
			s.Tx(ctx, func(tx *Tx) error {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				return nil
			})
		})
		// Let it join the queue before the next comes: it has arrived, and
		// is a few instructions from waiting.
		for arrived.Load() < int64(i+1) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(hold)
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("writers ran in the order %v, want 0…5", order)
		}
	}
}
