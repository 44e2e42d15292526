// Package lockfile keeps a second Lore from serving the same data directory:
// two instances would split Slack's Socket Mode events between them.
package lockfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrLocked is returned when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// HeldError says which process holds the lock; it matches ErrLocked.
type HeldError struct {
	Path string
	PID  int // 0 when the holder did not write its id
}

func (e *HeldError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("lockfile: %s is held by another process", e.Path)
	}
	return fmt.Sprintf("lockfile: %s is held by pid %d", e.Path, e.PID)
}

// Is makes errors.Is(err, ErrLocked) true for a HeldError.
func (e *HeldError) Is(target error) bool { return target == ErrLocked }

// Lock is a held lock file. The operating system releases it when the
// process exits, however it exits, so a crash never leaves a stale lock.
type Lock struct {
	f *os.File
}

// Acquire takes the lock at path without waiting, writing this process's id
// into the file. If another process holds it, the error is a *HeldError.
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lockfile: %w", err)
	}
	if err := lock(f); err != nil {
		if !isHeld(err) {
			f.Close()
			return nil, fmt.Errorf("lockfile: lock %s: %w", path, err)
		}
		holder, _ := os.ReadFile(path)
		f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(holder)))
		return nil, &HeldError{Path: path, PID: pid}
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Wait takes the lock at path like Acquire, but while another process holds
// it, waits (polling, which works the same on every system) until it is
// free or ctx is done; then the error is the last *HeldError joined with
// ctx's error.
func Wait(ctx context.Context, path string) (*Lock, error) {
	for {
		l, err := Acquire(path)
		if !errors.Is(err, ErrLocked) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(err, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Release gives the lock up and removes nothing: the file stays for the next
// start, which avoids a race between removing it and another process opening it.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := errors.Join(unlock(l.f), l.f.Close())
	l.f = nil
	return err
}
