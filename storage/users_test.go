package storage

import (
	"context"
	"errors"
	"testing"
)

// seedUser creates a user who is a member of org with role.
func seedUser(t *testing.T, s *Store, email string, orgID int64, role string) User {
	t.Helper()
	ctx := context.Background()
	var u User
	err := s.Tx(ctx, func(tx *Tx) (err error) {
		if u, err = tx.CreateUser(ctx, email, "$argon2id$fake", false); err != nil {
			return err
		}
		if orgID != 0 {
			_, err = tx.AddMembership(ctx, orgID, u.ID, role)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUsers(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	var first User
	err := s.Tx(ctx, func(tx *Tx) error {
		n, err := tx.CountUsers(ctx)
		if err != nil || n != 0 {
			t.Fatalf("CountUsers on a new database = %d, %v", n, err)
		}
		first, err = tx.CreateUser(ctx, "Ann@Example.com", "hash-1", true)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == 0 || !first.InstanceOwner || first.CreatedAt.IsZero() {
		t.Fatalf("created %+v", first)
	}
	// Emails are unique ignoring case.
	err = s.Tx(ctx, func(tx *Tx) error { _, err := tx.CreateUser(ctx, "ann@example.COM", "h", false); return err })
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate email = %v, want ErrConflict", err)
	}
	got, err := s.UserByEmail(ctx, "ANN@example.com")
	if err != nil || got.ID != first.ID || got.PasswordHash != "hash-1" {
		t.Fatalf("UserByEmail = %+v, %v", got, err)
	}
	if _, err := s.User(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("User(999) = %v", err)
	}
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.SetPasswordHash(ctx, first.ID, "hash-2") }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, first.ID); got.PasswordHash != "hash-2" {
		t.Fatalf("hash after SetPasswordHash = %q", got.PasswordHash)
	}
	seedUser(t, s, "bob@example.com", 0, "")
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 2 || list[0].Email != "Ann@Example.com" || list[1].Email != "bob@example.com" {
		t.Fatalf("ListUsers = %+v, %v", list, err)
	}
}
