package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lore/app/sync"
	"lore/ui/browsertest"
)

// seeded is the fixture with something on every page: workspace A's
// credentials stored, an export imported into it and a week of recent
// messages, a document extracted, and a question answered and one not. Its jobs and documents stand for the route
// wildcards that name them.
type seeded struct {
	*fixture
	srv        *httptest.Server
	importJob  int64
	documentID int64
}

// newSeeded fills a fixture through the same routes and services a user's
// actions reach, with the job runner running as lore serve's does.
func newSeeded(t *testing.T) *seeded {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t)
	s := &seeded{fixture: f, srv: realImportServer(t, f)}
	if _, err := f.app.Credentials.Store(ctx, "test", f.orgA.ID, f.wsA, credentialsOf(testBotToken)); err != nil {
		t.Fatal(err)
	}
	resp, body := upload(t, s.srv.URL+"/api/workspaces/"+f.wsA+"/imports", f.adminA.Token, exportZip(t, []string{"general", "deploys"}, 3, 5, 0), 0)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("import: %d %v", resp.StatusCode, body)
	}
	s.importJob = int64(body["job_id"].(float64))
	if job := waitJob(t, f, f.adminA.Token, s.importJob); job.Status != "succeeded" {
		t.Fatalf("import job: %+v", job)
	}
	up := decodeBody[uploadAnswer](t, f.postDocument(t, f.orgA.ID, f.adminA.Token, "runbook.md", []byte(runbookMD)), http.StatusAccepted)
	if job := waitJob(t, f, f.adminA.Token, up.JobID); job.Status != "succeeded" {
		t.Fatalf("extract job: %+v", job)
	}
	s.documentID = up.Document.ID
	// a week of recent messages, for the dashboard's chart
	msgs := sync.New(f.app.Store, f.app.Logger, sync.Options{})
	if err := msgs.StoreChannelsAndUsers(ctx, f.wsA, []sync.Channel{{ID: "C0RECENT", Name: "recent"}}, nil); err != nil {
		t.Fatal(err)
	}
	var recent []sync.Message
	for day := range 7 {
		for i := range day + 1 {
			ts := time.Now().Add(-time.Duration(day)*24*time.Hour).Unix() - int64(i)
			recent = append(recent, sync.Message{TS: fmt.Sprintf("%d.%06d", ts, i), User: "U1", Text: fmt.Sprintf("standup note %d of day %d", i, day)})
		}
	}
	if _, err := msgs.StoreMessages(ctx, nil, f.wsA, "C0RECENT", recent); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"how do I restart ingest?", "what is the parking code of the moon base?"} {
		if w := f.do(t, "POST", fmt.Sprintf("/api/organizations/%d/ask", f.orgA.ID), f.memberA.Token, fmt.Sprintf(`{"question": %q}`, q)); w.Code != http.StatusOK {
			t.Fatalf("ask: %d %s", w.Code, w.Body)
		}
	}
	return s
}

// fill is fixture.fill with the seeded job and document; like it, it fails
// the test on a wildcard it does not know.
func (s *seeded) fill(t *testing.T, pattern string) string {
	t.Helper()
	pattern = strings.ReplaceAll(pattern, "{job_id}", fmt.Sprint(s.importJob))
	pattern = strings.ReplaceAll(pattern, "{document_id}", fmt.Sprint(s.documentID))
	return s.fixture.fill(t, pattern)
}

// TestBrowserEveryPageAccessible opens, in Chromium, every page of the route
// table (each GET that is not the API) as organization A's owner, over a
// seeded fixture, and runs CheckPage on it: labels, axe-core's serious and
// critical rules, headings, focus rings, a phone's width. A page added to
// the route table is opened here without a line more, and one with a
// wildcard the fixture cannot fill fails this test. Then the pages around
// them: login, a form re-rendered with its errors, an answer, the 404 page
// (an unknown path, another organization's page) and the 403 page (a
// member on an admin's page). The first run's form is checked by
// TestBrowserFirstRunSignupAndLogout.
func TestBrowserEveryPageAccessible(t *testing.T) {
	t.Parallel()
	s := newSeeded(t)
	b := browsertest.New(t, s.srv.URL)
	b.Open("/login")
	b.WaitText("h1", "Sign in")
	b.CheckPage()
	b.Shot("login")
	signInAs(b, s.ownerA.Email)

	pages := 0
	for _, rt := range s.routeTableOf(t) {
		method, pattern, _ := strings.Cut(rt.pattern, " ")
		if method != "GET" || strings.HasPrefix(pattern, "/api/") || strings.HasPrefix(pattern, "/static/") || pattern == "/healthz" {
			continue
		}
		pages++
		path := s.fill(t, pattern)
		b.Open(path)
		b.WaitFor("the page of "+path, `document.querySelector("h1") !== null`)
		b.CheckPage()
		b.Shot(strings.Trim(pattern, "/"))
	}
	if pages < 12 {
		t.Fatalf("opened %d pages; is the route table the real one?", pages)
	}

	b.Open(fmt.Sprintf("/organizations/%d/setup/secrets", s.orgA.ID))
	b.Fill("secrets-bot", "xoxp-1234567890-user-token")
	b.Fill("secrets-app", "xapp-short")
	b.Fill("secrets-signing", "not-hex")
	b.Click("form.form button[type=submit]")
	b.WaitFor("the secrets' errors", `document.querySelector(".field-error") !== null`)
	b.CheckPage()
	b.Shot("secrets-errors")

	b.Open(fmt.Sprintf("/organizations/%d/ask", s.orgA.ID))
	b.Fill("ask-q", "how do I restart ingest?")
	b.Click("form.form button[type=submit]")
	b.WaitText("#answer h2", "Answer")
	b.CheckPage()
	b.Shot("answered")

	b.Open("/no/such/page")
	b.WaitText("h1", "Not found")
	b.CheckPage()
	b.Shot("not-found")
	b.Open(fmt.Sprintf("/organizations/%d/workspaces", s.orgB.ID))
	b.WaitText("h1", "Not found")
	b.Shot("another-organization")

	b.Click("form.logout button")
	signInAs(b, s.memberA.Email)
	b.Open(fmt.Sprintf("/organizations/%d/setup", s.orgA.ID))
	b.WaitText("h1", "You may not do this")
	b.CheckPage()
	b.Shot("forbidden")
}

// signInAs signs in on the login page shown, with the fixture's password.
func signInAs(b *browsertest.Browser, email string) {
	b.Fill("login-email", email)
	b.Fill("login-password", testPassword)
	b.Click("form.form button[type=submit]")
}

// signInAt opens path, which sends a signed-out browser to the login page,
// and signs in there, which leads back to path.
func signInAt(b *browsertest.Browser, path, email string) {
	b.Open(path)
	signInAs(b, email)
}
