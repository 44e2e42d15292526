package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"lore/app/accounts"
	"lore/app/apptest"
	"lore/storage"
)

// fastHash keeps tests quick; DefaultHashParams is tested in password_test.go.
var fastHash = accounts.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newService(t *testing.T) (*accounts.Service, *storage.Store, *clock) {
	t.Helper()
	a := apptest.Open(t)
	c := &clock{now: time.Now()}
	return accounts.New(a.Store, a.Logger, accounts.WithClock(c.Now), accounts.WithHashParams(fastHash)), a.Store, c
}

func signup(t *testing.T, s *accounts.Service) (accounts.SignedIn, storage.Organization) {
	t.Helper()
	in, org, err := s.Signup(context.Background(), accounts.SignupInput{
		Email: "owner@example.com", Password: "owner-password", OrganizationName: "Acme", FromLoopback: true})
	if err != nil {
		t.Fatalf("Signup: %v", err)
	}
	return in, org
}

func TestSignupOnlyOnce(t *testing.T) {
	t.Parallel()
	s, store, _ := newService(t)
	ctx := context.Background()
	in, org := signup(t, s)
	if !in.User.InstanceOwner || in.User.Email != "owner@example.com" || org.Name != "Acme" {
		t.Fatalf("Signup = %+v, %+v", in.User, org)
	}
	m, err := store.Membership(ctx, org.ID, in.User.ID)
	if err != nil || m.Role != storage.RoleOwner {
		t.Fatalf("membership = %+v, %v; want owner", m, err)
	}
	if _, u, err := s.SessionUser(ctx, in.Token); err != nil || u.ID != in.User.ID {
		t.Fatalf("SessionUser(signup token) = %+v, %v", u, err)
	}
	_, _, err = s.Signup(ctx, accounts.SignupInput{Email: "second@example.com", Password: "second-password", OrganizationName: "Other", FromLoopback: true})
	if !errors.Is(err, accounts.ErrSignupClosed) {
		t.Fatalf("second Signup: %v, want ErrSignupClosed", err)
	}
}

// TestSignupSetupToken: from this machine signup needs nothing more; from
// elsewhere it needs the setup token lore serve prints, which is useless
// once a user exists.
func TestSignupSetupToken(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	ctx := context.Background()
	token, err := s.SetupToken(ctx)
	if err != nil || len(token) < 20 {
		t.Fatalf("SetupToken = %q, %v; want a random token", token, err)
	}
	other, _, _ := newService(t)
	if otherToken, _ := other.SetupToken(ctx); otherToken == token {
		t.Fatal("two services made the same setup token")
	}
	in := accounts.SignupInput{Email: "owner@example.com", Password: "owner-password", OrganizationName: "Acme"}
	if _, _, err := s.Signup(ctx, in); !errors.Is(err, accounts.ErrSetupTokenRequired) {
		t.Fatalf("remote signup without a token = %v, want ErrSetupTokenRequired", err)
	}
	for _, wrong := range []string{token[:len(token)-1], token + "x", strings.ToLower(token), " " + token} {
		in.SetupToken = wrong
		if _, _, err := s.Signup(ctx, in); !errors.Is(err, accounts.ErrSetupTokenWrong) {
			t.Fatalf("remote signup with token %q = %v, want ErrSetupTokenWrong", wrong, err)
		}
	}
	in.SetupToken = token
	if _, _, err := s.Signup(ctx, in); err != nil {
		t.Fatalf("remote signup with the token: %v", err)
	}
	if now, err := s.SetupToken(ctx); err != nil || now != "" {
		t.Fatalf("SetupToken once a user exists = %q, %v; want none", now, err)
	}
	in.Email = "second@example.com"
	if _, _, err := s.Signup(ctx, in); !errors.Is(err, accounts.ErrSignupClosed) {
		t.Fatalf("signup again with the token = %v, want ErrSignupClosed", err)
	}
}

func TestSignupValidation(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	_, _, err := s.Signup(context.Background(), accounts.SignupInput{Email: "not an email", Password: "short", OrganizationName: " "})
	var ve *accounts.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Signup(bad) = %v, want a ValidationError", err)
	}
	for _, f := range []string{"email", "password", "organization_name"} {
		if ve.Fields[f] == "" {
			t.Errorf("field %s not named: %v", f, ve.Fields)
		}
	}
}

func TestLoginAndRateLimits(t *testing.T) {
	t.Parallel()
	s, _, clk := newService(t)
	ctx := context.Background()
	in, _ := signup(t, s)

	got, err := s.Login(ctx, "OWNER@example.com", "owner-password", "10.0.0.1")
	if err != nil || got.User.ID != in.User.ID || got.Token == "" || got.Token == in.Token {
		t.Fatalf("Login = %+v, %v", got, err)
	}
	if _, err := s.Login(ctx, "nobody@example.com", "owner-password", "10.0.0.1"); !errors.Is(err, accounts.ErrInvalidCredentials) {
		t.Fatalf("Login(unknown email) = %v", err)
	}
	for i := range 5 {
		if _, err := s.Login(ctx, "owner@example.com", "wrong", "10.0.0.2"); !errors.Is(err, accounts.ErrInvalidCredentials) {
			t.Fatalf("failed login %d = %v", i+1, err)
		}
	}
	// Past five failures, this account from this address waits, longer after
	// every further failure; even the right password must wait its turn.
	var rl *accounts.RateLimitError
	_, err = s.Login(ctx, "owner@example.com", "owner-password", "10.0.0.2")
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("6th login = %v, want a RateLimitError of 1 s", err)
	}
	if !strings.Contains(rl.Error(), "try again in") {
		t.Fatalf("message %q does not say when to try again", rl.Error())
	}
	for _, want := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second} {
		clk.Advance(rl.RetryAfter)
		if _, err := s.Login(ctx, "owner@example.com", "wrong", "10.0.0.2"); !errors.Is(err, accounts.ErrInvalidCredentials) {
			t.Fatalf("failure after waiting = %v", err)
		}
		if _, err = s.Login(ctx, "owner@example.com", "wrong", "10.0.0.2"); !errors.As(err, &rl) || rl.RetryAfter != want {
			t.Fatalf("next login = %v, want a RateLimitError of %v", err, want)
		}
	}
	// The owner, from another address, is not kept out.
	if _, err := s.Login(ctx, "owner@example.com", "owner-password", "10.0.0.3"); err != nil {
		t.Fatalf("the owner from another address: %v", err)
	}
	// After waiting, the right password works and forgives the failures.
	clk.Advance(rl.RetryAfter)
	if _, err := s.Login(ctx, "owner@example.com", "owner-password", "10.0.0.2"); err != nil {
		t.Fatalf("login after the wait: %v", err)
	}
	if _, err := s.Login(ctx, "owner@example.com", "wrong", "10.0.0.2"); !errors.Is(err, accounts.ErrInvalidCredentials) {
		t.Fatalf("a failure after a success = %v, want no wait", err)
	}

	// Per address: 20 failures over many accounts lock the address out.
	for i := range 20 {
		s.Login(ctx, "user"+string(rune('a'+i))+"@example.com", "wrong", "10.9.9.9")
	}
	if _, err := s.Login(ctx, "owner@example.com", "owner-password", "10.9.9.9"); !errors.As(err, &rl) {
		t.Fatalf("login from a flooding address = %v, want a RateLimitError", err)
	}
	if _, err := s.Login(ctx, "owner@example.com", "owner-password", "10.0.0.4"); err != nil {
		t.Fatalf("login from another address: %v", err)
	}
}

// TestGuessingAnAdminsPasswordDoesNotLockThemOut: someone who knows an
// admin's email and guesses from one address for an hour is slowed to a
// few guesses, and the admin, from their own address, signs in throughout.
func TestGuessingAnAdminsPasswordDoesNotLockThemOut(t *testing.T) {
	t.Parallel()
	s, _, clk := newService(t)
	ctx := context.Background()
	signup(t, s)
	guesses := 0
	for i := range 3600 {
		_, err := s.Login(ctx, "owner@example.com", "guess", "203.0.113.66")
		var rl *accounts.RateLimitError
		switch {
		case errors.Is(err, accounts.ErrInvalidCredentials):
			guesses++
		case !errors.As(err, &rl):
			t.Fatalf("guess = %v", err)
		}
		if i%600 == 300 {
			if _, err := s.Login(ctx, "owner@example.com", "owner-password", "198.51.100.7"); err != nil {
				t.Fatalf("the owner, %d s into the guessing: %v", i, err)
			}
		}
		clk.Advance(time.Second)
	}
	t.Logf("%d guesses in the first hour from one address", guesses)
	if guesses > 25 {
		t.Fatalf("%d guesses in an hour from one address; want a handful", guesses)
	}
}

func TestSessionsLogoutExpiryAndPasswordChange(t *testing.T) {
	t.Parallel()
	s, _, clk := newService(t)
	ctx := context.Background()
	in, _ := signup(t, s)
	other, err := s.Login(ctx, "owner@example.com", "owner-password", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}

	if err := s.Logout(ctx, in.User.ID, in.Session.ID); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, _, err := s.SessionUser(ctx, in.Token); !errors.Is(err, accounts.ErrUnauthenticated) {
		t.Fatalf("SessionUser after logout = %v", err)
	}
	if _, _, err := s.SessionUser(ctx, other.Token); err != nil {
		t.Fatalf("the other session was revoked too: %v", err)
	}

	changed, err := s.ChangePassword(ctx, in.User.ID, "owner-password", "a-new-password", true)
	if err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	if _, _, err := s.SessionUser(ctx, other.Token); !errors.Is(err, accounts.ErrUnauthenticated) {
		t.Fatalf("old session after password change = %v, want revoked", err)
	}
	if _, _, err := s.SessionUser(ctx, changed.Token); err != nil {
		t.Fatalf("new session after password change: %v", err)
	}
	if _, err := s.Login(ctx, "owner@example.com", "owner-password", "10.0.0.1"); !errors.Is(err, accounts.ErrInvalidCredentials) {
		t.Fatalf("old password still works: %v", err)
	}
	var ve *accounts.ValidationError
	if _, err := s.ChangePassword(ctx, in.User.ID, "wrong", "x", true); !errors.As(err, &ve) ||
		ve.Fields["current_password"] == "" || ve.Fields["new_password"] == "" {
		t.Fatalf("ChangePassword(wrong, short) = %v", err)
	}

	clk.Advance(accounts.DefaultSessionTTL + time.Second)
	if _, _, err := s.SessionUser(ctx, changed.Token); !errors.Is(err, accounts.ErrUnauthenticated) {
		t.Fatalf("expired session = %v", err)
	}
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	s, store, _ := newService(t)
	ctx := context.Background()
	in, org := signup(t, s)
	tok, secret, err := s.CreateToken(ctx, in.User.ID, "ci script")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, accounts.APITokenPrefix) || len(secret) < 40 || !strings.HasPrefix(secret, tok.Prefix) {
		t.Fatalf("token %q prefix %q", secret, tok.Prefix)
	}
	got, u, err := s.TokenUser(ctx, secret)
	if err != nil || u.ID != in.User.ID || got.ID != tok.ID {
		t.Fatalf("TokenUser = %+v, %+v, %v", got, u, err)
	}
	list, _ := s.ListTokens(ctx, in.User.ID)
	if len(list) != 1 || list[0].LastUsedAt.IsZero() {
		t.Fatalf("ListTokens = %+v; want one, marked used", list)
	}
	if _, _, err := s.TokenUser(ctx, secret+"x"); !errors.Is(err, accounts.ErrUnauthenticated) {
		t.Fatalf("TokenUser(wrong) = %v", err)
	}

	m, err := s.AddMember(ctx, org.ID, in.User.ID, storage.RoleOwner, accounts.MemberInput{Email: "b@example.com", Role: "member", Password: "b-password"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, m.UserID, tok.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another user revoking = %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx, in.User.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.TokenUser(ctx, secret); !errors.Is(err, accounts.ErrUnauthenticated) {
		t.Fatalf("revoked token = %v", err)
	}
	audit, _ := store.ListAudit(ctx, storage.AuditFilter{Action: "token.create"})
	if len(audit) != 1 || strings.Contains(audit[0].Detail["name"].(string), secret) {
		t.Fatalf("audit = %+v", audit)
	}
}

func TestMembers(t *testing.T) {
	t.Parallel()
	s, store, _ := newService(t)
	ctx := context.Background()
	in, org := signup(t, s)
	owner := in.User.ID

	admin, err := s.AddMember(ctx, org.ID, owner, storage.RoleOwner, accounts.MemberInput{Email: "admin@example.com", Role: "admin", Password: "admin-password"})
	if err != nil {
		t.Fatal(err)
	}
	var ve *accounts.ValidationError
	_, err = s.AddMember(ctx, org.ID, owner, storage.RoleOwner, accounts.MemberInput{Email: "new@example.com", Role: "boss"})
	if !errors.As(err, &ve) || ve.Fields["role"] == "" {
		t.Fatalf("AddMember(bad role) = %v", err)
	}
	_, err = s.AddMember(ctx, org.ID, owner, storage.RoleOwner, accounts.MemberInput{Email: "new@example.com", Role: "member"})
	if !errors.As(err, &ve) || ve.Fields["password"] == "" {
		t.Fatalf("AddMember(new user, no password) = %v", err)
	}
	if _, err := s.AddMember(ctx, org.ID, admin.UserID, storage.RoleAdmin, accounts.MemberInput{Email: "x@example.com", Role: "owner", Password: "x-password"}); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("admin making an owner = %v", err)
	}
	if _, err := s.AddMember(ctx, org.ID, owner, storage.RoleOwner, accounts.MemberInput{Email: "ADMIN@example.com", Role: "member"}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("adding a member twice = %v", err)
	}
	if err := s.RemoveMember(ctx, org.ID, admin.UserID, storage.RoleAdmin, owner); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("admin removing the owner = %v", err)
	}
	if err := s.RemoveMember(ctx, org.ID, owner, storage.RoleOwner, owner); !errors.Is(err, accounts.ErrLastOwner) {
		t.Fatalf("removing the last owner = %v", err)
	}
	if err := s.RemoveMember(ctx, org.ID, owner, storage.RoleOwner, admin.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Membership(ctx, org.ID, admin.UserID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("membership after removal = %v", err)
	}
	if err := s.RemoveMember(ctx, org.ID, owner, storage.RoleOwner, admin.UserID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("removing twice = %v", err)
	}
}

func TestAddUserFromCLI(t *testing.T) {
	t.Parallel()
	s, store, _ := newService(t)
	ctx := context.Background()
	u1, o1, err := s.AddUser(ctx, accounts.NewUser{Email: "a@example.com", Password: "a-password", OrgName: "Acme", Role: "owner"}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	u2, o2, err := s.AddUser(ctx, accounts.NewUser{Email: "b@example.com", Password: "b-password", OrgName: "Acme", Role: "member"}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	_, o3, err := s.AddUser(ctx, accounts.NewUser{Email: "c@example.com", Password: "c-password", OrgName: "Beta", Role: "admin"}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if !u1.InstanceOwner || u2.InstanceOwner || o1.ID != o2.ID || o3.ID == o1.ID {
		t.Fatalf("users %+v %+v, orgs %d %d %d", u1, u2, o1.ID, o2.ID, o3.ID)
	}
	members, _ := store.ListMembers(ctx, o1.ID)
	if len(members) != 2 || members[0].Role != "owner" || members[1].Role != "member" {
		t.Fatalf("members of Acme = %+v", members)
	}
	if _, _, err := s.AddUser(ctx, accounts.NewUser{Email: "A@example.com", Password: "a-password", OrgName: "Acme", Role: "owner"}, "cli"); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("same email again = %v", err)
	}
}

func TestWorkspaces(t *testing.T) {
	t.Parallel()
	s, store, _ := newService(t)
	ctx := context.Background()
	_, org := signup(t, s)
	other, err := store.CreateOrganization(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateWorkspace(ctx, org.ID, "user:1", "T0123ABCD", "Acme Slack"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateWorkspace(ctx, other.ID, "user:1", "T0123ABCD", "dup"); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("same team id in another org = %v", err)
	}
	var ve *accounts.ValidationError
	if _, err := s.CreateWorkspace(ctx, org.ID, "user:1", "not-a-team", ""); !errors.As(err, &ve) || ve.Fields["workspace_id"] == "" {
		t.Fatalf("bad team id = %v", err)
	}
	if err := s.DeleteWorkspace(ctx, other.ID, "user:1", "T0123ABCD"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleting from another org = %v", err)
	}
	if err := s.DeleteWorkspace(ctx, org.ID, "user:1", "T0123ABCD"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.WorkspaceOrg(ctx, "T0123ABCD"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("after delete = %v", err)
	}
}

// TestAddUserRefusesControlCharacters: the command line's path checks names
// with the same rule as the API's.
func TestAddUserRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	s, store, _ := newService(t)
	ctx := context.Background()
	_, _, err := s.AddUser(ctx, accounts.NewUser{Email: "a\x00b@example.com", Password: "a-password", OrgName: "\x00Acme", Role: "owner"}, "cli")
	var ve *accounts.ValidationError
	if !errors.As(err, &ve) || ve.Fields["org"] == "" || ve.Fields["email"] == "" {
		t.Fatalf("AddUser(NUL in email and org) = %v, want a ValidationError naming email and org", err)
	}
	if users, _ := store.ListUsers(ctx); len(users) != 0 {
		t.Fatalf("users stored: %+v", users)
	}
}

// TestAddMemberRaceWithNewAccount: an account created by someone else
// between AddMember's first look (no such email) and its transaction is an
// existing account, which only the instance owner may add: an organization
// admin gets ErrExistingAccount, not a member whose password another chose.
func TestAddMemberRaceWithNewAccount(t *testing.T) {
	t.Parallel()
	s, store, _ := newService(t)
	ctx := context.Background()
	in, org := signup(t, s)
	admin, err := s.AddMember(ctx, org.ID, in.User.ID, storage.RoleOwner, accounts.MemberInput{Email: "admin@example.com", Role: "admin", Password: "admin-password"})
	if err != nil {
		t.Fatal(err)
	}
	var late storage.User
	accounts.SetBeforeMemberTx(s, func() {
		err := store.Tx(ctx, func(tx *storage.Tx) (err error) {
			late, err = tx.CreateUser(ctx, "late@example.com", "elsewhere-chosen-hash", false)
			return err
		})
		if err != nil {
			t.Errorf("create the racing account: %v", err)
		}
	})
	_, err = s.AddMember(ctx, org.ID, admin.UserID, storage.RoleAdmin, accounts.MemberInput{Email: "late@example.com", Role: "member", Password: "admin-chosen"})
	if !errors.Is(err, accounts.ErrExistingAccount) {
		t.Fatalf("AddMember racing an account's creation = %v, want ErrExistingAccount", err)
	}
	if _, err := store.Membership(ctx, org.ID, late.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the racing account was added: %v", err)
	}
	// The instance owner may still add it, and then its password stays its own.
	accounts.SetBeforeMemberTx(s, nil)
	if _, err := s.AddMember(ctx, org.ID, in.User.ID, storage.RoleOwner, accounts.MemberInput{Email: "late@example.com", Role: "member"}); err != nil {
		t.Fatalf("instance owner adding the account: %v", err)
	}
}

// TestSetMemberRole: a role changes with the rules of adding and removing
// (an admin neither makes an owner nor changes one, the last owner stays),
// each change is audited with the old and new roles, and a refused one
// changes nothing.
func TestSetMemberRole(t *testing.T) {
	t.Parallel()
	s, store, _ := newService(t)
	ctx := context.Background()
	in, org := signup(t, s)
	owner := in.User.ID
	admin, err := s.AddMember(ctx, org.ID, owner, storage.RoleOwner, accounts.MemberInput{Email: "admin@example.com", Role: "admin", Password: "admin-password"})
	if err != nil {
		t.Fatal(err)
	}
	member, err := s.AddMember(ctx, org.ID, owner, storage.RoleOwner, accounts.MemberInput{Email: "member@example.com", Role: "member", Password: "member-password"})
	if err != nil {
		t.Fatal(err)
	}
	role := func(userID int64) string {
		t.Helper()
		m, err := store.Membership(ctx, org.ID, userID)
		if err != nil {
			t.Fatal(err)
		}
		return m.Role
	}

	var ve *accounts.ValidationError
	if _, err := s.SetMemberRole(ctx, org.ID, owner, storage.RoleOwner, member.UserID, "boss"); !errors.As(err, &ve) || ve.Fields["role"] == "" {
		t.Fatalf("SetMemberRole(bad role) = %v", err)
	}
	if _, err := s.SetMemberRole(ctx, org.ID, owner, storage.RoleOwner, member.UserID, ""); !errors.As(err, &ve) || ve.Fields["role"] != "is required" {
		t.Fatalf("SetMemberRole(no role) = %v", err)
	}
	if _, err := s.SetMemberRole(ctx, org.ID, admin.UserID, storage.RoleAdmin, member.UserID, storage.RoleOwner); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("admin making an owner = %v", err)
	}
	if _, err := s.SetMemberRole(ctx, org.ID, admin.UserID, storage.RoleAdmin, owner, storage.RoleMember); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("admin demoting the owner = %v", err)
	}
	if _, err := s.SetMemberRole(ctx, org.ID, owner, storage.RoleOwner, owner, storage.RoleAdmin); !errors.Is(err, accounts.ErrLastOwner) {
		t.Fatalf("demoting the last owner = %v", err)
	}
	if _, err := s.SetMemberRole(ctx, org.ID, owner, storage.RoleOwner, 9999, storage.RoleAdmin); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a user who is no member = %v", err)
	}
	if role(member.UserID) != storage.RoleMember || role(owner) != storage.RoleOwner {
		t.Fatalf("refused changes changed roles: member %s, owner %s", role(member.UserID), role(owner))
	}

	// An admin may make a member an admin; an owner may make an owner, and
	// with two owners one may step down.
	got, err := s.SetMemberRole(ctx, org.ID, admin.UserID, storage.RoleAdmin, member.UserID, storage.RoleAdmin)
	if err != nil || got.Role != storage.RoleAdmin || got.Email != "member@example.com" || role(member.UserID) != storage.RoleAdmin {
		t.Fatalf("admin making an admin = %+v, %v", got, err)
	}
	if _, err := s.SetMemberRole(ctx, org.ID, owner, storage.RoleOwner, admin.UserID, storage.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMemberRole(ctx, org.ID, owner, storage.RoleOwner, owner, storage.RoleMember); err != nil || role(owner) != storage.RoleMember {
		t.Fatalf("an owner stepping down beside another: %v (role %s)", err, role(owner))
	}
	// The same role again is no change, and is not audited.
	if _, err := s.SetMemberRole(ctx, org.ID, admin.UserID, storage.RoleOwner, admin.UserID, storage.RoleOwner); err != nil {
		t.Fatal(err)
	}

	entries, err := store.ListAudit(ctx, storage.AuditFilter{OrgID: org.ID, Action: "member.update"})
	if err != nil {
		t.Fatal(err)
	}
	var got3 []string
	for _, e := range entries {
		r := e.Detail["role"].(map[string]any)
		got3 = append(got3, fmt.Sprintf("%s %v %v→%v", e.Actor, e.Detail["user_id"], r["old"], r["new"]))
	}
	want := []string{
		fmt.Sprintf("%s %d owner→member", accounts.Actor(owner), owner),
		fmt.Sprintf("%s %d admin→owner", accounts.Actor(owner), admin.UserID),
		fmt.Sprintf("%s %d member→admin", accounts.Actor(admin.UserID), member.UserID),
	}
	if strings.Join(got3, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit rows:\n%s\nwant\n%s", strings.Join(got3, "\n"), strings.Join(want, "\n"))
	}
}
