package ui

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"lore/app/instance"
	"lore/app/notify"
	"lore/app/notify/smtptest"
)

// TestInstancePageForEachRole: the instance owner sees the SMTP server,
// the model, the keys and every organization, each value's source named;
// an organization's owner, admin or member who is not the instance owner
// gets the 403 page, signed out the login.
func TestInstancePageForEachRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	b.signIn(f.ownerA.Email)
	page := wantPage(t, b.get("/instance"), http.StatusOK)
	wantLabels(t, page)
	wantContains(t, page, "the instance page",
		`<a href="/instance">Instance</a>`,
		"<dt>In force from</dt><dd>nowhere: not configured</dd>", "extractive: no model is configured",
		"the development key file "+f.app.Config.DataDir, "<td>1</td><td>yes</td>",
		`<a href="/organizations/`+strconv.FormatInt(f.orgA.ID, 10)+`">Org A</a> (you: owner)`,
		"Org B (you are not a member)", `value="`+f.ownerA.Email+`"`,
	)
	if strings.Contains(page, "days old: rotate it") {
		t.Error("a new key is said to need rotation")
	}
	for _, who := range []testUser{f.adminA, f.memberA, f.ownerB} {
		o := newBrowser(t, f.h)
		o.signIn(who.Email)
		denied := wantPage(t, o.get("/instance"), http.StatusForbidden)
		if !strings.Contains(denied, "only the instance owner") {
			t.Errorf("%s: %s", who.Email, denied)
		}
		if strings.Contains(denied, `href="/instance"`) {
			t.Errorf("%s is shown the Instance link", who.Email)
		}
		wantPage(t, o.post("/instance/organizations", url.Values{"name": {"Sneaky"}}), http.StatusForbidden)
	}
	wantDenied(t, "/instance", f.do(t, "GET", "/instance", "", ""), http.StatusUnauthorized, "unauthenticated")

	// The active key past 90 days is warned about.
	db, err := sql.Open("sqlite", f.app.Config.DatabasePath()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := time.Now().UTC().Add(-120 * 24 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	if _, err := db.Exec(`UPDATE encryption_keys SET created_at = ?`, old); err != nil {
		t.Fatal(err)
	}
	page = wantPage(t, b.get("/instance"), http.StatusOK)
	if !strings.Contains(page, "The active key (version 1) is 120 days old: rotate it with <code>lore keys rotate</code> (advised every 90 days).") {
		t.Fatalf("no rotation warning: %s", page)
	}
}

// TestInstanceSMTPForm: bad fields give the form again with each problem
// beside its field and what was typed, never the password; good ones are
// saved (post/redirect/get) and shown from the database; the test mail
// goes to the address typed through the saved server.
func TestInstanceSMTPForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	b.signIn(f.ownerA.Email)
	const password = "smtp-secret-password-4242"

	// No server yet: the test mail says so.
	_, w := b.follow(b.post("/instance/smtp/test", url.Values{"to": {f.ownerA.Email}}))
	if page := wantPage(t, w, http.StatusOK); !strings.Contains(page, "No test mail was sent: no SMTP server is configured.") {
		t.Fatalf("test mail without a server: %s", page)
	}

	bad := url.Values{"host": {"smtp example"}, "port": {"abc"}, "tls": {"starttls"}, "username": {"mailer"},
		"password": {password}, "from": {"not-an-address"}}
	page := wantPage(t, b.post("/instance/smtp", bad), http.StatusUnprocessableEntity)
	wantContains(t, page, "the SMTP form again",
		`id="smtp-host-error">host must be a host name or address`, `id="smtp-port-error">port must be 1-65535`,
		`id="smtp-from-error">from must be an email address`, `value="smtp example"`, `value="abc"`, `value="not-an-address"`,
		`value="mailer"`,
	)
	if strings.Contains(page, password) {
		t.Fatal("the page puts the typed password back")
	}
	if v, _ := f.app.Notify.Settings(context.Background()); v.Source != "none" {
		t.Fatalf("bad settings saved: %+v", v)
	}
	if w := b.post("/instance/smtp", bad, "Sec-Fetch-Site", "cross-site"); w.Code != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", w.Code)
	}

	srv := smtptest.Start(t)
	good := url.Values{"host": {srv.Host}, "port": {strconv.Itoa(srv.Port)}, "tls": {"none"}, "from": {"lore@example.com"}}
	loc, w := b.follow(b.post("/instance/smtp", good))
	page = wantPage(t, w, http.StatusOK)
	if loc != "/instance#smtp" || !strings.Contains(page, "The SMTP settings are saved.") ||
		!strings.Contains(page, "<dd>the database (saved here)</dd>") || !strings.Contains(page, srv.Host+":"+strconv.Itoa(srv.Port)+" (none)") ||
		!strings.Contains(page, `id="smtp-host" name="host" type="text" spellcheck="false" value="`+srv.Host+`"`) {
		t.Fatalf("after saving: %s %s", loc, page)
	}

	// A bad address is named beside the field; a good one gets the mail.
	page = wantPage(t, b.post("/instance/smtp/test", url.Values{"to": {"someone at example"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(page, `id="test-to-error">To must be an email address`) || !strings.Contains(page, `value="someone at example"`) {
		t.Fatalf("bad test address: %s", page)
	}
	_, w = b.follow(b.post("/instance/smtp/test", url.Values{"to": {"ops@example.com"}}))
	if page := wantPage(t, w, http.StatusOK); !strings.Contains(page, "A test mail went to ops@example.com through "+srv.Host) ||
		!strings.Contains(page, "instance settings, 1 attempt(s)") {
		t.Fatalf("test mail: %s", page)
	}
	if mails := srv.Mails(); len(mails) != 1 || mails[0].To[0] != "ops@example.com" || mails[0].Subject != "Lore: test mail" {
		t.Fatalf("the server got %+v", mails)
	}

	// A password is stored, shown masked, never put back in the form.
	withPassword := url.Values{"host": {srv.Host}, "port": {strconv.Itoa(srv.Port)}, "tls": {"none"}, "from": {"lore@example.com"},
		"username": {"mailer"}, "password": {password}}
	_, w = b.follow(b.post("/instance/smtp", withPassword))
	page = wantPage(t, w, http.StatusOK)
	if strings.Contains(page, password) || !strings.Contains(page, "<dd>stored, smtp-…4242</dd>") || !strings.Contains(page, "Leave empty to keep the stored one.") {
		t.Fatalf("with a password: %s", page)
	}
	// Saving again without one keeps it (and so needs the username); the
	// remove box removes it.
	page = wantPage(t, b.post("/instance/smtp", good), http.StatusUnprocessableEntity)
	if !strings.Contains(page, `id="smtp-password-error">password needs a username`) {
		t.Fatalf("the kept password without a username: %s", page)
	}
	good.Set("username", "mailer")
	b.follow(b.post("/instance/smtp", good))
	if v, _ := f.app.Notify.Settings(context.Background()); v.Password == "" {
		t.Fatal("an empty password field removed the stored password")
	}
	good.Set("remove_password", "true")
	b.follow(b.post("/instance/smtp", good))
	if v, _ := f.app.Notify.Settings(context.Background()); v.Password != "" || v.Username != "mailer" {
		t.Fatalf("after removing the password: %+v", v)
	}
}

// TestInstanceLLMAndOrganizationForms: the model form names its bad fields
// and keeps what was typed but the key; a good one is saved with the key
// masked; an organization is created with the owner as its owner.
func TestInstanceLLMAndOrganizationForms(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	b.signIn(f.ownerA.Email)
	const apiKey = "sk-model-secret-key-98765"

	bad := url.Values{"base_url": {"ftp://models.example"}, "model": {"llama3.1"}, "api_key": {apiKey}, "timeout_seconds": {"soon"}}
	page := wantPage(t, b.post("/instance/llm", bad), http.StatusUnprocessableEntity)
	wantContains(t, page, "the model form again",
		`id="llm-base-url-error">base_url must be an absolute http:// or https:// URL`, `id="llm-timeout-error">timeout_seconds must be 1-300`,
		`value="ftp://models.example"`, `value="soon"`, `value="llama3.1"`,
	)
	if strings.Contains(page, apiKey) {
		t.Fatal("the page puts the typed API key back")
	}
	good := url.Values{"base_url": {"http://localhost:11434/v1"}, "model": {"llama3.1"}, "api_key": {apiKey}, "timeout_seconds": {"30"}}
	loc, w := b.follow(b.post("/instance/llm", good))
	page = wantPage(t, w, http.StatusOK)
	if loc != "/instance#llm" || !strings.Contains(page, "The model endpoint is saved.") || strings.Contains(page, apiKey) ||
		!strings.Contains(page, "<dd>stored, sk-…8765</dd>") || !strings.Contains(page, `value="http://localhost:11434/v1"`) ||
		!strings.Contains(page, `id="llm-timeout" name="timeout_seconds" type="text" inputmode="decimal" value="30"`) {
		t.Fatalf("after saving the model: %s %s", loc, page)
	}

	if !strings.Contains(page, `name="remove_api_key"`) {
		t.Fatal("no box to remove the stored key")
	}
	// Saving without a key keeps it; the box removes it.
	delete(good, "api_key")
	b.follow(b.post("/instance/llm", good))
	if v, _ := f.app.Instance.LLM(context.Background()); v.APIKey == "" || v.TimeoutSeconds != 30 {
		t.Fatalf("an empty key field removed the key: %+v", v)
	}
	good.Set("remove_api_key", "true")
	_, w = b.follow(b.post("/instance/llm", good))
	if v, _ := f.app.Instance.LLM(context.Background()); v.APIKey != "" || !v.Enabled {
		t.Fatalf("after removing the key: %+v", v)
	}
	if page := wantPage(t, w, http.StatusOK); strings.Contains(page, `name="remove_api_key"`) || !strings.Contains(page, "<dt>API key</dt><dd>none</dd>") {
		t.Fatalf("after removing the key: %s", page)
	}

	page = wantPage(t, b.post("/instance/organizations", url.Values{"name": {"  "}}), http.StatusUnprocessableEntity)
	if !strings.Contains(page, `id="org-name-error">The name `) {
		t.Fatalf("empty organization name: %s", page)
	}
	loc, w = b.follow(b.post("/instance/organizations", url.Values{"name": {"Org C"}}))
	page = wantPage(t, w, http.StatusOK)
	if loc != "/instance#organizations" || !strings.Contains(page, "The organization Org C is created; you are its owner.") ||
		!strings.Contains(page, `">Org C</a> (you: owner)`) {
		t.Fatalf("after creating Org C: %s %s", loc, page)
	}
}

// TestInstancePageNamesTheEnvironment: values the environment sets are
// said to come from it, and what is saved here is said to wait behind it.
func TestInstancePageNamesTheEnvironment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.app.Notify.SaveSettings(ctx, "user:1", notify.Input{Host: "saved.example", Port: 587, TLS: "starttls", From: "lore@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Instance.SetLLM(ctx, "user:1", instance.LLMChange{BaseURL: "http://saved.example/v1", Model: "saved-model"}); err != nil {
		t.Fatal(err)
	}
	f.app.Notify = notify.New(f.app.Store, f.app.Keyring, f.app.Logger, notify.Options{Env: &notify.Config{Host: "env.example", Port: 465,
		TLS: "tls", Username: "env-user", Password: "env-password-secret-1", From: "env@example.com"}})
	f.app.Instance = instance.New(f.app.Store, f.app.Keyring, instance.Env{BaseURL: "http://env.example/v1", Model: "env-model", Timeout: 20 * time.Second})
	f.app.Config.Keys.Key = "a passphrase from the environment"

	b := newBrowser(t, f.h)
	b.signIn(f.ownerA.Email)
	page := wantPage(t, b.get("/instance"), http.StatusOK)
	wantContains(t, page, "the instance page",
		"<dd>the environment (LORE_SMTP_URL)</dd>", "<dd>env.example:465 (tls)</dd>",
		"Settings are saved here too, but the environment's are in force while LORE_SMTP_URL is set.",
		"<dd>the environment (LORE_LLM_BASE_URL)</dd>", "<dd>env-model</dd>",
		"An endpoint is saved here too (http://saved.example/v1, saved-model), but the environment's is in force",
		`value="http://saved.example/v1"`, "<dd>the environment (ENCRYPTION_KEY)</dd>",
	)
	if strings.Contains(page, "env-password-secret-1") || strings.Contains(page, "a passphrase from the environment") {
		t.Fatal("the page shows a secret of the environment")
	}
	// The SMTP form does not offer the environment's values to save.
	if strings.Contains(page, `value="env.example"`) {
		t.Fatal("the SMTP form holds the environment's server")
	}
}
