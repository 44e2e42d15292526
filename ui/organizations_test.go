package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"lore/app/apptest"
	"lore/storage"
)

func TestOrganizationsAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	created := decodeBody[organizationJSON](t, f.do(t, "POST", "/api/organizations", f.ownerA.Token, `{"name":"  Org C "}`), http.StatusCreated)
	if created.Name != "Org C" || created.Role != "owner" {
		t.Fatalf("created %+v", created)
	}
	e := wantError(t, f.do(t, "POST", "/api/organizations", f.ownerA.Token, `{"name":""}`), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["name"] == "" {
		t.Fatalf("name not named: %+v", e)
	}
	list := decodeBody[struct{ Organizations []organizationJSON }](t, f.do(t, "GET", "/api/organizations", f.ownerA.Token, ""), http.StatusOK)
	if len(list.Organizations) != 2 {
		t.Fatalf("owner A's organizations %+v, want A and C", list.Organizations)
	}
	for _, o := range list.Organizations {
		if o.ID == f.orgB.ID {
			t.Fatalf("B listed for A's owner: %+v", list)
		}
	}
	one := decodeBody[organizationJSON](t, f.do(t, "GET", fmt.Sprintf("/api/organizations/%d", f.orgA.ID), f.memberA.Token, ""), http.StatusOK)
	if one.ID != f.orgA.ID || one.Name != "Org A" || one.Role != "member" {
		t.Fatalf("org A for its member: %+v", one)
	}
}

func TestMembersAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := fmt.Sprintf("/api/organizations/%d/members", f.orgA.ID)

	added := decodeBody[memberJSON](t, f.do(t, "POST", base, f.adminA.Token, `{"email":"new@example.com","role":"member","password":"new-password"}`), http.StatusCreated)
	if added.Email != "new@example.com" || added.Role != "member" {
		t.Fatalf("added %+v", added)
	}
	// An existing account of another organization: an organization admin
	// cannot add it (its creator chose its password), the instance owner can,
	// and the password given is ignored.
	wantError(t, f.do(t, "POST", base, f.adminA.Token, `{"email":"owner-b@example.com","role":"admin","password":"attacker-chosen"}`), http.StatusForbidden, "account_exists")
	decodeBody[memberJSON](t, f.do(t, "POST", base, f.ownerA.Token, `{"email":"owner-b@example.com","role":"admin","password":"attacker-chosen"}`), http.StatusCreated)
	wantError(t, f.do(t, "POST", "/api/auth/login", "", `{"email":"owner-b@example.com","password":"attacker-chosen"}`), http.StatusUnauthorized, "login_failed")
	wantError(t, f.do(t, "POST", base, f.adminA.Token, `{"email":"new@example.com","role":"member"}`), http.StatusConflict, "conflict")
	wantError(t, f.do(t, "POST", base, f.adminA.Token, `{"email":"x@example.com","role":"owner","password":"x-password"}`), http.StatusForbidden, "forbidden")
	e := wantError(t, f.do(t, "POST", base, f.adminA.Token, `{"email":"bad","role":"king"}`), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["email"] == "" || e.Error.Fields["role"] == "" {
		t.Fatalf("fields %+v", e.Error.Fields)
	}

	list := decodeBody[struct{ Members []memberJSON }](t, f.do(t, "GET", base, f.adminA.Token, ""), http.StatusOK)
	if len(list.Members) != 5 {
		t.Fatalf("members %+v", list.Members)
	}
	wantError(t, f.do(t, "DELETE", fmt.Sprintf("%s/%d", base, f.ownerA.ID), f.adminA.Token, ""), http.StatusForbidden, "forbidden")
	wantError(t, f.do(t, "DELETE", fmt.Sprintf("%s/%d", base, f.ownerA.ID), f.ownerA.Token, ""), http.StatusConflict, "last_owner")
	if w := f.do(t, "DELETE", fmt.Sprintf("%s/%d", base, added.UserID), f.adminA.Token, ""); w.Code != http.StatusNoContent {
		t.Fatalf("remove: %d %s", w.Code, w.Body)
	}
	// Removing someone who is no longer a member is a 404.
	wantError(t, f.do(t, "DELETE", fmt.Sprintf("%s/%d", base, added.UserID), f.adminA.Token, ""), http.StatusNotFound, "not_found")

	// One route removes a member: the path form. DELETE …/members is not one.
	w := f.do(t, "DELETE", base, f.adminA.Token, fmt.Sprintf(`{"user_id":%d}`, f.memberA.ID))
	wantError(t, w, http.StatusMethodNotAllowed, "method_not_allowed")
	if got := w.Header().Get("Allow"); got != "GET, POST" {
		t.Fatalf("Allow %q, want GET, POST", got)
	}
}

func TestWorkspacesAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := fmt.Sprintf("/api/organizations/%d/workspaces", f.orgA.ID)
	ws := decodeBody[workspaceJSON](t, f.do(t, "POST", base, f.adminA.Token, `{"workspace_id":"T0NEW1","name":"New"}`), http.StatusCreated)
	if ws.WorkspaceID != "T0NEW1" || ws.OrgID != f.orgA.ID || ws.Name != "New" {
		t.Fatalf("created %+v", ws)
	}
	// The team id is unique across the instance.
	wantError(t, f.do(t, "POST", fmt.Sprintf("/api/organizations/%d/workspaces", f.orgB.ID), f.ownerB.Token, `{"workspace_id":"T0NEW1","name":"B's"}`),
		http.StatusConflict, "conflict")
	e := wantError(t, f.do(t, "POST", base, f.adminA.Token, `{"workspace_id":"lower","name":"x"}`), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["workspace_id"] == "" {
		t.Fatalf("fields %+v", e.Error.Fields)
	}
	list := decodeBody[struct{ Workspaces []workspaceJSON }](t, f.do(t, "GET", base, f.memberA.Token, ""), http.StatusOK)
	if len(list.Workspaces) != 2 || list.Workspaces[0].WorkspaceID != "T0NEW1" || list.Workspaces[1].WorkspaceID != f.wsA {
		t.Fatalf("A's workspaces %+v", list.Workspaces)
	}
	got := decodeBody[workspaceJSON](t, f.do(t, "GET", "/api/workspaces/T0NEW1", f.memberA.Token, ""), http.StatusOK)
	if got.WorkspaceID != "T0NEW1" {
		t.Fatalf("got %+v", got)
	}
	wantError(t, f.do(t, "DELETE", "/api/workspaces/T0NEW1", f.ownerB.Token, ""), http.StatusNotFound, "not_found")
	if w := f.do(t, "DELETE", "/api/workspaces/T0NEW1", f.adminA.Token, ""); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	wantError(t, f.do(t, "GET", "/api/workspaces/T0NEW1", f.memberA.Token, ""), http.StatusNotFound, "not_found")
}

func TestAuditAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := fmt.Sprintf("/api/organizations/%d", f.orgA.ID)
	// Two audited changes in A, one in B.
	decodeBody[map[string]any](t, f.do(t, "PATCH", base+"/settings", f.adminA.Token, `{"confidence_threshold":55}`), http.StatusOK)
	decodeBody[memberJSON](t, f.do(t, "POST", base+"/members", f.adminA.Token, `{"email":"new@example.com","role":"member","password":"new-password"}`), http.StatusCreated)
	decodeBody[map[string]any](t, f.do(t, "PATCH", fmt.Sprintf("/api/organizations/%d/settings", f.orgB.ID), f.ownerB.Token, `{"ai_tone":"casual"}`), http.StatusOK)

	type page struct{ Entries []auditJSON }
	all := decodeBody[page](t, f.do(t, "GET", base+"/audit", f.adminA.Token, ""), http.StatusOK)
	if len(all.Entries) != 2 || all.Entries[0].Action != "member.add" || all.Entries[1].Action != "settings.update" {
		t.Fatalf("A's audit log: %+v", all.Entries)
	}
	if all.Entries[1].Actor != fmt.Sprint("user:", f.adminA.ID) || all.Entries[1].Outcome != "ok" {
		t.Fatalf("settings entry: %+v", all.Entries[1])
	}
	one := decodeBody[page](t, f.do(t, "GET", base+"/audit?action=settings.update&limit=1", f.adminA.Token, ""), http.StatusOK)
	if len(one.Entries) != 1 || one.Entries[0].Action != "settings.update" {
		t.Fatalf("filtered: %+v", one.Entries)
	}
	e := wantError(t, f.do(t, "GET", base+"/audit?limit=0", f.adminA.Token, ""), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["limit"] == "" {
		t.Fatalf("limit not named: %+v", e)
	}
}

// TestControlCharactersRefused: a name or email holding a control character
// (NUL first, NUL inside, a newline, a bell) is a 422 naming the field, on
// every route that takes one, and nothing is stored. A NUL used to reach
// SQLite, whose length() stops at it, and fail a CHECK as a 500.
func TestControlCharactersRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	org := fmt.Sprintf("/api/organizations/%d", f.orgA.ID)
	for _, bad := range []string{`\u0000Acme`, `a\u0000b`, `a\nb`, `a\u0007b`, `Acme\u0000`} {
		for _, tc := range []struct{ method, path, body, field string }{
			{"POST", "/api/tokens", `{"name":"` + bad + `"}`, "name"},
			{"POST", "/api/organizations", `{"name":"` + bad + `"}`, "name"},
			{"POST", org + "/workspaces", `{"workspace_id":"T0CTRL1","name":"` + bad + `"}`, "name"},
			{"POST", org + "/members", `{"email":"` + bad + `@example.com","role":"member","password":"new-password"}`, "email"},
		} {
			e := wantError(t, f.do(t, tc.method, tc.path, f.ownerA.Token, tc.body), http.StatusUnprocessableEntity, "invalid_request")
			if e.Error.Fields[tc.field] == "" {
				t.Errorf("%s %s: field %s not named: %+v", tc.path, tc.body, tc.field, e.Error)
			}
		}
	}
	me := decodeBody[meResponse](t, f.do(t, "GET", "/api/me", f.ownerA.Token, ""), http.StatusOK)
	tokens, _ := f.app.Accounts.ListTokens(context.Background(), f.ownerA.ID)
	if len(me.Organizations) != 1 || len(tokens) != 1 {
		t.Fatalf("stored from refused requests: organizations %+v, %d tokens", me.Organizations, len(tokens))
	}
	if w := f.do(t, "GET", "/api/workspaces/T0CTRL1", f.ownerA.Token, ""); w.Code != http.StatusNotFound {
		t.Fatalf("workspace stored from a refused request: %d %s", w.Code, w.Body)
	}
}

// TestSignupRefusesControlCharacters: the first organization's name too.
func TestSignupRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	h := New(apptest.Open(t), os.DirFS("static"), os.DirFS("templates"))
	for _, name := range []string{`\u0000Acme`, `a\u0000b`} {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8080/api/auth/signup",
			strings.NewReader(`{"email":"first@example.com","password":"first-password","organization_name":"`+name+`"}`))
		r.RemoteAddr = "127.0.0.1:40000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if e := wantError(t, w, http.StatusUnprocessableEntity, "invalid_request"); e.Error.Fields["organization_name"] == "" {
			t.Fatalf("organization_name not named: %+v", e.Error)
		}
	}
}

// TestConstraintViolationIsNot500: should a value the services let through
// still fail one of the schema's CHECKs, the answer is a 422, not a 500.
func TestConstraintViolationIsNot500(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.app.Store.CreateOrganization(context.Background(), "   ") // CHECK (length(trim(name)) BETWEEN 1 AND 200)
	if !storage.IsConstraintViolation(err) {
		t.Fatalf("CreateOrganization(blank) = %v, want a constraint violation", err)
	}
	h := &handler{app: f.app, logger: f.app.Logger}
	w := httptest.NewRecorder()
	h.fail(w, httptest.NewRequest("POST", "/api/organizations", nil), err)
	wantError(t, w, http.StatusUnprocessableEntity, "invalid_request")
}

// TestMemberRoleAPI: PATCH …/members/{user_id} {role} changes a role with
// the rules of adding (an admin cannot make an owner nor change one, the
// last owner stays), names a bad role, answers 404 for a user who is not
// a member and for another organization, and is audited.
func TestMemberRoleAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := fmt.Sprintf("/api/organizations/%d/members", f.orgA.ID)
	path := func(userID int64) string { return fmt.Sprintf("%s/%d", base, userID) }
	roleOf := func(userID int64) string {
		t.Helper()
		m, err := f.app.Accounts.Membership(context.Background(), f.orgA.ID, userID)
		if err != nil {
			t.Fatal(err)
		}
		return m.Role
	}

	got := decodeBody[memberJSON](t, f.do(t, "PATCH", path(f.memberA.ID), f.adminA.Token, `{"role":"admin"}`), http.StatusOK)
	if got.UserID != f.memberA.ID || got.Email != f.memberA.Email || got.Role != "admin" || roleOf(f.memberA.ID) != "admin" {
		t.Fatalf("member made admin: %+v (stored %s)", got, roleOf(f.memberA.ID))
	}
	wantError(t, f.do(t, "PATCH", path(f.memberA.ID), f.adminA.Token, `{"role":"owner"}`), http.StatusForbidden, "forbidden")
	wantError(t, f.do(t, "PATCH", path(f.ownerA.ID), f.adminA.Token, `{"role":"member"}`), http.StatusForbidden, "forbidden")
	wantError(t, f.do(t, "PATCH", path(f.ownerA.ID), f.ownerA.Token, `{"role":"admin"}`), http.StatusConflict, "last_owner")
	e := wantError(t, f.do(t, "PATCH", path(f.memberA.ID), f.adminA.Token, `{"role":"king"}`), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["role"] != "must be owner, admin or member" {
		t.Fatalf("bad role: %+v", e.Error)
	}
	e = wantError(t, f.do(t, "PATCH", path(f.memberA.ID), f.adminA.Token, `{"rank":"admin"}`), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["rank"] == "" {
		t.Fatalf("unknown field: %+v", e.Error)
	}
	// Owner B is no member of A: 404, as for a user who does not exist, and
	// B's owner cannot reach A's members at all.
	wantError(t, f.do(t, "PATCH", path(f.ownerB.ID), f.ownerA.Token, `{"role":"member"}`), http.StatusNotFound, "not_found")
	wantError(t, f.do(t, "PATCH", path(999999), f.ownerA.Token, `{"role":"member"}`), http.StatusNotFound, "not_found")
	wantError(t, f.do(t, "PATCH", base+"/abc", f.ownerA.Token, `{"role":"member"}`), http.StatusNotFound, "not_found")
	wantError(t, f.do(t, "PATCH", path(f.memberA.ID), f.ownerB.Token, `{"role":"member"}`), http.StatusNotFound, "not_found")
	if roleOf(f.ownerA.ID) != "owner" || roleOf(f.memberA.ID) != "admin" {
		t.Fatalf("refused requests changed roles: owner %s, member %s", roleOf(f.ownerA.ID), roleOf(f.memberA.ID))
	}

	// The owner makes a second owner, then may step down.
	decodeBody[memberJSON](t, f.do(t, "PATCH", path(f.adminA.ID), f.ownerA.Token, `{"role":"owner"}`), http.StatusOK)
	decodeBody[memberJSON](t, f.do(t, "PATCH", path(f.ownerA.ID), f.ownerA.Token, `{"role":"admin"}`), http.StatusOK)
	if roleOf(f.ownerA.ID) != "admin" || roleOf(f.adminA.ID) != "owner" {
		t.Fatalf("roles after the handover: %s, %s", roleOf(f.ownerA.ID), roleOf(f.adminA.ID))
	}

	type page struct{ Entries []auditJSON }
	log := decodeBody[page](t, f.do(t, "GET", fmt.Sprintf("/api/organizations/%d/audit?action=member.update", f.orgA.ID), f.adminA.Token, ""), http.StatusOK)
	if len(log.Entries) != 3 {
		t.Fatalf("member.update entries: %+v", log.Entries)
	}
	first := log.Entries[2]
	if first.Actor != fmt.Sprint("user:", f.adminA.ID) || first.Detail["user_id"] != float64(f.memberA.ID) ||
		fmt.Sprint(first.Detail["role"]) != "map[new:admin old:member]" {
		t.Fatalf("first role change audited as %+v", first)
	}
}

// TestAuditAPIFilters: the actor, date and paging filters, and each bad
// filter named.
func TestAuditAPIFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := fmt.Sprintf("/api/organizations/%d", f.orgA.ID)
	decodeBody[map[string]any](t, f.do(t, "PATCH", base+"/settings", f.adminA.Token, `{"confidence_threshold":55}`), http.StatusOK)
	decodeBody[map[string]any](t, f.do(t, "PATCH", base+"/settings", f.ownerA.Token, `{"confidence_threshold":60}`), http.StatusOK)
	decodeBody[map[string]any](t, f.do(t, "PATCH", base+"/settings", f.adminA.Token, `{"confidence_threshold":65}`), http.StatusOK)

	type page struct{ Entries []auditJSON }
	get := func(query string) []auditJSON {
		t.Helper()
		return decodeBody[page](t, f.do(t, "GET", base+"/audit?"+query, f.adminA.Token, ""), http.StatusOK).Entries
	}
	byAdmin := get("actor=" + fmt.Sprint("user:", f.adminA.ID))
	if len(byAdmin) != 2 || byAdmin[0].Detail["changes"] == nil {
		t.Fatalf("the admin's entries: %+v", byAdmin)
	}
	older := get(fmt.Sprintf("before=%d", byAdmin[0].ID))
	if len(older) != 2 || older[0].Actor != fmt.Sprint("user:", f.ownerA.ID) {
		t.Fatalf("entries before %d: %+v", byAdmin[0].ID, older)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if n := len(get("since=" + today + "&until=" + today)); n != 3 {
		t.Fatalf("today's entries: %d, want 3", n)
	}
	if n := len(get("until=" + time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly))); n != 0 {
		t.Fatalf("yesterday's entries: %d, want 0", n)
	}
	e := wantError(t, f.do(t, "GET", base+"/audit?since=yesterday&until=2026-13-01&before=x", f.adminA.Token, ""), http.StatusUnprocessableEntity, "invalid_request")
	if !strings.Contains(e.Error.Fields["since"], "must be a date") || !strings.Contains(e.Error.Fields["until"], "must be a date") || e.Error.Fields["before"] == "" {
		t.Fatalf("bad filters: %+v", e.Error)
	}
	e = wantError(t, f.do(t, "GET", base+"/audit?since=2026-11-02&until=2026-11-01", f.adminA.Token, ""), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["until"] != "must be after since" {
		t.Fatalf("until before since: %+v", e.Error)
	}
}
