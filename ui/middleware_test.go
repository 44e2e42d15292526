package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"lore/app"
	"lore/app/accounts"
	"lore/app/apptest"
	"lore/app/validation"
	"lore/storage"
)

// testPassword is every fixture user's password.
const testPassword = "fixture-password"

var (
	fixtureHashOnce sync.Once
	fixtureHash     string
)

// passwordHash is testPassword hashed with cheap parameters (which the hash
// carries, so login verifies it quickly); DefaultHashParams are tested in
// package accounts.
func passwordHash(t testing.TB) string {
	fixtureHashOnce.Do(func() {
		var err error
		fixtureHash, err = accounts.HashPassword(testPassword, accounts.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
		if err != nil {
			panic(err)
		}
	})
	return fixtureHash
}

type testUser struct {
	ID    int64
	Email string
	Token string // a personal API token
}

// fixture is two organizations: A with an owner (the instance owner), an
// admin and a member and workspace TAAAA1; B with an owner and workspace TBBBB1.
type fixture struct {
	app                          *app.App
	h                            http.Handler
	orgA, orgB                   storage.Organization
	ownerA, adminA, memberA      testUser
	ownerB                       testUser
	wsA, wsB                     string
	ownerATokenID, ownerBTokenID int64
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	a := apptest.Open(t)
	f := &fixture{app: a, h: New(a, os.DirFS("static"), os.DirFS("templates")), wsA: "TAAAA1", wsB: "TBBBB1"}
	var err error
	if f.orgA, err = a.Store.CreateOrganization(ctx, "Org A"); err != nil {
		t.Fatal(err)
	}
	if f.orgB, err = a.Store.CreateOrganization(ctx, "Org B"); err != nil {
		t.Fatal(err)
	}
	f.ownerA = f.addUser(t, "owner-a@example.com", true, f.orgA.ID, storage.RoleOwner)
	f.adminA = f.addUser(t, "admin-a@example.com", false, f.orgA.ID, storage.RoleAdmin)
	f.memberA = f.addUser(t, "member-a@example.com", false, f.orgA.ID, storage.RoleMember)
	f.ownerB = f.addUser(t, "owner-b@example.com", false, f.orgB.ID, storage.RoleOwner)
	if _, err := a.Store.CreateWorkspace(ctx, f.orgA.ID, f.wsA, "A's Slack"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.CreateWorkspace(ctx, f.orgB.ID, f.wsB, "B's Slack"); err != nil {
		t.Fatal(err)
	}
	tokens, _ := a.Store.ListAPITokens(ctx, f.ownerA.ID)
	f.ownerATokenID = tokens[0].ID
	tokens, _ = a.Store.ListAPITokens(ctx, f.ownerB.ID)
	f.ownerBTokenID = tokens[0].ID
	return f
}

func (f *fixture) addUser(t testing.TB, email string, instanceOwner bool, orgID int64, role string) testUser {
	t.Helper()
	ctx := context.Background()
	var u storage.User
	err := f.app.Store.Tx(ctx, func(tx *storage.Tx) (err error) {
		if u, err = tx.CreateUser(ctx, email, passwordHash(t), instanceOwner); err != nil {
			return err
		}
		_, err = tx.AddMembership(ctx, orgID, u.ID, role)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := f.app.Accounts.CreateToken(ctx, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return testUser{ID: u.ID, Email: email, Token: secret}
}

// do sends a request with a Bearer token (none when token is empty).
func (f *fixture) do(t testing.TB, method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

type errorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// wantError checks a response's status and that its body is the one JSON
// error shape with the given code.
func wantError(t testing.TB, w *httptest.ResponseRecorder, status int, code string) errorBody {
	t.Helper()
	var e errorBody
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json; body %s", ct, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("body %s: want {\"error\":{\"code\":%q,...}} (%v)", w.Body, code, err)
	}
	return e
}

func decodeBody[T any](t testing.TB, w *httptest.ResponseRecorder, status int) T {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", w.Body, err)
	}
	return v
}

var wildcard = regexp.MustCompile(`\{([a-z_]+)\}`)

// fill replaces a pattern's wildcards with ids of organization A, and fails
// the test on a wildcard it does not know, so that a route with a new kind
// of path cannot skip these checks.
func (f *fixture) fill(t testing.TB, path string) string {
	t.Helper()
	path = strings.TrimSuffix(path, "{$}") // "/{$}" is the path "/" exactly
	return wildcard.ReplaceAllStringFunc(path, func(m string) string {
		switch m {
		case "{org_id}":
			return fmt.Sprint(f.orgA.ID)
		case "{workspace_id}":
			return f.wsA
		case "{user_id}":
			return fmt.Sprint(f.memberA.ID)
		case "{token_id}":
			return fmt.Sprint(f.ownerATokenID)
		case "{job_id}":
			j, err := f.app.Store.CreateJob(context.Background(), storage.NewJob{OrgID: f.orgA.ID, WorkspaceID: f.wsA, Kind: "test"})
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(j.ID)
		case "{question_id}":
			id, err := f.app.Store.CreateQuestion(context.Background(), storage.Question{OrgID: f.orgA.ID, Source: "web", Question: "where?"})
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(id)
		case "{document_id}":
			d, _, err := f.app.Store.PutDocument(context.Background(), storage.NewDocument{OrgID: f.orgA.ID, Title: "Runbook",
				Filename: fmt.Sprintf("runbook-%d.md", time.Now().UnixNano()), Type: "markdown"})
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(d.ID)
		}
		t.Fatalf("route path %s: the access test does not know wildcard %s; teach fixture.fill", path, m)
		return ""
	})
}

// wantAccess is who each route is for, written down apart from the route
// table so that a route declared with the wrong access (or added without
// thought) fails TestRouteAccess. Only signup, login, healthz and Slack's
// signed requests are public.
var wantAccess = map[string]access{
	"GET /{$}":              public, // the start page
	"GET /healthz":          public,
	"POST /api/auth/signup": public,
	"POST /api/auth/login":  public,
	"/api/":                 public, // the JSON 404 for unknown API paths
	// Slack's HTTP mode: verified by the workspace's signing secret.
	"POST /slack/{workspace_id}/commands":     public,
	"POST /slack/{workspace_id}/events":       public,
	"POST /slack/{workspace_id}/interactions": public,

	"GET /static/{hash}/{name}":   public,
	"POST /setup":                 public, // the first run's form
	"GET /login":                  public,
	"POST /login":                 public,
	"/":                           public, // the 404 page
	"POST /logout":                signedIn,
	"POST /api/credentials/check": signedIn,

	"GET /organizations/{org_id}":                   orgMember,
	"GET /organizations/{org_id}/workspaces":        orgMember,
	"GET /organizations/{org_id}/ask":               orgMember,
	"GET /organizations/{org_id}/documents":         orgMember,
	"GET /documents/{document_id}":                  documentMember,
	"GET /documents/{document_id}/delete":           documentAdmin,
	"POST /documents/{document_id}/delete":          documentAdmin,
	"POST /organizations/{org_id}/documents":        orgAdmin,
	"POST /questions/{question_id}/feedback":        questionMember,
	"POST /workspaces/{workspace_id}/backfill":      workspaceAdmin,
	"POST /workspaces/{workspace_id}/channels":      workspaceAdmin,
	"GET /organizations/{org_id}/setup":             orgAdmin,
	"GET /organizations/{org_id}/setup/secrets":     orgAdmin,
	"POST /organizations/{org_id}/setup/secrets":    orgAdmin,
	"POST /organizations/{org_id}/import":           orgAdmin,
	"GET /workspaces/{workspace_id}":                workspaceMember,
	"GET /workspaces/{workspace_id}/setup/secrets":  workspaceAdmin,
	"POST /workspaces/{workspace_id}/setup/secrets": workspaceAdmin,
	"GET /workspaces/{workspace_id}/setup/test":     workspaceAdmin,
	"POST /workspaces/{workspace_id}/setup/test":    workspaceAdmin,
	"GET /workspaces/{workspace_id}/setup/sync":     workspaceAdmin,
	"POST /workspaces/{workspace_id}/import":        workspaceAdmin,
	"GET /workspaces/{workspace_id}/delete":         workspaceAdmin,
	"POST /workspaces/{workspace_id}/delete":        workspaceAdmin,
	"GET /jobs/{job_id}":                            jobMember,
	"POST /jobs/{job_id}/cancel":                    jobAdmin,
	"GET /organizations/{org_id}/jobs":              orgMember,
	"POST /organizations/{org_id}/retention/run":    orgAdmin,
	"GET /organizations/{org_id}/settings":          orgMember,
	"POST /organizations/{org_id}/settings":         orgAdmin,
	"GET /instance":                                 instanceOwner,
	"POST /instance/smtp":                           instanceOwner,
	"POST /instance/smtp/test":                      instanceOwner,
	"POST /instance/llm":                            instanceOwner,
	"POST /instance/organizations":                  instanceOwner,

	"GET /organizations/{org_id}/members":                   orgAdmin,
	"POST /organizations/{org_id}/members":                  orgAdmin,
	"POST /organizations/{org_id}/members/{user_id}/role":   orgAdmin,
	"GET /organizations/{org_id}/members/{user_id}/remove":  orgAdmin,
	"POST /organizations/{org_id}/members/{user_id}/remove": orgAdmin,
	"GET /account":                           signedIn,
	"POST /account/password":                 signedIn,
	"POST /account/tokens":                   signedIn,
	"POST /account/tokens/{token_id}/revoke": signedIn,
	"GET /organizations/{org_id}/audit":      orgAdmin,

	"POST /api/auth/logout":         signedIn,
	"GET /api/me":                   signedIn,
	"POST /api/me/password":         signedIn,
	"GET /api/tokens":               signedIn,
	"POST /api/tokens":              signedIn,
	"DELETE /api/tokens/{token_id}": signedIn,
	"GET /api/organizations":        signedIn,

	"POST /api/organizations": instanceOwner,
	"GET /api/instance/llm":   instanceOwner,
	"PUT /api/instance/llm":   instanceOwner,

	"GET /api/organizations/{org_id}":                      orgMember,
	"GET /api/organizations/{org_id}/settings":             orgMember,
	"GET /api/organizations/{org_id}/workspaces":           orgMember,
	"GET /api/organizations/{org_id}/members":              orgAdmin,
	"POST /api/organizations/{org_id}/members":             orgAdmin,
	"GET /api/organizations/{org_id}/audit":                orgAdmin,
	"GET /api/organizations/{org_id}/questions":            orgAdmin,
	"POST /api/organizations/{org_id}/ask":                 orgMember,
	"POST /api/questions/{question_id}/feedback":           questionMember,
	"GET /api/instance/smtp":                               instanceOwner,
	"PUT /api/instance/smtp":                               instanceOwner,
	"GET /api/organizations/{org_id}/schedule":             orgMember,
	"POST /api/organizations/{org_id}/retention/run":       orgAdmin,
	"DELETE /api/organizations/{org_id}/members/{user_id}": orgAdmin,
	"PATCH /api/organizations/{org_id}/members/{user_id}":  orgAdmin,
	"PATCH /api/organizations/{org_id}/settings":           orgAdmin,
	"GET /api/organizations/{org_id}/settings/preview":     orgAdmin,
	"POST /api/organizations/{org_id}/workspaces":          orgAdmin,

	"GET /api/workspaces/{workspace_id}":    workspaceMember,
	"PATCH /api/workspaces/{workspace_id}":  workspaceAdmin,
	"DELETE /api/workspaces/{workspace_id}": workspaceAdmin,

	"POST /api/workspaces/{workspace_id}/credentials":        workspaceAdmin,
	"GET /api/workspaces/{workspace_id}/credentials":         workspaceAdmin,
	"POST /api/workspaces/{workspace_id}/credentials/verify": workspaceAdmin,
	"DELETE /api/workspaces/{workspace_id}/credentials":      workspaceAdmin,

	"POST /api/workspaces/{workspace_id}/imports":   workspaceAdmin,
	"POST /api/workspaces/{workspace_id}/backfill":  workspaceAdmin,
	"GET /api/workspaces/{workspace_id}/channels":   workspaceAdmin,
	"PATCH /api/workspaces/{workspace_id}/channels": workspaceAdmin,
	"POST /api/organizations/{org_id}/imports":      orgAdmin,
	"GET /api/workspaces/{workspace_id}/jobs":       workspaceMember,
	"GET /api/organizations/{org_id}/jobs":          orgMember,
	"GET /api/jobs/{job_id}":                        jobMember,
	"POST /api/jobs/{job_id}/cancel":                jobAdmin,

	"POST /api/organizations/{org_id}/documents":                 orgAdmin,
	"GET /api/organizations/{org_id}/documents":                  orgMember,
	"GET /api/organizations/{org_id}/documents/{document_id}":    orgMember,
	"DELETE /api/organizations/{org_id}/documents/{document_id}": orgAdmin,
}

// TestRouteAccess walks the router's own route table: every /api route but
// the public ones answers 401 without credentials, 404 to a member of
// another organization (exactly like a missing resource) and 403 to a
// member whose role is not enough; and the weakest allowed caller gets past
// the guard.
func TestRouteAccess(t *testing.T) {
	t.Parallel()
	routes := (&handler{}).routeTable()
	if len(routes) < 15 {
		t.Fatalf("route table has %d routes; is it the real one?", len(routes))
	}
	for _, rt := range routes {
		t.Run(rt.pattern, func(t *testing.T) {
			t.Parallel()
			want, ok := wantAccess[rt.pattern]
			if !ok {
				t.Fatalf("route %s is not in wantAccess: add it with the access it needs", rt.pattern)
			}
			if rt.access != want {
				t.Fatalf("route %s is declared %v, want %v", rt.pattern, rt.access, want)
			}
			if rt.access == public {
				return
			}
			method, pattern, ok := strings.Cut(rt.pattern, " ")
			if !ok {
				t.Fatalf("%s has no method", rt.pattern)
			}
			f := newFixture(t)
			path := f.fill(t, pattern)
			body := "{}"

			// (a) no credentials: a JSON 401, or for a page the login page
			wantDenied(t, path, f.do(t, method, path, "", body), http.StatusUnauthorized, "unauthenticated")
			// a revoked or made-up token is no better
			wantDenied(t, path, f.do(t, method, path, "lore_madeup", body), http.StatusUnauthorized, "unauthenticated")

			// (b) a member (here the owner) of another organization
			switch rt.access {
			case orgMember, orgAdmin, workspaceMember, workspaceAdmin, jobMember, jobAdmin, questionMember, documentMember, documentAdmin:
				other := f.do(t, method, path, f.ownerB.Token, body)
				wantDenied(t, path, other, http.StatusNotFound, "not_found")
				missingPath := strings.NewReplacer(fmt.Sprint("/", f.orgA.ID), "/999999", f.wsA, "TNOPE99").Replace(path)
				if rt.access == questionMember || rt.access == documentMember || rt.access == documentAdmin {
					missingPath = strings.NewReplacer("{question_id}", "999999", "{document_id}", "999999").Replace(pattern)
				}
				missing := f.do(t, method, missingPath, f.ownerB.Token, body)
				if missing.Code != other.Code || missing.Body.String() != other.Body.String() {
					t.Fatalf("another org's resource answers %d %s; a missing one %d %s", other.Code, other.Body, missing.Code, missing.Body)
				}
			case signedIn:
				if strings.Contains(pattern, "{") {
					wantDenied(t, path, f.do(t, method, path, f.ownerB.Token, body), http.StatusNotFound, "not_found")
				}
			}

			// (c) a role that is not enough
			var allowed string
			switch rt.access {
			case orgAdmin, workspaceAdmin, jobAdmin, documentAdmin:
				wantDenied(t, path, f.do(t, method, path, f.memberA.Token, body), http.StatusForbidden, "forbidden")
				allowed = f.adminA.Token
			case instanceOwner:
				wantDenied(t, path, f.do(t, method, path, f.adminA.Token, body), http.StatusForbidden, "forbidden")
				allowed = f.ownerA.Token
			case orgMember, workspaceMember, jobMember, questionMember, documentMember:
				allowed = f.memberA.Token
			case signedIn:
				allowed = f.ownerA.Token
			default:
				t.Fatalf("access %v has no test", rt.access)
			}

			// the weakest allowed caller gets past the guard
			w := f.do(t, method, path, allowed, body)
			if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden || w.Code == http.StatusNotFound || w.Code >= 500 {
				t.Fatalf("allowed caller (%v) got %d %s", rt.access, w.Code, w.Body)
			}
		})
	}
}

// wantDenied checks a refusal: the JSON error for an API path; for a page,
// the login page (a 303) when signed out, else an HTML page with the status.
func wantDenied(t testing.TB, path string, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if strings.HasPrefix(path, "/api/") {
		wantError(t, w, status, code)
		return
	}
	if status == http.StatusUnauthorized {
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
			t.Fatalf("signed out, page %s answered %d %q; want 303 to /login", path, w.Code, w.Header().Get("Location"))
		}
		return
	}
	wantPage(t, w, status)
}

// wantPage checks that a response is an HTML page with the status, and
// returns its body.
func wantPage(t testing.TB, w *httptest.ResponseRecorder, status int) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type %q, want an HTML page; body %s", ct, w.Body)
	}
	body := w.Body.String()
	if !strings.Contains(body, "<!doctype html>") || !strings.Contains(body, "</html>") {
		t.Fatalf("not a whole page: %s", body)
	}
	return body
}

func TestUnknownAPIPathIsJSON404(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wantError(t, f.do(t, "GET", "/api/nothing/here", "", ""), http.StatusNotFound, "not_found")
	wantError(t, f.do(t, "GET", "/api/organizations/abc", f.ownerA.Token, ""), http.StatusNotFound, "not_found")
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/api/tokens", "GET, POST"},
		{"DELETE", fmt.Sprintf("/api/organizations/%d/settings", f.orgA.ID), "GET, PATCH"},
		{"PATCH", "/api/workspaces/" + f.wsA + "/credentials", "GET, POST, DELETE"},
	} {
		w := f.do(t, c.method, c.path, f.ownerA.Token, "")
		wantError(t, w, http.StatusMethodNotAllowed, "method_not_allowed")
		if got := w.Header().Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
}

func TestAuthorizationHeaderMustBeBearer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := httptest.NewRequest("GET", "/api/me", nil)
	r.Header.Set("Authorization", "Basic "+f.ownerA.Token)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	wantError(t, w, http.StatusUnauthorized, "unauthenticated")
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := fmt.Sprintf("/api/organizations/%d/settings", f.orgA.ID)
	big := `{"custom_system_prompt": "` + strings.Repeat("a", maxBodyBytes) + `"}`
	// Content-Length announces it: refused before reading.
	wantError(t, f.do(t, "PATCH", path, f.ownerA.Token, big), http.StatusRequestEntityTooLarge, "body_too_large")
	// No Content-Length (chunked): refused when reading passes the limit.
	r := httptest.NewRequest("PATCH", path, io.MultiReader(strings.NewReader(big)))
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer "+f.ownerA.Token)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	wantError(t, w, http.StatusRequestEntityTooLarge, "body_too_large")
	// Also on routes whose handler never reads a body, and for a body that
	// is not JSON at all: the size is judged first, the same everywhere.
	for _, c := range []struct{ method, path, body string }{
		{"DELETE", "/api/tokens/999", strings.Repeat("x", maxBodyBytes+1)},
		{"POST", "/api/tokens", strings.Repeat("x", maxBodyBytes+1)},
	} {
		r := httptest.NewRequest(c.method, c.path, io.MultiReader(strings.NewReader(c.body)))
		r.ContentLength = -1
		r.Header.Set("Authorization", "Bearer "+f.ownerA.Token)
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		wantError(t, w, http.StatusRequestEntityTooLarge, "body_too_large")
	}
	// A small chunked body still reaches the handler whole.
	r = httptest.NewRequest("POST", "/api/tokens", io.MultiReader(strings.NewReader(`{"name":"chunked"}`)))
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer "+f.ownerA.Token)
	w = httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"name":"chunked"`) {
		t.Fatalf("small chunked body: %d %s", w.Code, w.Body)
	}
	// Exactly at the limit is read (and here refused for its content, not its size).
	atLimit := `{"x":"` + strings.Repeat("a", maxBodyBytes-8) + `"}`
	if len(atLimit) != maxBodyBytes {
		t.Fatalf("len %d", len(atLimit))
	}
	wantError(t, f.do(t, "PATCH", path, f.ownerA.Token, atLimit), http.StatusUnprocessableEntity, "invalid_settings")
}

func TestBadJSONBodies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		body   string
		status int
		code   string
		field  string
	}{
		{`{`, http.StatusBadRequest, "invalid_json", ""},
		{``, http.StatusBadRequest, "invalid_json", ""},
		{`[]`, http.StatusBadRequest, "invalid_json", ""},
		{`{"name": "a"} {"name": "b"}`, http.StatusBadRequest, "invalid_json", ""},
		{`{"name": 5}`, http.StatusUnprocessableEntity, "invalid_request", "name"},
		{`{"name": "ok", "admin": true}`, http.StatusUnprocessableEntity, "invalid_request", "admin"},
		{`{"name": ""}`, http.StatusUnprocessableEntity, "invalid_request", "name"},
	} {
		e := wantError(t, f.do(t, "POST", "/api/tokens", f.ownerA.Token, tc.body), tc.status, tc.code)
		if tc.field != "" && e.Error.Fields[tc.field] == "" {
			t.Errorf("body %s: field %s not named: %+v", tc.body, tc.field, e.Error)
		}
	}
	tokens, _ := f.app.Store.ListAPITokens(context.Background(), f.ownerA.ID)
	if len(tokens) != 1 {
		t.Fatalf("%d tokens after bad requests, want the fixture's 1", len(tokens))
	}
}

func TestPanicIsJSON500(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := &handler{app: f.app, logger: f.app.Logger}
	srv := h.middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("GET", "/api/x", bytes.NewReader(nil)))
	e := wantError(t, w, http.StatusInternalServerError, "internal")
	if strings.Contains(w.Body.String(), "boom") {
		t.Fatalf("panic detail leaked: %+v", e)
	}
}

// TestJSONKeysExactlyOnce: Go's decoder lets the last of two equal keys win
// and matches keys regardless of case; Lore refuses both, for struct and map
// bodies alike, naming the key, and stores nothing.
func TestJSONKeysExactlyOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	settingsPath := fmt.Sprintf("/api/organizations/%d/settings", f.orgA.ID)
	credsPath := "/api/workspaces/" + f.wsA + "/credentials"
	settingsBefore := f.do(t, "GET", settingsPath, f.adminA.Token, "").Body.String()
	for _, tc := range []struct {
		method, path, body, field string
	}{
		{"POST", "/api/tokens", `{"name":"a","name":"b"}`, "name"},
		{"POST", "/api/tokens", `{"NAME":"a"}`, "NAME"},
		{"POST", "/api/tokens", `{"Name":"a"}`, "Name"},
		{"PATCH", settingsPath, `{"ai_tone":"bogus","ai_tone":"casual"}`, "ai_tone"},
		{"PATCH", settingsPath, `{"ai_tone":"casual","confidence_threshold":50,"ai_tone":"casual"}`, "ai_tone"},
		{"PATCH", settingsPath, `{"AI_TONE":"casual"}`, "AI_TONE"},
		{"POST", credsPath, `{"BOT_TOKEN":"xoxb-1-2-abc","app_token":"xapp-1-A1-2-abc","signing_secret":"0123456789abcdef0123456789abcdef"}`, "BOT_TOKEN"},
		{"POST", credsPath, `{"bot_token":"xoxb-1-2-abc","bot_token":"xoxb-1-2-def","app_token":"xapp-1-A1-2-abc","signing_secret":"0123456789abcdef0123456789abcdef"}`, "bot_token"},
	} {
		w := f.do(t, tc.method, tc.path, f.ownerA.Token, tc.body)
		if w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s %s %s: %d %s, want 422", tc.method, tc.path, tc.body, w.Code, w.Body)
			continue
		}
		var e errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Fields[tc.field] == "" {
			t.Errorf("%s: field %s not named: %s", tc.body, tc.field, w.Body)
		}
	}
	tokens, _ := f.app.Store.ListAPITokens(context.Background(), f.ownerA.ID)
	if len(tokens) != 1 {
		t.Errorf("%d tokens after refused bodies, want the fixture's 1", len(tokens))
	}
	if after := f.do(t, "GET", settingsPath, f.adminA.Token, "").Body.String(); after != settingsBefore {
		t.Errorf("settings changed by a refused body:\nbefore %s\nafter  %s", settingsBefore, after)
	}
	if w := f.do(t, "GET", credsPath, f.ownerA.Token, ""); strings.Contains(w.Body.String(), `"configured":true`) {
		t.Errorf("credentials stored from a refused body: %s", w.Body)
	}
	// Equal keys in different objects, and nested values, are fine.
	if w := f.do(t, "PATCH", settingsPath, f.ownerA.Token, `{"ai_tone":"casual"}`); w.Code != http.StatusOK {
		t.Errorf("a plain patch: %d %s", w.Code, w.Body)
	}
}

func TestFieldNames(t *testing.T) {
	t.Parallel()
	type inner struct {
		Promoted string `json:"promoted"`
	}
	var v struct {
		inner
		Tagged  string `json:"tagged,omitempty"`
		Plain   string
		Skipped string `json:"-"`
		hidden  string
	}
	_ = v.hidden
	if got := fmt.Sprint(fieldNames(&v)); got != "[promoted tagged Plain]" {
		t.Fatalf("fieldNames = %s", got)
	}
	var m map[string]json.RawMessage
	if got := fieldNames(&m); got != nil {
		t.Fatalf("fieldNames(map) = %v, want nil", got)
	}
}

func TestCheckKeys(t *testing.T) {
	t.Parallel()
	fields := []string{"name", "items"}
	for body, want := range map[string]string{
		`{"name":"a","items":[{"k":1},{"k":2}]}`:          "",
		`{"items":[{"k":1,"x":{"k":2}}],"name":"a"}`:      "",
		`{"items":[{"k":1,"k":2}]}`:                       "k",
		`{"items":{"a":{"b":1,"b":2}}}`:                   "b",
		`{"name":"a"} {"name":"a"}`:                       "", // trailing data: decoding refuses it
		`{"name":"a","name"`:                              "name",
		`{"name":`:                                        "",
		`not json`:                                        "",
		`{"Items":[]}`:                                    "Items",
		`{"items":[{"NAME":1}]}`:                          "", // case is checked at the top level only
		`["name","name"]`:                                 "",
		`{"name":"x","items":[],"items":[]}`:              "items",
		`{"a\u0000":1,"a\u0000":2}`:                       "a\x00",
		`{"name":{"name":{"name":1}},"items":{"name":1}}`: "",
	} {
		err := checkKeys([]byte(body), fields)
		var got string
		if err != nil {
			for k := range err.(*validation.Error).Fields {
				got = k
			}
		}
		if got != want {
			t.Errorf("checkKeys(%s) names %q (%v), want %q", body, got, err, want)
		}
	}
}

// FuzzCheckKeys: no body may panic the key scan.
func FuzzCheckKeys(f *testing.F) {
	for _, seed := range []string{`{"a":1,"a":2}`, `{"A":[{"b":{}},[]]}`, `}`, `[{]`, `{"a":`, `"x"`, `{"a":1}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkKeys(body, []string{"a", "b"})
	})
}
