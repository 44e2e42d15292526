package storage

import (
	"context"
	"errors"
	"testing"
)

func TestMemberships(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	a, _ := s.CreateOrganization(ctx, "Zeta")
	b, _ := s.CreateOrganization(ctx, "Alpha")
	owner := seedUser(t, s, "owner@example.com", a.ID, RoleOwner)
	member := seedUser(t, s, "member@example.com", a.ID, RoleMember)
	seedUser(t, s, "b@example.com", b.ID, RoleOwner)

	m, err := s.Membership(ctx, a.ID, member.ID)
	if err != nil || m.Role != RoleMember || m.Email != "member@example.com" {
		t.Fatalf("Membership = %+v, %v", m, err)
	}
	// Not a member of B: not found, like a missing organization.
	if _, err := s.Membership(ctx, b.ID, member.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Membership in B = %v", err)
	}
	if _, err := s.Membership(ctx, 999, member.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Membership in a missing org = %v", err)
	}
	err = s.Tx(ctx, func(tx *Tx) error { _, err := tx.AddMembership(ctx, a.ID, member.ID, RoleAdmin); return err })
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("second membership = %v", err)
	}
	err = s.Tx(ctx, func(tx *Tx) error { _, err := tx.AddMembership(ctx, 999, member.ID, RoleAdmin); return err })
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("membership of a missing org = %v", err)
	}
	err = s.Tx(ctx, func(tx *Tx) error { _, err := tx.AddMembership(ctx, b.ID, member.ID, "boss"); return err })
	if !IsConstraintViolation(err) {
		t.Fatalf("bad role = %v, want a CHECK failure", err)
	}
	if err := s.Tx(ctx, func(tx *Tx) error { _, err := tx.AddMembership(ctx, b.ID, owner.ID, RoleMember); return err }); err != nil {
		t.Fatal(err)
	}

	list, err := s.ListMembers(ctx, a.ID)
	if err != nil || len(list) != 2 || list[0].Email != "member@example.com" || list[1].Role != RoleOwner {
		t.Fatalf("ListMembers(A) = %+v, %v", list, err)
	}
	orgs, err := s.ListUserOrganizations(ctx, owner.ID)
	if err != nil || len(orgs) != 2 || orgs[0].Name != "Alpha" || orgs[0].Role != RoleMember || orgs[1].Name != "Zeta" || orgs[1].Role != RoleOwner {
		t.Fatalf("ListUserOrganizations = %+v, %v", orgs, err)
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		n, err := tx.CountOwners(ctx, a.ID)
		if err != nil || n != 1 {
			t.Errorf("CountOwners = %d, %v", n, err)
		}
		if err := tx.RemoveMembership(ctx, a.ID, member.ID); err != nil {
			return err
		}
		if err := tx.RemoveMembership(ctx, a.ID, member.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("second RemoveMembership = %v", err)
		}
		byName, err := tx.OrganizationsByName(ctx, "Alpha")
		if err != nil || len(byName) != 1 || byName[0].ID != b.ID {
			t.Errorf("OrganizationsByName = %+v, %v", byName, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
