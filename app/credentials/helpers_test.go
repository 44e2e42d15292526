package credentials

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lore/app/slack"
	"lore/app/slackfake"
	"lore/app/vault"
	"lore/storage"
	"lore/storage/secret"
)

// Realistic-looking secrets; each has a long distinctive middle that the leak
// tests look for besides the whole value.
var (
	good = secret.Slack{
		BotToken:      "xoxb-1234567890-0987654321-GoodBotTokenQ7vZ9f3a",
		AppToken:      "xapp-1-A0GOOD0APP-1234567890123-5d8e2f4a6c7b9d1e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d",
		SigningSecret: "8f2b0c6d1e4a7f9b3c5d2e8a1f0b6c4d",
	}
	legacyA = secret.Slack{
		BotToken:      "xoxb-1111111111-2222222222-LegacyAlphaBotToken",
		AppToken:      "xapp-1-A0LEGACYA-1111111111111-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		SigningSecret: "aaaabbbbccccddddeeeeffff00001111",
	}
	legacyB = secret.Slack{
		BotToken:      "xoxb-3333333333-4444444444-LegacyBravoBotToken",
		SigningSecret: "99998888777766665555444433332222",
	}
	revokedBot = "xoxb-5555555555-6666666666-RevokedBotTokenXYZ"
	revokedApp = "xapp-1-A0REVOKED-5555555555555-deaddeaddeaddeaddeaddeaddeaddeaddeaddeaddeaddeaddeaddeaddeaddead"
)

// secretNeedles returns every secret of cs and a distinctive piece of each.
func secretNeedles(cs ...secret.Slack) []string {
	var out []string
	for _, c := range cs {
		for _, s := range []string{c.BotToken, c.AppToken, c.SigningSecret} {
			if s == "" {
				continue
			}
			out = append(out, s, s[len(s)/2-6:len(s)/2+6])
		}
	}
	return out
}

func assertNoSecret(t *testing.T, where string, data []byte, needles []string) {
	t.Helper()
	for _, n := range needles {
		if bytes.Contains(data, []byte(n)) {
			t.Errorf("%s contains secret material %q", where, secret.Mask(n))
		}
	}
}

// testKeyring returns a keyring with a generated key as version 1.
func testKeyring(t testing.TB) *vault.Keyring {
	t.Helper()
	material, err := vault.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := vault.ParseKey(material, vault.KDF{})
	if err != nil {
		t.Fatal(err)
	}
	r := vault.NewKeyring()
	r.Add(1, k)
	if err := r.SetActive(1); err != nil {
		t.Fatal(err)
	}
	return r
}

type env struct {
	svc   *Service
	store *storage.Store
	org   int64
	keys  *vault.Keyring
	dir   string
}

// newEnv opens a fresh database in a temporary directory, with an
// organization owning workspace T0123ABCD, and a Service talking to slackURL.
func newEnv(t *testing.T, slackURL string, logger *slog.Logger) *env {
	t.Helper()
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx := context.Background()
	dir := t.TempDir()
	store, err := storage.Open(ctx, filepath.Join(dir, "lore.db"), os.DirFS("../../migrations"), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	org, err := store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateWorkspace(ctx, org.ID, "T0123ABCD", ""); err != nil {
		t.Fatal(err)
	}
	keys := testKeyring(t)
	svc, err := New(store, keys, logger, Options{
		Slack: slackClient(t, slackURL),
		Now:   func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, store: store, org: org.ID, keys: keys, dir: dir}
}

// slackClient is a Slack client of url that gives up on a request after 2 s.
func slackClient(t testing.TB, url string) *slack.Client {
	t.Helper()
	c, err := slack.New(slack.Options{APIURL: url, HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) addWorkspace(t *testing.T, id string) {
	t.Helper()
	if _, err := e.store.CreateWorkspace(context.Background(), e.org, id, ""); err != nil {
		t.Fatal(err)
	}
}

func (e *env) seedPlaintext(t *testing.T, id string, c secret.Slack) {
	t.Helper()
	ctx := context.Background()
	err := e.store.Tx(ctx, func(tx *storage.Tx) error {
		return tx.SetLegacyCredentials(ctx, e.org, id, c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// seedLeftover writes plaintext beside encrypted credentials, as the
// original system's phase one could leave them, with SQL of its own since
// storage offers no way to make that state.
func (e *env) seedLeftover(t *testing.T, id string, c secret.Slack) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(e.dir, "lore.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`UPDATE installations SET bot_token = ?, app_token = ?, signing_secret = ? WHERE workspace_id = ?`,
		c.BotToken, c.AppToken, c.SigningSecret, id)
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) record(t *testing.T, id string) storage.CredentialRecord {
	t.Helper()
	rec, err := e.store.Credentials(context.Background(), e.org, id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func (e *env) audit(t *testing.T, action string) []storage.AuditEntry {
	t.Helper()
	list, err := e.store.ListAudit(context.Background(), storage.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

const otherWorkspaceBot = "xoxb-7777777777-8888888888-OtherWorkspaceBot"

// newFakeSlack is a fake Slack knowing this package's tokens: good and the
// legacy ones belong to Acme, otherWorkspaceBot to another workspace, and
// the revoked ones are revoked.
func newFakeSlack(t *testing.T) *slackfake.Server {
	t.Helper()
	f := slackfake.New(t)
	for _, token := range []string{good.BotToken, legacyA.BotToken, legacyB.BotToken} {
		f.AddBot(token, slackfake.Acme)
	}
	f.AddBot(otherWorkspaceBot, slackfake.Team{ID: "T0OTHER", Name: "Other", URL: "https://other.slack.com/", BotUserID: "U0OTHER"})
	f.AddApp(good.AppToken)
	f.AddApp(legacyA.AppToken)
	f.Revoke(revokedBot)
	f.Revoke(revokedApp)
	return f
}

// closedURL is the URL of a Slack that is no longer listening.
func closedURL(t *testing.T) string { return slackfake.ClosedURL(t) }
