package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"lore/app/credentials"
	"lore/app/jobs/importjob"
	"lore/app/jobs/importjob/importtest"
	"lore/app/slack"
	"lore/app/slackfake"
	"lore/storage"
	"lore/storage/secret"
)

// useSlack points the fixture's credentials service at a fake Slack, and
// rebuilds the handler over it.
func (f *fixture) useSlack(t *testing.T, fake *slackfake.Server) {
	t.Helper()
	client, err := slack.New(slack.Options{APIURL: fake.URL(), Logger: f.app.Logger})
	if err != nil {
		t.Fatal(err)
	}
	f.app.Slack = client
	if f.app.Credentials, err = credentials.New(f.app.Store, f.app.Keyring, f.app.Logger, credentials.Options{Slack: client}); err != nil {
		t.Fatal(err)
	}
	f.h = New(f.app, os.DirFS("static"), os.DirFS("templates"))
}

// wantNoSecret fails when a page holds any of the test secrets.
func wantNoSecret(t testing.TB, page string) {
	t.Helper()
	for _, s := range credSecrets {
		if strings.Contains(page, s) {
			t.Fatalf("the page holds the secret %q: %s", s, page)
		}
	}
}

// TestEveryPageRendersForEachRole walks the route table's pages: each GET
// page renders whole, with a label on every field and the logout button,
// for every role allowed; a role that is not is refused with a page (403),
// another organization's owner gets the 404 page, anonymous the login.
func TestEveryPageRendersForEachRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	roles := []struct {
		name  string
		token string
		role  string
	}{
		{"owner", f.ownerA.Token, storage.RoleOwner},
		{"admin", f.adminA.Token, storage.RoleAdmin},
		{"member", f.memberA.Token, storage.RoleMember},
	}
	pages := 0
	for _, rt := range f.routeTableOf(t) {
		method, pattern, _ := strings.Cut(rt.pattern, " ")
		if method != "GET" || strings.HasPrefix(pattern, "/api/") || rt.access == public || pattern == "/healthz" {
			continue
		}
		pages++
		path := f.fill(t, pattern)
		for _, who := range roles {
			w := f.do(t, "GET", path, who.token, "")
			admin := rt.access == orgAdmin || rt.access == workspaceAdmin || rt.access == jobAdmin || rt.access == documentAdmin
			if admin && who.role == storage.RoleMember {
				if page := wantPage(t, w, http.StatusForbidden); !strings.Contains(page, "admin role") {
					t.Errorf("%s as member: %s", path, page)
				}
				continue
			}
			if rt.access == instanceOwner && who.role != storage.RoleOwner {
				if page := wantPage(t, w, http.StatusForbidden); !strings.Contains(page, "only the instance owner") {
					t.Errorf("%s as %s: %s", path, who.name, page)
				}
				continue
			}
			page := wantPage(t, w, http.StatusOK)
			wantLabels(t, page)
			if !strings.Contains(page, `action="/logout"`) {
				t.Errorf("%s as %s: no logout", path, who.name)
			}
		}
		switch rt.access {
		case orgMember, orgAdmin, workspaceMember, workspaceAdmin, jobMember, jobAdmin, documentMember, documentAdmin:
			wantPage(t, f.do(t, "GET", path, f.ownerB.Token, ""), http.StatusNotFound)
		}
		wantDenied(t, path, f.do(t, "GET", path, "", ""), http.StatusUnauthorized, "unauthenticated")
	}
	if pages < 10 {
		t.Fatalf("walked %d pages; is the route table the real one?", pages)
	}
}

func (f *fixture) routeTableOf(t *testing.T) []route {
	h, err := newHandler(f.app, os.DirFS("static"), os.DirFS("templates"))
	if err != nil {
		t.Fatal(err)
	}
	return h.routeTable()
}

// TestWizardSecretsStep: bad secrets give the form again with each
// field's problem and never the values typed; Slack's refusal says how to
// fix it; good ones connect the workspace, store the secrets and go on to
// step 3 (post/redirect/get), which shows them masked.
func TestWizardSecretsStep(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.useSlack(t, fakeSlackAPI(t))
	b := newBrowser(t, f.h)
	b.signIn(f.adminA.Email)
	path := fmt.Sprintf("/organizations/%d/setup/secrets", f.orgA.ID)

	page := wantPage(t, b.get(path), http.StatusOK)
	wantLabels(t, page)

	bad := url.Values{"bot_token": {"xoxp-1234567890-user"}, "app_token": {testAppToken}, "signing_secret": {"nothex"}}
	page = wantPage(t, b.post(path, bad), http.StatusUnprocessableEntity)
	if !strings.Contains(page, "Bot token must start with xoxb- (this looks like a user token") ||
		!strings.Contains(page, "Signing secret must be 32 hexadecimal characters") || strings.Contains(page, "App-level token must") {
		t.Fatalf("bad secrets: %s", page)
	}
	if strings.Contains(page, "xoxp-1234567890-user") || strings.Contains(page, "nothex") {
		t.Fatalf("the page puts typed secrets back: %s", page)
	}
	wantNoSecret(t, page)

	revoked := url.Values{"bot_token": {testRevokedBot}, "app_token": {testAppToken}, "signing_secret": {testSigningSecret}}
	page = wantPage(t, b.post(path, revoked), http.StatusUnprocessableEntity)
	if !strings.Contains(page, "revoked") || !strings.Contains(page, "Reinstall to Workspace") {
		t.Fatalf("revoked bot token: %s", page)
	}
	wantNoSecret(t, page)
	if list, _ := f.app.Accounts.ListWorkspaces(context.Background(), f.orgA.ID); len(list) != 1 {
		t.Fatalf("workspaces after refusals: %v", list)
	}

	good := url.Values{"bot_token": {" " + testBotToken + "\n"}, "app_token": {testAppToken}, "signing_secret": {testSigningSecret}}
	loc, w := b.follow(b.post(path, good))
	if loc != "/workspaces/"+slackfake.Acme.ID+"/setup/test" {
		t.Fatalf("after good secrets: %s", loc)
	}
	page = wantPage(t, w, http.StatusOK)
	if !strings.Contains(page, "stored, encrypted") || !strings.Contains(page, "not_verified") || !strings.Contains(page, "xoxb-…") {
		t.Fatalf("step 3: %s", page)
	}
	wantNoSecret(t, page)
	ws, err := f.app.Accounts.Workspace(context.Background(), f.orgA.ID, slackfake.Acme.ID)
	if err != nil || ws.TeamName != "Acme" {
		t.Fatalf("workspace %+v, %v", ws, err)
	}

	// Step 3 runs verify and goes on to step 4 with what Slack said.
	loc, w = b.follow(b.post("/workspaces/"+ws.ID+"/setup/test", nil))
	if loc != "/workspaces/"+ws.ID+"/setup/sync" || !strings.Contains(w.Body.String(), "Connected to Acme as bot user U0BOT") ||
		!strings.Contains(w.Body.String(), "/invite @lore") {
		t.Fatalf("verify: %s %s", loc, w.Body)
	}

	// Another organization cannot take the same Slack workspace.
	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	page = wantPage(t, other.post(fmt.Sprintf("/organizations/%d/setup/secrets", f.orgB.ID), good), http.StatusUnprocessableEntity)
	if !strings.Contains(page, "another organization") {
		t.Fatalf("a workspace of another organization: %s", page)
	}
	wantNoSecret(t, page)
}

// TestWizardTestStepFixIts: each way the connection fails is said with
// how to fix it.
func TestWizardTestStepFixIts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fake := fakeSlackAPI(t)
	fake.Revoke("xapp-1-A0REVOKED-1234567890123-revokedrevoked")
	f.useSlack(t, fake)
	b := newBrowser(t, f.h)
	b.signIn(f.ownerA.Email)
	for _, c := range []struct {
		name        string
		bot, app    string
		want        []string
		backToStep3 bool
	}{
		// Good tokens of the Acme workspace stored for workspace TAAAA1.
		{"wrong workspace", testBotToken, testAppToken, []string{"another workspace (Acme, T0123ABCD)"}, true},
		{"bot token revoked", testRevokedBot, testAppToken, []string{"revoked", "Reinstall to Workspace"}, true},
		{"unknown bot token", "xoxb-0000000000-0000000000-UnknownBotToken", testAppToken, []string{"invalid_auth", "Bot User OAuth Token"}, true},
	} {
		form := url.Values{"bot_token": {c.bot}, "app_token": {c.app}, "signing_secret": {testSigningSecret}}
		if loc, _ := b.follow(b.post("/workspaces/"+f.wsA+"/setup/secrets", form)); loc != "/workspaces/"+f.wsA+"/setup/test" {
			t.Fatalf("%s: stored to %s", c.name, loc)
		}
		loc, w := b.follow(b.post("/workspaces/"+f.wsA+"/setup/test", nil))
		page := wantPage(t, w, http.StatusOK)
		if loc != "/workspaces/"+f.wsA+"/setup/test" || !strings.Contains(page, "flash-error") {
			t.Fatalf("%s: %s %s", c.name, loc, page)
		}
		for _, s := range c.want {
			if !strings.Contains(page, s) {
				t.Errorf("%s: the page does not say %q: %s", c.name, s, page)
			}
		}
		wantNoSecret(t, page)
	}
	// The app-level token of a good bot token, refused.
	if got := fixIt("app_token: invalid_auth", credentials.Result{}); !strings.Contains(got, "App-Level Tokens") {
		t.Errorf("fixIt for a bad app-level token: %s", got)
	}
	if got := fixIt("app_token: some_other_error", credentials.Result{}); !strings.Contains(got, "Enable Socket Mode") {
		t.Errorf("fixIt for Socket Mode off: %s", got)
	}
}

// TestSecretsCheckedAsTyped: the JSON check the form calls runs Validate
// and stores nothing.
func TestSecretsCheckedAsTyped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	b.signIn(f.adminA.Email)
	w := b.do("POST", checkSecretsPath, strings.NewReader(`{"bot_token":"xapp-1-abc","app_token":"","signing_secret":"`+testSigningSecret+`"}`), "application/json")
	e := wantError(t, w, http.StatusUnprocessableEntity, "invalid_credentials")
	if !strings.Contains(e.Error.Fields["bot_token"], "looks like the app-level token") || e.Error.Fields["app_token"] != "is required" ||
		e.Error.Fields["signing_secret"] != "" {
		t.Fatalf("fields %v", e.Error.Fields)
	}
	w = b.do("POST", checkSecretsPath, strings.NewReader(`{"bot_token":"`+testBotToken+`","app_token":"`+testAppToken+`","signing_secret":"`+testSigningSecret+`"}`), "application/json")
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("good secrets: %d %s", w.Code, w.Body)
	}
	wantError(t, send(t, f.h, "POST", checkSecretsPath, `{}`, nil), http.StatusUnauthorized, "unauthenticated")
}

// TestPageFormsNeedTheSameOrigin: a form posted from another site is
// refused (CrossOriginProtection) and changes nothing.
func TestPageFormsNeedTheSameOrigin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	b.signIn(f.ownerA.Email)
	for _, path := range []string{"/workspaces/" + f.wsA + "/delete", "/workspaces/" + f.wsA + "/setup/secrets", "/logout"} {
		w := b.post(path, url.Values{"confirm": {f.wsA}, "bot_token": {testBotToken}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		wantPage(t, w, http.StatusForbidden)
	}
	if _, err := f.app.Accounts.Workspace(context.Background(), f.orgA.ID, f.wsA); err != nil {
		t.Fatalf("the workspace went: %v", err)
	}
	if w := b.get("/workspaces/" + f.wsA); w.Code != http.StatusOK {
		t.Fatalf("signed out by a cross-site logout: %d", w.Code)
	}
}

// TestWorkspacePageAndDelete: members see the state but no credentials;
// admins see them masked; deletion names what goes and needs the id typed.
func TestWorkspacePageAndDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.app.Credentials.Store(ctx, "test", f.orgA.ID, f.wsA, credentialsOf(testBotToken)); err != nil {
		t.Fatal(err)
	}
	err := f.app.Store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
		if err := w.EnsureChannel(ctx, f.wsA, "C1"); err != nil {
			return err
		}
		for _, ts := range []string{"1700000000.000100", "1700000001.000100", "1700000002.000100"} {
			if _, err := w.Put(ctx, storage.Message{WorkspaceID: f.wsA, ChannelID: "C1", TS: ts, UserID: "U1", Text: "hello"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Accounts.CountMessages(ctx, f.orgB.ID, f.wsA); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another organization counts the workspace's messages: %v", err)
	}
	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	page := wantPage(t, member.get("/workspaces/"+f.wsA), http.StatusOK)
	if !strings.Contains(page, "A&#39;s Slack") || strings.Contains(page, "Slack credentials") || strings.Contains(page, "xoxb-") {
		t.Fatalf("member's workspace page: %s", page)
	}
	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	page = wantPage(t, admin.get("/workspaces/"+f.wsA), http.StatusOK)
	if !strings.Contains(page, "Slack credentials") || !strings.Contains(page, "xoxb-…9f3a") || !strings.Contains(page, "not_verified") ||
		!strings.Contains(page, `href="/workspaces/`+f.wsA+`/setup/test">Continue the setup: test the connection`) ||
		!strings.Contains(page, "Messages indexed</dt><dd>3</dd>") {
		t.Fatalf("admin's workspace page: %s", page)
	}
	if page := wantPage(t, admin.get(fmt.Sprintf("/organizations/%d/workspaces", f.orgA.ID)), http.StatusOK); !strings.Contains(page, "Messages indexed</dt><dd>3</dd>") {
		t.Fatalf("workspaces page: %s", page)
	}
	wantNoSecret(t, page)

	page = wantPage(t, admin.get("/workspaces/"+f.wsA+"/delete"), http.StatusOK)
	for _, s := range []string{"Slack secrets", "every message", "jobs"} {
		if !strings.Contains(page, s) {
			t.Errorf("the confirmation does not name %q", s)
		}
	}
	loc, w := admin.follow(admin.post("/workspaces/"+f.wsA+"/delete", url.Values{"confirm": {"TWRONG"}}))
	if loc != "/workspaces/"+f.wsA+"/delete" || !strings.Contains(w.Body.String(), "nothing was deleted") {
		t.Fatalf("wrong confirmation: %s %s", loc, w.Body)
	}
	if _, err := f.app.Accounts.Workspace(ctx, f.orgA.ID, f.wsA); err != nil {
		t.Fatalf("deleted without confirmation: %v", err)
	}
	loc, w = admin.follow(admin.post("/workspaces/"+f.wsA+"/delete", url.Values{"confirm": {f.wsA}}))
	if loc != fmt.Sprintf("/organizations/%d/workspaces", f.orgA.ID) || !strings.Contains(w.Body.String(), "is deleted") ||
		strings.Contains(w.Body.String(), `href="/workspaces/`+f.wsA+`"`) {
		t.Fatalf("delete: %s %s", loc, w.Body)
	}
	if _, err := f.app.Accounts.Workspace(ctx, f.orgA.ID, f.wsA); err == nil {
		t.Fatal("the workspace is still there")
	}
}

// TestUploadPage: a file that is not an export gives the form again with
// the reason; an export goes to its job's page, which members may follow.
func TestUploadPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	importjob.Register(f.app.Jobs, &importtest.Fake{})
	if err := f.app.Jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	page := wantPage(t, admin.upload("/workspaces/"+f.wsA+"/import", "file", "notes.txt", []byte("hello")), http.StatusUnprocessableEntity)
	if !strings.Contains(page, "The file is not a usable Slack export: not a ZIP archive") || !strings.Contains(page, `id="sync-file"`) {
		t.Fatalf("not a zip: %s", page)
	}
	loc, w := admin.follow(admin.upload("/workspaces/"+f.wsA+"/import", "file", "export.zip", exportZip(t, []string{"general"}, 2, 5, 0)))
	if !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("after the upload: %s", loc)
	}
	page = wantPage(t, w, http.StatusOK)
	if !strings.Contains(page, `data-job-url="/api`+loc+`"`) || !strings.Contains(page, "<progress") {
		t.Fatalf("job page: %s", page)
	}
	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var job jobJSON
		if err := json.Unmarshal(member.get("/api"+loc).Body.Bytes(), &job); err != nil {
			t.Fatal(err)
		}
		if job.FinishedAt != nil {
			if job.Status != "succeeded" || job.Progress.Percent != 100 {
				t.Fatalf("job %+v", job)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import did not end: %+v", job)
		}
		time.Sleep(10 * time.Millisecond)
	}
	page = wantPage(t, member.get(loc), http.StatusOK)
	if !strings.Contains(page, `value="100"`) || !strings.Contains(page, "Ask your first question") || strings.Contains(page, "data-job-done hidden") {
		t.Fatalf("finished job page: %s", page)
	}
	// Before any Slack app: the organization's upload.
	loc, _ = admin.follow(admin.upload(fmt.Sprintf("/organizations/%d/import", f.orgA.ID), "file", "export.zip", exportZip(t, []string{"general"}, 1, 1, 0)))
	if !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("organization upload: %s", loc)
	}
}

func credentialsOf(bot string) secret.Slack {
	return secret.Slack{BotToken: bot, AppToken: testAppToken, SigningSecret: testSigningSecret}
}
