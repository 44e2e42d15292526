package ui

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"lore/app/apptest"
)

// browser drives the handler as a browser does: it keeps the cookies the
// answers set, sends them back, and sends the headers a browser adds to a
// same-origin request, so CrossOriginProtection sees what it sees live.
type browser struct {
	t       testing.TB
	h       http.Handler
	peer    string // RemoteAddr
	host    string
	cookies map[string]*http.Cookie
}

func newBrowser(t testing.TB, h http.Handler) *browser {
	return &browser{t: t, h: h, peer: "127.0.0.1:40000", host: "127.0.0.1:8080", cookies: map[string]*http.Cookie{}}
}

// do sends one request and keeps the cookies of the answer.
func (b *browser) do(method, path string, body io.Reader, contentType string, headers ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	r := httptest.NewRequest(method, "http://"+b.host+path, body)
	r.RemoteAddr = b.peer
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Origin", "http://"+b.host)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	return w
}

func (b *browser) get(path string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.do("GET", path, nil, "")
}

// post submits a form.
func (b *browser) post(path string, form url.Values, headers ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.do("POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", headers...)
}

// upload submits a multipart form with one file field.
func (b *browser) upload(path, field, name string, content []byte) *httptest.ResponseRecorder {
	b.t.Helper()
	var buf strings.Builder
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile(field, name)
	if err != nil {
		b.t.Fatal(err)
	}
	part.Write(content)
	mw.Close()
	return b.do("POST", path, strings.NewReader(buf.String()), mw.FormDataContentType())
}

// follow checks a 303 and shows the page it leads to.
func (b *browser) follow(w *httptest.ResponseRecorder) (string, *httptest.ResponseRecorder) {
	b.t.Helper()
	if w.Code != http.StatusSeeOther {
		b.t.Fatalf("status %d, want 303 (post/redirect/get); body %s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	path, _, _ := strings.Cut(loc, "#") // a place in the page stays in the browser
	return loc, b.get(path)
}

// signIn signs the browser in through the login form.
func (b *browser) signIn(email string) {
	b.t.Helper()
	w := b.post("/login", url.Values{"email": {email}, "password": {testPassword}, "next": {"/"}})
	if w.Code != http.StatusSeeOther {
		b.t.Fatalf("login as %s: %d %s", email, w.Code, w.Body)
	}
}

var labelFor = regexp.MustCompile(`<label for="([^"]+)"`)
var fieldTag = regexp.MustCompile(`<(?:input|select|textarea)\b[^>]*>`)
var idAttr = regexp.MustCompile(`\bid="([^"]+)"`)

// wantLabels checks that every visible form field of a page has a label.
func wantLabels(t testing.TB, page string) {
	t.Helper()
	labelled := map[string]bool{}
	for _, m := range labelFor.FindAllStringSubmatch(page, -1) {
		labelled[m[1]] = true
	}
	for _, tag := range fieldTag.FindAllString(page, -1) {
		if strings.Contains(tag, `type="hidden"`) || strings.Contains(tag, `type="submit"`) {
			continue
		}
		id := idAttr.FindStringSubmatch(tag)
		if id == nil || !labelled[id[1]] {
			t.Errorf("field without a label: %s", tag)
		}
	}
}

func TestStaticFilesHaveHashedURLs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	page := wantPage(t, b.get("/login"), http.StatusOK)
	css := regexp.MustCompile(`href="(/static/[0-9a-f]{12}/lore\.css)"`).FindStringSubmatch(page)
	js := regexp.MustCompile(`src="(/static/[0-9a-f]{12}/lore\.js)"`).FindStringSubmatch(page)
	if css == nil || js == nil {
		t.Fatalf("the layout does not link lore.css and lore.js by hashed URL: %s", page)
	}
	w := b.get(css[1])
	want, _ := os.ReadFile("static/lore.css")
	if w.Code != http.StatusOK || w.Body.String() != string(want) || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") ||
		!strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("GET %s: %d %v", css[1], w.Code, w.Header())
	}
	if w := b.get(strings.Replace(css[1], "/static/", "/static/000000", 1)); w.Code != http.StatusNotFound {
		t.Fatalf("a stale hash: %d, want 404", w.Code)
	}
	if csp := b.get("/login").Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("page CSP %q", csp)
	}
}

func TestErrorPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	// Signed out: the login page, which comes back after.
	w := b.get(fmt.Sprintf("/organizations/%d/workspaces?x=1", f.orgA.ID))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next="+url.QueryEscape(fmt.Sprintf("/organizations/%d/workspaces?x=1", f.orgA.ID)) {
		t.Fatalf("signed out: %d %q", w.Code, w.Header().Get("Location"))
	}
	if page := wantPage(t, b.get("/no/such/page"), http.StatusNotFound); !strings.Contains(page, "Not found") {
		t.Fatalf("404 page: %s", page)
	}
	if w := b.do("DELETE", "/login", nil, ""); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, POST" {
		t.Fatalf("DELETE /login: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
	// The API keeps its JSON, beside the pages.
	wantError(t, b.get("/api/no/such"), http.StatusNotFound, "not_found")
	wantError(t, b.get("/api/me"), http.StatusUnauthorized, "unauthenticated")
	// A cross-site form post is refused with a page.
	page := wantPage(t, b.post("/login", url.Values{"email": {"x@example.com"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"),
		http.StatusForbidden)
	if !strings.Contains(page, "cross-origin request refused") {
		t.Fatalf("CSRF page: %s", page)
	}
}

func TestErrorPageOfAPanic(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h, err := newHandler(f.app, os.DirFS("static"), os.DirFS("templates"))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })).ServeHTTP(w, httptest.NewRequest("GET", "/some/page", nil))
	page := wantPage(t, w, http.StatusInternalServerError)
	if strings.Contains(page, "boom") || !strings.Contains(page, "Something went wrong") {
		t.Fatalf("500 page: %s", page)
	}
}

// TestFirstRunSignup: with no user, / is the first run's form; a mistake
// gives it again with what was typed but the password; the owner is then
// signed in and sent to the Slack setup, and the form is gone.
func TestFirstRunSignup(t *testing.T) {
	t.Parallel()
	a := apptest.Open(t)
	h := New(a, os.DirFS("static"), os.DirFS("templates"))
	b := newBrowser(t, h)
	page := wantPage(t, b.get("/"), http.StatusOK)
	if !strings.Contains(page, `action="/setup"`) || strings.Contains(page, `name="setup_token"`) {
		t.Fatalf("first run from this machine: %s", page)
	}
	wantLabels(t, page)

	bad := url.Values{"email": {"not-an-email"}, "password": {"sekrit-password-1"}, "organization_name": {"Acme & Co"}}
	page = wantPage(t, b.post("/setup", bad), http.StatusUnprocessableEntity)
	if !strings.Contains(page, `value="not-an-email"`) || !strings.Contains(page, `value="Acme &amp; Co"`) ||
		!strings.Contains(page, `id="setup-email-error"`) || strings.Contains(page, "sekrit-password-1") {
		t.Fatalf("re-rendered form: %s", page)
	}

	good := url.Values{"email": {"owner@example.com"}, "password": {"sekrit-password-1"}, "organization_name": {"Acme"}}
	loc, w := b.follow(b.post("/setup", good))
	orgs, err := a.Accounts.ListUserOrganizations(context.Background(), 1)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("organizations: %v %v", orgs, err)
	}
	if loc != fmt.Sprintf("/organizations/%d/setup", orgs[0].ID) {
		t.Fatalf("after signup: %s", loc)
	}
	if w.Code == http.StatusSeeOther {
		t.Fatalf("signed-in browser sent to %s", w.Header().Get("Location"))
	}
	if b.cookies[sessionCookie] == nil {
		t.Fatal("no session after signup")
	}

	// Signup is closed now: / sends a stranger to the login page.
	stranger := newBrowser(t, h)
	if w := stranger.get("/"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login" {
		t.Fatalf("/ after the first run: %d %q", w.Code, w.Header().Get("Location"))
	}
	if loc, _ := stranger.follow(stranger.post("/setup", good)); loc != "/login" {
		t.Fatalf("a second signup goes to %s", loc)
	}
}

// TestFirstRunFromAnotherMachine: the form asks for the setup token, the
// printed link fills it in, and without it nothing is created.
func TestFirstRunFromAnotherMachine(t *testing.T) {
	t.Parallel()
	a := apptest.Open(t)
	h := New(a, os.DirFS("static"), os.DirFS("templates"))
	token, _ := a.Accounts.SetupToken(context.Background())
	b := newBrowser(t, h)
	b.peer, b.host = "192.0.2.10:40000", "lore.example.com"
	page := wantPage(t, b.get("/"), http.StatusOK)
	if !strings.Contains(page, `name="setup_token"`) || strings.Contains(page, token) {
		t.Fatalf("first run from elsewhere: %s", page)
	}
	if page := wantPage(t, b.get("/?setup="+token), http.StatusOK); !strings.Contains(page, `value="`+token+`"`) {
		t.Fatalf("the printed link does not fill the token in: %s", page)
	}
	form := url.Values{"email": {"owner@example.com"}, "password": {"sekrit-password-1"}, "organization_name": {"Acme"}}
	page = wantPage(t, b.post("/setup", form), http.StatusForbidden)
	if !strings.Contains(page, "setup token") || !strings.Contains(page, `value="owner@example.com"`) {
		t.Fatalf("without the token: %s", page)
	}
	if now, _ := a.Accounts.SetupToken(context.Background()); now == "" {
		t.Fatal("a user was created without the token")
	}
	form.Set("setup_token", token)
	if w := b.post("/setup", form); w.Code != http.StatusSeeOther {
		t.Fatalf("with the token: %d %s", w.Code, w.Body)
	}
}

func TestLoginAndLogoutPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	page := wantPage(t, b.get("/login"), http.StatusOK)
	wantLabels(t, page)

	page = wantPage(t, b.post("/login", url.Values{"email": {"admin-a@example.com"}, "password": {"wrong-password-9"}}), http.StatusUnauthorized)
	if !strings.Contains(page, "Wrong email or password") || !strings.Contains(page, `value="admin-a@example.com"`) || strings.Contains(page, "wrong-password-9") {
		t.Fatalf("wrong password: %s", page)
	}
	// A login sent from the 401 redirect comes back to where it began; an
	// outside next does not leave the site.
	next := fmt.Sprintf("/organizations/%d/workspaces", f.orgA.ID)
	w := b.post("/login", url.Values{"email": {"admin-a@example.com"}, "password": {testPassword}, "next": {next}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != next {
		t.Fatalf("login: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := b.get("/login?next=//evil.example/"); w.Header().Get("Location") != "/" {
		t.Fatalf("next to another site: %q", w.Header().Get("Location"))
	}
	page = wantPage(t, b.get(next), http.StatusOK)
	if !strings.Contains(page, `action="/logout"`) || !strings.Contains(page, "admin-a@example.com") {
		t.Fatalf("no logout on the page: %s", page)
	}
	session := b.cookies[sessionCookie].Value

	loc, w := b.follow(b.post("/logout", nil))
	if loc != "/login" || !strings.Contains(wantPage(t, w, http.StatusOK), "You are signed out.") {
		t.Fatalf("logout: %s %s", loc, w.Body)
	}
	// The flash is shown once.
	if strings.Contains(b.get("/login").Body.String(), "You are signed out.") {
		t.Fatal("the flash message is shown twice")
	}
	if _, _, err := f.app.Accounts.SessionUser(context.Background(), session); err == nil {
		t.Fatal("the session outlived the logout")
	}
}

// TestHomeOfAUserWithoutOrganization: signed in, / goes to the first
// organization's workspaces, or says there is none.
func TestHomeOfAUserWithoutOrganization(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	b.signIn(f.memberA.Email)
	if w := b.get("/"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != fmt.Sprintf("/organizations/%d/workspaces", f.orgA.ID) {
		t.Fatalf("/ of a member: %d %q", w.Code, w.Header().Get("Location"))
	}
	if err := f.app.Accounts.RemoveMember(context.Background(), f.orgA.ID, f.ownerA.ID, "owner", f.memberA.ID); err != nil {
		t.Fatal(err)
	}
	if page := wantPage(t, b.get("/"), http.StatusOK); !strings.Contains(page, "No organization yet") {
		t.Fatalf("/ of a user in no organization: %s", page)
	}
}
