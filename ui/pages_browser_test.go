package ui

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lore/app"
	"lore/app/accounts"
	"lore/app/apptest"
	"lore/app/jobs/importjob"
	"lore/app/jobs/importjob/importtest"
	"lore/app/keys"
	"lore/app/slackfake"
	"lore/app/vault"
	"lore/ui/browsertest"
)

// serveUI serves the app's pages on a real local server.
func serveUI(t *testing.T, a *app.App) string {
	t.Helper()
	srv := httptest.NewServer(New(a, os.DirFS("static"), os.DirFS("templates")))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowserFirstRunSignupAndLogout: in Chromium, the first run's form
// creates the owner, who lands on the Slack setup, logs out, mistypes the
// password, and signs in again.
func TestBrowserFirstRunSignupAndLogout(t *testing.T) {
	t.Parallel()
	a := apptest.Open(t)
	b := browsertest.New(t, serveUI(t, a))

	b.Open("/")
	b.WaitText("h1", "Welcome to Lore")
	b.CheckPage()
	b.Shot("first-run-form")
	b.Fill("setup-email", "owner@example.com")
	b.Fill("setup-password", "short")
	b.Fill("setup-organization", "Acme")
	b.Click("form.form button[type=submit]")
	b.WaitText("#setup-password-error", "Password")
	b.Shot("first-run-short-password")
	if v := b.Text("#setup-organization"); v != "" {
		t.Logf("organization field text %q", v)
	}
	b.Fill("setup-password", "a-long-enough-password")
	b.Click("form.form button[type=submit]")
	b.WaitText(".flash", "Welcome!")
	if p := b.Path(); !strings.HasPrefix(p, "/organizations/") || !strings.HasSuffix(p, "/setup") {
		t.Fatalf("after signup the browser is at %s, want the Slack setup", p)
	}
	b.CheckPage()
	b.Shot("signed-up-wizard")

	b.Click("form.logout button")
	b.WaitText(".flash", "You are signed out.")
	if p := b.Path(); p != "/login" {
		t.Fatalf("after logout: %s", p)
	}
	b.CheckPage()
	b.Shot("signed-out")

	b.Fill("login-email", "owner@example.com")
	b.Fill("login-password", "not-the-password")
	b.Click("form.form button[type=submit]")
	b.WaitText(".flash-error", "Wrong email or password.")
	b.Shot("wrong-password")
	b.Fill("login-password", "a-long-enough-password")
	b.Click("form.form button[type=submit]")
	b.WaitText("h1", "Dashboard of Acme")
	b.CheckPage()
	b.Shot("signed-in")
}

// wizardApp is an app whose Slack is the fake, with an owner who signs in
// with testPassword, and the fake importer running imports.
func wizardApp(t *testing.T, slackURL string, imp importjob.Importer) (*app.App, int64) {
	t.Helper()
	ctx := context.Background()
	key, err := vault.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The fake Slack allows more than Slack's tiers: no test waits on pacing.
	rates := map[string]int{"conversations.history": 6000, "conversations.replies": 6000, "conversations.list": 6000,
		"users.list": 6000, "conversations.join": 6000, "apps.connections.open": 6000}
	a, err := app.Open(ctx, app.Config{DataDir: dir, Keys: keys.Source{Key: key, DataDir: dir}, SlackAPIURL: slackURL,
		SlackHistoryRate: 6000, SlackRates: rates},
		os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.Accounts = accounts.New(a.Store, a.Logger, accounts.WithHashParams(accounts.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	_, org, err := a.Accounts.AddUser(ctx, accounts.NewUser{Email: "owner@acme.test", Password: testPassword, OrgName: "Acme", Role: "owner"}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	importjob.Register(a.Jobs, imp)
	if err := a.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return a, org.ID
}

// TestBrowserSetupWizard walks the whole wizard against the fake Slack:
// the manifest, the secrets checked as they are typed and stored, the
// connection tested, and a first sync from an export whose progress bar
// reaches 100%.
func TestBrowserSetupWizard(t *testing.T) {
	t.Parallel()
	slack := fakeSlackAPI(t)
	a, orgID := wizardApp(t, slack.URL(), &importtest.Fake{Delay: 150 * time.Millisecond})
	b := browsertest.New(t, serveUI(t, a))

	b.Open(fmt.Sprintf("/organizations/%d/setup", orgID))
	b.Fill("login-email", "owner@acme.test")
	b.Fill("login-password", testPassword)
	b.Click("form.form button[type=submit]")

	// 1. The manifest and the clicks in Slack.
	b.WaitText("h2", "Create the Slack app")
	if m := b.Text("#manifest"); !strings.Contains(m, "socket_mode_enabled: true") {
		t.Fatalf("manifest %q", m)
	}
	b.CheckPage()
	b.Shot("wizard-1-manifest")
	b.Click("a.button.primary")

	// 2. The secrets, checked as they are typed.
	b.WaitText("h2", "Paste the three secrets")
	b.Fill("secrets-bot", "xoxp-1234567890-user-token")
	b.WaitText("#secrets-bot-check", "looks like a user token")
	b.Fill("secrets-signing", "not-hex")
	b.WaitText("#secrets-signing-check", "32 hexadecimal characters")
	b.CheckPage()
	b.Shot("wizard-2-typing-mistakes")
	b.Fill("secrets-bot", testBotToken)
	b.Fill("secrets-app", testAppToken)
	b.Fill("secrets-signing", testSigningSecret)
	b.WaitText("#secrets-bot-check", "looks right")
	b.WaitText("#secrets-signing-check", "looks right")
	b.Shot("wizard-2-secrets-look-right")
	b.Click("form.form button[type=submit]")

	// 3. Test the connection.
	b.WaitText(".flash", "stored, encrypted")
	if p := b.Path(); p != "/workspaces/"+slackfake.Acme.ID+"/setup/test" {
		t.Fatalf("after the secrets: %s", p)
	}
	page := b.Text("main")
	for _, s := range credSecrets {
		if strings.Contains(page, s) {
			t.Fatalf("the page shows a secret: %s", page)
		}
	}
	b.CheckPage()
	b.Shot("wizard-3-before-test")
	b.Click("main form button.primary")
	b.WaitText(".flash", "Connected to Acme as bot user U0BOT")
	b.CheckPage()
	b.Shot("wizard-4-connected")

	// 4. First sync: an export, followed to 100%.
	export := filepath.Join(t.TempDir(), "acme-export.zip")
	if err := os.WriteFile(export, exportZip(t, []string{"general", "deploys"}, 3, 20, 0), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Upload("sync-file", export)
	b.Tap("#export-form button[type=submit]") // sent by the page's script, which counts the bytes
	b.WaitText("h1", "Importing a Slack export")
	b.Shot("wizard-4-import-running")
	b.WaitFor("the progress bar reaches 100%", `document.querySelector("progress").value === 100 && document.querySelector("[data-job-url]").dataset.finished === "succeeded"`)
	b.WaitText("#job-detail", "2 channels, 120 messages new")
	b.CheckPage()
	b.Shot("wizard-4-import-done")
	b.Click("[data-job-done] a.button.primary")
	b.WaitText("h1", "Ask")
	b.CheckPage()
	b.Shot("ask-first-question")

	// The workspace's page shows it all, masked.
	b.Open("/workspaces/" + slackfake.Acme.ID)
	b.WaitText(".status-valid", "valid")
	b.CheckPage()
	b.Shot("workspace-page")
}

// TestBrowserBackfillThenAsk: against the fake Slack, the wizard's step 4
// starts a backfill of the workspace's channels whose progress bar reaches
// 100%; then a question on the Ask page is answered from the backfilled
// history, its source linking to the Slack message, and the 👍 is taken.
func TestBrowserBackfillThenAsk(t *testing.T) {
	t.Parallel()
	slack := fakeSlackAPI(t)
	base := time.Now().Add(-72 * time.Hour).Unix()
	slack.AddUser(slackfake.User{ID: "U1", Name: "maya", RealName: "Maya Chen", DisplayName: "maya"})
	slack.AddChannel(slackfake.Channel{ID: "C0DEPLOYS", Name: "deploys", Member: true})
	slack.AddChannel(slackfake.Channel{ID: "C0GENERAL", Name: "general", Member: true})
	answerTS := fmt.Sprintf("%d.000100", base)
	slack.Post("C0DEPLOYS", slackfake.Message{TS: answerTS, User: "U1",
		Text: "The deploy runbook lives in Notion under Engineering → Runbooks → Deploys."})
	for i := range 30 {
		slack.Post("C0GENERAL", slackfake.Message{TS: fmt.Sprintf("%d.%06d", base+int64(60*(i+1)), i+1), User: "U1",
			Text: fmt.Sprintf("lunch note %d: the canteen opens at noon", i)})
	}
	a, orgID := wizardApp(t, slack.URL(), &importtest.Fake{})
	b := browsertest.New(t, serveUI(t, a))

	b.Open(fmt.Sprintf("/organizations/%d/setup/secrets", orgID))
	b.Fill("login-email", "owner@acme.test")
	b.Fill("login-password", testPassword)
	b.Click("form.form button[type=submit]")
	b.WaitText("h2", "Paste the three secrets")
	b.Fill("secrets-bot", testBotToken)
	b.Fill("secrets-app", testAppToken)
	b.Fill("secrets-signing", testSigningSecret)
	b.Click("form.form button[type=submit]")
	b.WaitText(".flash", "stored, encrypted")
	b.Click("main form button.primary")
	b.WaitText(".flash", "Connected to Acme")
	b.CheckPage()
	b.Shot("sync-step")

	// 4. The backfill, followed to 100% on the job's page.
	b.Fill("backfill-days", "30")
	b.Click("#backfill-form button[type=submit]")
	b.WaitText("h1", "Backfilling from Slack")
	b.Shot("backfill-running")
	b.WaitFor("the progress bar reaches 100%", `document.querySelector("progress").value === 100 && document.querySelector("[data-job-url]").dataset.finished === "succeeded"`)
	b.CheckPage()
	b.Shot("backfill-done")
	if detail := b.Text("#job-detail"); !strings.Contains(detail, "31") {
		t.Errorf("the job's detail %q does not count the 31 messages", detail)
	}

	// The workspace page lists the channels with their counts.
	b.Open("/workspaces/" + slackfake.Acme.ID)
	b.WaitText("#channels", "#general")
	b.CheckPage()
	b.Shot("workspace-channels")

	// An answered question whose source is the Slack message.
	b.Open(fmt.Sprintf("/organizations/%d/ask", orgID))
	b.Fill("ask-q", "where is the deploy runbook?")
	b.Click("form.form button[type=submit]")
	b.WaitText("#answer h2", "Answer")
	b.CheckPage()
	b.Shot("answered")
	want := "https://acme.slack.com/archives/C0DEPLOYS/p" + strings.Replace(answerTS, ".", "", 1)
	got := browsertest.Get(b, "source href", chromedp.Evaluate[string](`document.querySelector("#answer .sources a").href`))
	if got != want {
		t.Fatalf("the source links to %q, want the Slack message %q", got, want)
	}
	b.Click(`#answer button[value="true"]`)
	b.WaitText(".flash", "this answer helped")
	b.Shot("feedback-taken")
	qs, err := a.Answers.ListQuestions(context.Background(), orgID, nil, 10)
	if err != nil || len(qs) != 1 || !qs[0].Answered || qs[0].Helpful == nil || !*qs[0].Helpful {
		t.Fatalf("questions logged %+v %v", qs, err)
	}
}

// TestBrowserAskShowsSources: an answer on the Ask page links its sources
// to the Slack messages. The asker here is a test's stand-in for the
// answers service (issue 10) behind the page's seam.
func TestBrowserAskShowsSources(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	permalink := "https://acme.slack.com/archives/C0DEPLOYS/p1700000000000100"
	f.withAsker(t, &fakeAsker{answer: askAnswer{Answered: true, Text: "Deploys go out on Tuesdays.", Confidence: 82,
		Sources: []askSource{{Title: "#deploys · 2023-11-14", Text: "we deploy on tuesdays", Permalink: permalink}}}})
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	b := browsertest.New(t, srv.URL)
	b.Open(fmt.Sprintf("/organizations/%d/ask", f.orgA.ID))
	b.Fill("login-email", f.memberA.Email)
	b.Fill("login-password", testPassword)
	b.Click("form.form button[type=submit]")
	b.Fill("ask-q", "when do we deploy?")
	b.Click("form.form button[type=submit]")
	b.WaitText("#answer", "Deploys go out on Tuesdays.")
	if href := b.Text("#answer .sources a"); href != "#deploys · 2023-11-14" {
		t.Fatalf("source link text %q", href)
	}
	got := browsertest.Get(b, "source href", chromedp.Evaluate[string](`document.querySelector("#answer .sources a").href`))
	if got != permalink {
		t.Fatalf("the source links to %q, want the Slack message %q", got, permalink)
	}
	b.CheckPage()
	b.Shot("answer-with-sources")
}
