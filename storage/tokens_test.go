package storage

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAPITokens(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	u := seedUser(t, s, "a@example.com", 0, "")
	other := seedUser(t, s, "b@example.com", 0, "")
	hash := strings.Repeat("d", 64)
	var tok APIToken
	err := s.Tx(ctx, func(tx *Tx) (err error) {
		tok, err = tx.CreateAPIToken(ctx, u.ID, "ci", "lore_abcdef", hash)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, gotUser, err := s.APITokenByHash(ctx, hash)
	if err != nil || got.ID != tok.ID || got.Name != "ci" || got.Prefix != "lore_abcdef" || gotUser.Email != "a@example.com" || !got.LastUsedAt.IsZero() {
		t.Fatalf("APITokenByHash = %+v, %+v, %v", got, gotUser, err)
	}
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if err := s.TouchAPIToken(ctx, tok.ID, at); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListAPITokens(ctx, u.ID)
	if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(at) {
		t.Fatalf("ListAPITokens = %+v, %v", list, err)
	}
	if l, _ := s.ListAPITokens(ctx, other.ID); len(l) != 0 {
		t.Fatalf("another user's list = %+v", l)
	}
	err = s.Tx(ctx, func(tx *Tx) error { _, err := tx.DeleteAPIToken(ctx, other.ID, tok.ID); return err })
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("DeleteAPIToken by another user = %v", err)
	}
	err = s.Tx(ctx, func(tx *Tx) error { _, err := tx.DeleteAPIToken(ctx, u.ID, tok.ID); return err })
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.APITokenByHash(ctx, hash); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted token = %v", err)
	}
}
