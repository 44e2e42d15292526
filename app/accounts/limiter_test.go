package accounts

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if d := l.Take("k"); d != 0 {
			t.Fatalf("attempt %d refused (%v); want allowed", i+1, d)
		}
		now = now.Add(10 * time.Second)
	}
	// attempts at 0s, 10s, 20s; now 30s: the first leaves the window at 60s
	if d := l.Take("k"); d != 30*time.Second {
		t.Fatalf("4th attempt: wait %v, want 30s", d)
	}
	if d := l.Wait("k"); d != 30*time.Second {
		t.Fatalf("Wait = %v, want 30s", d)
	}
	if d := l.Take("other"); d != 0 {
		t.Fatalf("another key refused: %v", d)
	}
	now = now.Add(30 * time.Second)
	if d := l.Take("k"); d != 0 {
		t.Fatalf("after the window: wait %v, want 0", d)
	}
	l.Reset("k")
	for i := range 3 {
		if d := l.Take("k"); d != 0 {
			t.Fatalf("after reset, attempt %d refused", i+1)
		}
	}
	l.Undo("k")
	if d := l.Take("k"); d != 0 {
		t.Fatalf("after undo: refused %v", d)
	}
	if d := l.Take("k"); d == 0 {
		t.Fatal("past the limit again: allowed")
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	t.Parallel()
	now := time.Now()
	l := NewLimiter(5, time.Hour, func() time.Time { return now })
	for i := range maxLimiterKeys + 500 {
		if wait := l.Take(fmt.Sprint("addr-", i)); wait != 0 {
			t.Fatalf("a new key had to wait %v", wait)
		}
	}
	if n := len(l.attempts); n > maxLimiterKeys {
		t.Fatalf("%d keys kept, want at most %d", n, maxLimiterKeys)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewBackoff(2, time.Second, 5*time.Second, time.Minute, func() time.Time { return now })
	for i := range 2 {
		if d := l.Take("k"); d != 0 {
			t.Fatalf("free attempt %d refused (%v)", i+1, d)
		}
	}
	// Each further attempt waits after the newest: 1 s, 2 s, 4 s, then 5 s at most.
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		if d := l.Take("k"); d != want {
			t.Fatalf("attempt too soon: wait %v, want %v", d, want)
		}
		now = now.Add(want - time.Millisecond)
		if d := l.Wait("k"); d != time.Millisecond {
			t.Fatalf("just before the wait ends: %v, want 1ms", d)
		}
		now = now.Add(time.Millisecond)
		if d := l.Take("k"); d != 0 {
			t.Fatalf("after waiting %v: refused (%v)", want, d)
		}
	}
	if d := l.Take("other"); d != 0 {
		t.Fatalf("another key refused: %v", d)
	}
	// Once every attempt has left the window, the key is free again.
	now = now.Add(time.Minute)
	if d := l.Take("k"); d != 0 {
		t.Fatalf("after the window: refused (%v)", d)
	}
}
