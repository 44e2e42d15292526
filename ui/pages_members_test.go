package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"lore/storage"
)

// roleIn is a user's stored role in an organization, or "" for none.
func (f *fixture) roleIn(t *testing.T, orgID, userID int64) string {
	t.Helper()
	m, err := f.app.Accounts.Membership(context.Background(), orgID, userID)
	if err != nil {
		return ""
	}
	return m.Role
}

// TestMembersPageForEachRole: admins and owners see the list and its forms
// (an admin is offered no owner role and no form on an owner's row); a
// member gets the 403 page for the page and each of its forms, another
// organization's owner the 404 page, and nothing changes.
func TestMembersPageForEachRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	members := membersPath(f.orgA.ID)
	role := fmt.Sprintf("%s/%d/role", members, f.memberA.ID)
	remove := fmt.Sprintf("%s/%d/remove", members, f.memberA.ID)

	owner := newBrowser(t, f.h)
	owner.signIn(f.ownerA.Email)
	page := wantPage(t, owner.get(members), http.StatusOK)
	wantLabels(t, page)
	for _, want := range []string{f.ownerA.Email, f.adminA.Email, f.memberA.Email, `<option value="owner"`,
		fmt.Sprintf(`id="role-%d"`, f.ownerA.ID), `action="` + role + `"`, `href="` + remove + `"`, "Lore sends no invitation"} {
		if !strings.Contains(page, want) {
			t.Errorf("owner's members page lacks %q", want)
		}
	}
	if strings.Contains(page, f.ownerB.Email) {
		t.Fatalf("another organization's member listed: %s", page)
	}

	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	page = wantPage(t, admin.get(members), http.StatusOK)
	if strings.Contains(page, `<option value="owner"`) || strings.Contains(page, fmt.Sprintf(`id="role-%d"`, f.ownerA.ID)) ||
		strings.Contains(page, fmt.Sprintf(`%s/%d/remove`, members, f.ownerA.ID)) || !strings.Contains(page, fmt.Sprintf(`id="role-%d"`, f.memberA.ID)) {
		t.Fatalf("an admin is offered what only an owner may do: %s", page)
	}
	if !strings.Contains(page, fmt.Sprintf(`href="%s"`, members)) {
		t.Fatalf("no Members link in the nav of an admin")
	}

	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	if page := wantPage(t, member.get(fmt.Sprintf("/organizations/%d/workspaces", f.orgA.ID)), http.StatusOK); strings.Contains(page, `href="`+members+`"`) {
		t.Fatal("a member is shown the Members link")
	}
	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	add := url.Values{"email": {"new@example.com"}, "role": {"member"}, "password": {"new-password-1"}}
	for _, c := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", members, nil}, {"POST", members, add}, {"POST", role, url.Values{"role": {"admin"}}},
		{"GET", remove, nil}, {"POST", remove, url.Values{}},
	} {
		for _, who := range []struct {
			b      *browser
			status int
		}{{member, http.StatusForbidden}, {other, http.StatusNotFound}} {
			var w *httptest.ResponseRecorder
			if c.method == "POST" {
				w = who.b.post(c.path, c.form)
			} else {
				w = who.b.get(c.path)
			}
			wantPage(t, w, who.status)
		}
	}
	if f.roleIn(t, f.orgA.ID, f.memberA.ID) != storage.RoleMember {
		t.Fatal("a refused request changed the member's role")
	}
	list, _ := f.app.Accounts.ListMembers(context.Background(), f.orgA.ID)
	if len(list) != 3 {
		t.Fatalf("refused requests changed the members: %+v", list)
	}
	// Signed out: the login page.
	wantDenied(t, members, newBrowser(t, f.h).get(members), http.StatusUnauthorized, "")
}

// TestMembersPageAdd: a refused add gives the form again with the email and
// role kept, never the password, and the problem beside its field; a good
// one is post/redirect/get with a flash, and the new member signs in.
func TestMembersPageAdd(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	members := membersPath(f.orgA.ID)
	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)

	for _, c := range []struct {
		form   url.Values
		status int
		want   []string
	}{
		{url.Values{"email": {"not-an-email"}, "role": {"admin"}, "password": {"typed-secret-1"}}, http.StatusUnprocessableEntity,
			[]string{`value="not-an-email"`, `id="add-email-error"`, "must be an email address", `<option value="admin" selected>`}},
		{url.Values{"email": {"new@example.com"}, "role": {"member"}, "password": {"short"}}, http.StatusUnprocessableEntity,
			[]string{`value="new@example.com"`, `id="add-password-error"`, "at least 8 characters"}},
		{url.Values{"email": {"new@example.com"}, "role": {"member"}}, http.StatusUnprocessableEntity,
			[]string{`id="add-password-error"`, "is required to create a new user"}},
		{url.Values{"email": {"new@example.com"}, "role": {"owner"}, "password": {"typed-secret-1"}}, http.StatusForbidden,
			[]string{`id="add-role-error"`, "owner can be given by an owner only"}},
		{url.Values{"email": {f.ownerB.Email}, "role": {"member"}, "password": {"typed-secret-1"}}, http.StatusForbidden,
			[]string{`id="add-email-error"`, "only the instance owner can add it here"}},
		{url.Values{"email": {f.memberA.Email}, "role": {"member"}, "password": {"typed-secret-1"}}, http.StatusConflict,
			[]string{`id="add-email-error"`, "is a member already"}},
	} {
		page := wantPage(t, admin.post(members, c.form), c.status)
		for _, want := range c.want {
			if !strings.Contains(page, want) {
				t.Errorf("add %v: the page lacks %q", c.form, want)
			}
		}
		if strings.Contains(page, "typed-secret-1") || strings.Contains(page, `value="short"`) {
			t.Fatalf("add %v: the password is put back into the page", c.form)
		}
		wantLabels(t, page)
	}
	list, _ := f.app.Accounts.ListMembers(context.Background(), f.orgA.ID)
	if len(list) != 3 {
		t.Fatalf("refused adds added: %+v", list)
	}

	loc, w := admin.follow(admin.post(members, url.Values{"email": {" new@example.com "}, "role": {"admin"}, "password": {"new-password-1"}}))
	page := wantPage(t, w, http.StatusOK)
	if loc != members || !strings.Contains(page, "new@example.com is added as admin.") {
		t.Fatalf("after adding: %s %s", loc, page)
	}
	if strings.Contains(admin.get(members).Body.String(), "is added as") {
		t.Fatal("the flash is shown twice")
	}
	added := newBrowser(t, f.h)
	if w := added.post("/login", url.Values{"email": {"new@example.com"}, "password": {"new-password-1"}, "next": {members}}); w.Code != http.StatusSeeOther {
		t.Fatalf("the new member cannot sign in: %d", w.Code)
	}
	wantPage(t, added.get(members), http.StatusOK) // an admin
}

// TestMembersPageChangeRole: a role changes through the page's form with a
// flash; a refusal (the last owner, an unknown role) is the page again with
// the reason beside that member's role; a cross-site post changes nothing.
func TestMembersPageChangeRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	members := membersPath(f.orgA.ID)
	roleOf := func(u testUser) string { return fmt.Sprintf("%s/%d/role", members, u.ID) }
	owner := newBrowser(t, f.h)
	owner.signIn(f.ownerA.Email)

	w := owner.post(roleOf(f.memberA), url.Values{"role": {"admin"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	wantPage(t, w, http.StatusForbidden)
	if f.roleIn(t, f.orgA.ID, f.memberA.ID) != storage.RoleMember {
		t.Fatal("a cross-site post changed a role")
	}

	loc, w := owner.follow(owner.post(roleOf(f.memberA), url.Values{"role": {"admin"}}))
	if page := wantPage(t, w, http.StatusOK); loc != members || !strings.Contains(page, f.memberA.Email+" is now admin.") {
		t.Fatalf("after the change: %s %s", loc, page)
	}
	if f.roleIn(t, f.orgA.ID, f.memberA.ID) != storage.RoleAdmin {
		t.Fatal("the role was not stored")
	}

	page := wantPage(t, owner.post(roleOf(f.ownerA), url.Values{"role": {"member"}}), http.StatusConflict)
	if !strings.Contains(page, fmt.Sprintf(`id="role-%d-error"`, f.ownerA.ID)) || !strings.Contains(page, "the last owner") {
		t.Fatalf("demoting the last owner: %s", page)
	}
	page = wantPage(t, owner.post(roleOf(f.adminA), url.Values{"role": {"king"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(page, fmt.Sprintf(`id="role-%d-error"`, f.adminA.ID)) || !strings.Contains(page, "must be owner, admin or member") {
		t.Fatalf("an unknown role: %s", page)
	}
	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	if page := wantPage(t, admin.post(roleOf(f.ownerA), url.Values{"role": {"member"}}), http.StatusForbidden); !strings.Contains(page, "Only an owner") {
		t.Fatalf("an admin demoting the owner: %s", page)
	}
	wantPage(t, admin.post(fmt.Sprintf("%s/%d/role", members, f.ownerB.ID), url.Values{"role": {"member"}}), http.StatusNotFound)
	if f.roleIn(t, f.orgA.ID, f.ownerA.ID) != storage.RoleOwner || f.roleIn(t, f.orgA.ID, f.adminA.ID) != storage.RoleAdmin ||
		f.roleIn(t, f.orgB.ID, f.ownerB.ID) != storage.RoleOwner {
		t.Fatal("a refused change was stored")
	}
	// An admin who makes themselves a member leaves the admins' page.
	loc, _ = admin.follow(admin.post(roleOf(f.adminA), url.Values{"role": {"member"}}))
	if loc != "/" || f.roleIn(t, f.orgA.ID, f.adminA.ID) != storage.RoleMember {
		t.Fatalf("stepping down: to %s, role %s", loc, f.roleIn(t, f.orgA.ID, f.adminA.ID))
	}
}

// TestMembersPageRemove: removal asks to confirm on a page naming the
// member and what goes; an admin may not remove an owner; the last owner
// stays; a cross-site post removes or adds no one; then the member is gone
// and can no longer reach the organization.
func TestMembersPageRemove(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	members := membersPath(f.orgA.ID)
	removeOf := func(u testUser) string { return fmt.Sprintf("%s/%d/remove", members, u.ID) }
	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	wantPage(t, admin.get(removeOf(f.ownerA)), http.StatusForbidden)
	wantPage(t, admin.post(removeOf(f.ownerA), url.Values{}), http.StatusForbidden)
	wantPage(t, admin.get(removeOf(f.ownerB)), http.StatusNotFound)

	page := wantPage(t, admin.get(removeOf(f.memberA)), http.StatusOK)
	if !strings.Contains(page, "Remove "+f.memberA.Email+"?") || !strings.Contains(page, "their account stays") ||
		!strings.Contains(page, `action="`+removeOf(f.memberA)+`"`) {
		t.Fatalf("confirmation page: %s", page)
	}
	evil := []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}
	wantPage(t, admin.post(removeOf(f.memberA), url.Values{}, evil...), http.StatusForbidden)
	wantPage(t, admin.post(members, url.Values{"email": {"evil@example.com"}, "role": {"admin"}, "password": {"evil-password-1"}}, evil...), http.StatusForbidden)
	if list, _ := f.app.Accounts.ListMembers(context.Background(), f.orgA.ID); len(list) != 3 {
		t.Fatalf("cross-site posts changed the members: %+v", list)
	}
	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	workspaces := fmt.Sprintf("/organizations/%d/workspaces", f.orgA.ID)
	wantPage(t, member.get(workspaces), http.StatusOK)

	loc, w := admin.follow(admin.post(removeOf(f.memberA), url.Values{}))
	page = wantPage(t, w, http.StatusOK)
	if loc != members || !strings.Contains(page, f.memberA.Email+" is removed") || strings.Contains(page, fmt.Sprintf(`id="member-%d"`, f.memberA.ID)) {
		t.Fatalf("after the removal: %s %s", loc, page)
	}
	wantPage(t, member.get(workspaces), http.StatusNotFound)
	wantPage(t, admin.get(removeOf(f.memberA)), http.StatusNotFound)

	owner := newBrowser(t, f.h)
	owner.signIn(f.ownerA.Email)
	loc, w = owner.follow(owner.post(removeOf(f.ownerA), url.Values{}))
	if page := wantPage(t, w, http.StatusOK); loc != members || !strings.Contains(page, "is the last owner and stays") {
		t.Fatalf("removing the last owner: %s %s", loc, page)
	}
	if f.roleIn(t, f.orgA.ID, f.ownerA.ID) != storage.RoleOwner {
		t.Fatal("the last owner went")
	}
}
