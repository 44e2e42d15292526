package ui

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"lore/storage"
	"lore/ui/browsertest"
)

// TestBrowserMemberRoleChanged: in Chromium, the owner makes a member an
// admin on the members page; demoting the last owner is refused beside
// that owner's role, and a too short password beside the add form's field;
// the audit log then says who changed whose role.
func TestBrowserMemberRoleChanged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := browsertest.New(t, serveUI(t, f.app))
	members := membersPath(f.orgA.ID)
	signInAt(b, members, f.ownerA.Email)
	b.WaitText("h1", "Members of Org A")
	b.CheckPage()
	b.Shot("members")

	row := fmt.Sprintf("#member-%d", f.memberA.ID)
	b.Do("choose admin for "+f.memberA.Email, chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#role-%d", f.memberA.ID)), storage.RoleAdmin))
	b.Shot("member-made-admin-chosen")
	b.Click(row + " .role-form button")
	b.WaitText(".flash-ok", f.memberA.Email+" is now admin.")
	if p := b.Path(); p != members {
		t.Fatalf("after the change the browser is at %s", p)
	}
	if got := browsertest.Get(b, "role shown", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector("#role-%d").value`, f.memberA.ID))); got != storage.RoleAdmin {
		t.Fatalf("the page shows the role %q after the change", got)
	}
	if f.roleIn(t, f.orgA.ID, f.memberA.ID) != storage.RoleAdmin {
		t.Fatal("the role was not stored")
	}
	b.CheckPage()
	b.Shot("member-is-admin")

	b.Do("choose member for the last owner", chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#role-%d", f.ownerA.ID)), storage.RoleMember))
	b.Click(fmt.Sprintf("#member-%d .role-form button", f.ownerA.ID))
	b.WaitText(fmt.Sprintf("#role-%d-error", f.ownerA.ID), "the last owner")
	if f.roleIn(t, f.orgA.ID, f.ownerA.ID) != storage.RoleOwner {
		t.Fatal("the last owner was demoted")
	}
	b.CheckPage()
	b.Shot("last-owner-refused")

	b.Fill("add-email", "new@example.com")
	b.Fill("add-password", "short")
	b.Click(`form[action$="/members"] button[type=submit]`)
	b.WaitText("#add-password-error", "at least 8 characters")
	if v := browsertest.Get(b, "email kept", chromedp.Evaluate[string](`document.getElementById("add-email").value`)); v != "new@example.com" {
		t.Fatalf("the email typed is not kept: %q", v)
	}
	if v := browsertest.Get(b, "password not kept", chromedp.Evaluate[string](`document.getElementById("add-password").value`)); v != "" {
		t.Fatalf("the password typed is put back: %q", v)
	}
	b.CheckPage()
	b.Shot("add-refused-beside-password")

	b.Click(`nav a[href$="/audit"]`)
	b.WaitText("h1", "Audit log of Org A")
	b.WaitText(".audit-entry", f.ownerA.Email+" changed a member's role")
	b.WaitText(".audit-entry", "member: "+f.memberA.Email)
	b.CheckPage()
	b.Shot("audit-log")
}

// TestBrowserTokenCreatedAndRevoked: in Chromium, a member creates an API
// token on their account page, sees its secret once (it works with the
// API), no longer after a reload, and revokes it (the API refuses it);
// then a mistyped new password is told beside its field.
func TestBrowserTokenCreatedAndRevoked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := browsertest.New(t, serveUI(t, f.app))
	signInAt(b, "/account", f.memberA.Email)
	b.WaitText("h1", "Your account")
	b.CheckPage()
	b.Shot("account")

	b.Fill("token-name", "deploy bot")
	b.Click(`form[action="/account/tokens"] button[type=submit]`)
	b.WaitText(".flash-ok", "The token deploy bot is created.")
	secret := b.Text("#new-token-secret")
	if !strings.HasPrefix(secret, "lore_") {
		t.Fatalf("the secret shown is %q", secret)
	}
	if w := f.do(t, "GET", "/api/me", secret, ""); w.Code != http.StatusOK {
		t.Fatalf("the secret shown does not work: %d %s", w.Code, w.Body)
	}
	b.CheckPage()
	b.Shot("token-created-secret-shown-once")

	b.Open("/account")
	b.WaitText("#tokens", "deploy bot")
	if n := browsertest.Get(b, "secret after a reload", chromedp.Evaluate[int](`document.querySelectorAll("#new-token-secret").length`)); n != 0 ||
		strings.Contains(b.Text("body"), secret) {
		t.Fatal("the secret is shown again after a reload")
	}
	b.Shot("reloaded-no-secret")

	tokens, err := f.app.Accounts.ListTokens(t.Context(), f.memberA.ID)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, tk := range tokens {
		if tk.Name == "deploy bot" {
			id = tk.ID
		}
	}
	b.Click(fmt.Sprintf("#token-%d button", id))
	b.WaitText(".flash-ok", "The token deploy bot is revoked")
	if n := browsertest.Get(b, "revoked row", chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll("#token-%d").length`, id))); n != 0 {
		t.Fatal("the revoked token is still listed")
	}
	wantError(t, f.do(t, "GET", "/api/me", secret, ""), http.StatusUnauthorized, "unauthenticated")
	b.CheckPage()
	b.Shot("token-revoked")

	// The password form on the same page: a mismatch is told beside its
	// field, and nothing typed comes back.
	b.Fill("password-current", testPassword)
	b.Fill("password-new", "next-password-7")
	b.Fill("password-confirm", "next-pasword-7")
	b.Click(`form[action="/account/password"] button[type=submit]`)
	b.WaitText("#password-confirm-error", "does not match the new password")
	if v := browsertest.Get(b, "password fields", chromedp.Evaluate[string](`[...document.querySelectorAll("input[type=password]")].map(e => e.value).join("")`)); v != "" {
		t.Fatalf("typed passwords are put back: %q", v)
	}
	b.CheckPage()
	b.Shot("password-refused-beside-field")
}
