package accounts

import (
	"sync"
	"time"
)

// Limiter counts attempts per key in a sliding window. A key may make limit
// attempts freely; past that, a fixed limiter (NewLimiter) refuses it until
// its oldest attempt leaves the window, and a backoff limiter (NewBackoff)
// makes it wait after its newest attempt, twice as long with each further
// one. It lives in memory: a restart forgives everyone, which is acceptable
// for slowing down password guessing.
type Limiter struct {
	mu       sync.Mutex
	now      func() time.Time
	limit    int
	window   time.Duration
	step     time.Duration // a backoff's first wait; 0 for a fixed limiter
	maxWait  time.Duration // a backoff's longest wait
	attempts map[string][]time.Time
}

// maxLimiterKeys bounds the memory a flood of distinct keys can take before
// stale keys are swept.
const maxLimiterKeys = 10000

// NewLimiter allows limit attempts per key within window, reading time from now.
func NewLimiter(limit int, window time.Duration, now func() time.Time) *Limiter {
	return &Limiter{now: now, limit: limit, window: window, attempts: make(map[string][]time.Time)}
}

// NewBackoff allows free attempts per key within window; each further one
// waits step after the one before, doubling up to maxWait.
func NewBackoff(free int, step, maxWait, window time.Duration, now func() time.Time) *Limiter {
	l := NewLimiter(free, window, now)
	l.step, l.maxWait = step, maxWait
	return l
}

// Take records an attempt for key and returns 0, or, when the key has used
// up its allowance, records nothing and returns how long until it may try again.
func (l *Limiter) Take(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	list, wait := l.allowance(key, now)
	if wait > 0 {
		return wait
	}
	if len(l.attempts) >= maxLimiterKeys {
		l.sweep(now)
	}
	// Still full: a flood of distinct keys. Forget arbitrary ones (map order
	// is random) rather than grow without bound.
	for k := range l.attempts {
		if len(l.attempts) < maxLimiterKeys {
			break
		}
		delete(l.attempts, k)
	}
	l.attempts[key] = append(list, now)
	return 0
}

// Wait returns how long until key may try again, 0 if it may now, without
// recording an attempt.
func (l *Limiter) Wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, wait := l.allowance(key, l.now())
	return wait
}

// allowance returns key's attempts still in the window and, when they use up
// the free ones, how long until the key may try again: until the oldest
// leaves the window, or for a backoff, until its wait after the newest has
// passed. It needs l.mu held.
func (l *Limiter) allowance(key string, now time.Time) ([]time.Time, time.Duration) {
	list := l.recent(key, now)
	n := len(list)
	if n < l.limit {
		return list, 0
	}
	if l.step == 0 {
		return list, list[0].Add(l.window).Sub(now)
	}
	wait := l.maxWait
	if extra := n - l.limit; extra < 32 {
		wait = min(l.step<<extra, l.maxWait)
	}
	return list, max(list[n-1].Add(wait).Sub(now), 0)
}

// Undo forgets the newest attempt of key: a success that should not count.
func (l *Limiter) Undo(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if list := l.attempts[key]; len(list) > 1 {
		l.attempts[key] = list[:len(list)-1]
	} else {
		delete(l.attempts, key)
	}
}

// Reset forgets every attempt of key.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.attempts, key)
}

// recent drops key's attempts older than the window and returns the rest.
func (l *Limiter) recent(key string, now time.Time) []time.Time {
	list := l.attempts[key]
	cut := 0
	for cut < len(list) && !list[cut].Add(l.window).After(now) {
		cut++
	}
	if cut == len(list) {
		delete(l.attempts, key)
		return nil
	}
	list = list[cut:]
	l.attempts[key] = list
	return list
}

func (l *Limiter) sweep(now time.Time) {
	for k := range l.attempts {
		l.recent(k, now)
	}
}
