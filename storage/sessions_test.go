package storage

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	u := seedUser(t, s, "a@example.com", 0, "")
	other := seedUser(t, s, "b@example.com", 0, "")
	now := time.Now()
	hash := strings.Repeat("a", 64)
	var sess Session
	err := s.Tx(ctx, func(tx *Tx) (err error) {
		sess, err = tx.CreateSession(ctx, u.ID, hash, now.Add(time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, gotUser, err := s.SessionByHash(ctx, hash, now)
	if err != nil || got.ID != sess.ID || gotUser.ID != u.ID || !got.ExpiresAt.Equal(sess.ExpiresAt) {
		t.Fatalf("SessionByHash = %+v, %+v, %v; want %+v", got, gotUser, err, sess)
	}
	if _, _, err := s.SessionByHash(ctx, hash, now.Add(2*time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired session = %v", err)
	}
	if _, _, err := s.SessionByHash(ctx, strings.Repeat("b", 64), now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown hash = %v", err)
	}
	// Another user cannot delete it.
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.DeleteSession(ctx, other.ID, sess.ID) }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DeleteSession by another user = %v", err)
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.CreateSession(ctx, u.ID, strings.Repeat("c", 64), now.Add(-time.Minute)); err != nil {
			return err
		}
		return tx.DeleteExpiredSessions(ctx, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	err = s.Tx(ctx, func(tx *Tx) (err error) { n, err = tx.DeleteUserSessions(ctx, u.ID); return err })
	if err != nil || n != 1 {
		t.Fatalf("DeleteUserSessions = %d, %v; want 1 (the expired one swept already)", n, err)
	}
	if _, _, err := s.SessionByHash(ctx, hash, now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after DeleteUserSessions = %v", err)
	}
	// The schema refuses a token that is not a SHA-256 hex digest.
	err = s.Tx(ctx, func(tx *Tx) error { _, err := tx.CreateSession(ctx, u.ID, "raw-token", now); return err })
	if !IsConstraintViolation(err) {
		t.Fatalf("short hash = %v, want a constraint violation", err)
	}
}
