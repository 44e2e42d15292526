package app_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"lore/app"
	"lore/app/apptest"
	"lore/app/keys"
	"lore/app/notify"
	"lore/app/notify/smtptest"
	"lore/app/slackfake"
	"lore/app/vault"
	"lore/storage"
	"lore/storage/secret"
)

// TestCredentialCheckFindsRevokedTokensAndTellsTheAdmins: the daily check
// re-verifies every workspace; one whose bot token Slack revoked shows
// is_valid false and its organization's admins get one mail, not another
// at the next check.
func TestCredentialCheckFindsRevokedTokensAndTellsTheAdmins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const (
		bot     = "xoxb-1234567890-0987654321-GoodBotTokenQ7vZ9f3a"
		xapp    = "xapp-1-A0GOOD0APP-1234567890123-5d8e2f4a6c7b9d1e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d"
		signing = "8f2b0c6d1e4a7f9b3c5d2e8a1f0b6c4d"
	)
	fake := slackfake.New(t)
	fake.AddBot(bot, slackfake.Acme)
	fake.AddApp(xapp)
	mails := smtptest.Start(t)
	key, _ := vault.GenerateKey()
	dir := t.TempDir()
	a, err := app.Open(ctx, app.Config{DataDir: dir, Keys: keys.Source{Key: key, DataDir: dir}, SlackAPIURL: fake.URL(),
		SMTP: &notify.Config{Host: mails.Host, Port: mails.Port, TLS: notify.TLSNone, From: "lore@acme.test"}},
		os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	org, err := a.Store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	err = a.Store.Tx(ctx, func(tx *storage.Tx) error {
		for email, role := range map[string]string{"admin@acme.test": storage.RoleAdmin, "member@acme.test": storage.RoleMember} {
			u, err := tx.CreateUser(ctx, email, "x", false)
			if err != nil {
				return err
			}
			if _, err := tx.AddMembership(ctx, org.ID, u.ID, role); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ws := slackfake.Acme.ID
	if _, err := a.Store.CreateWorkspace(ctx, org.ID, ws, "Acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.CreateWorkspace(ctx, org.ID, "T0NOCREDS", "Empty"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Credentials.Store(ctx, "user:1", org.ID, ws, secret.Slack{BotToken: bot, AppToken: xapp, SigningSecret: signing}); err != nil {
		t.Fatal(err)
	}
	if line, err := a.CheckCredentials(ctx); err != nil || line != "1 valid, 0 invalid (0 newly), 0 not reachable, 1 without credentials" {
		t.Fatalf("first check: %q %v", line, err)
	}
	fake.Revoke(bot)
	if line, err := a.CheckCredentials(ctx); err != nil || !strings.HasPrefix(line, "0 valid, 1 invalid (1 newly)") {
		t.Fatalf("after the revoke: %q %v", line, err)
	}
	rec, err := a.Store.Credentials(ctx, org.ID, ws)
	if err != nil || rec.IsValid || rec.LastVerifiedAt.IsZero() {
		t.Fatalf("record after the revoke: valid=%v verified=%v %v", rec.IsValid, rec.LastVerifiedAt, err)
	}
	got := mails.Mails()
	if len(got) != 1 || strings.Join(got[0].To, ",") != "admin@acme.test" || got[0].Subject != "Lore: Slack rejected the credentials of Acme" ||
		!strings.Contains(got[0].Text, "token_revoked") || !strings.Contains(got[0].Text, "paste a new one") || strings.Contains(string(got[0].Raw), "GoodBotToken") {
		t.Fatalf("mails = %+v", got)
	}
	if line, err := a.CheckCredentials(ctx); err != nil || !strings.HasPrefix(line, "0 valid, 1 invalid (0 newly)") || len(mails.Mails()) != 1 {
		t.Fatalf("the next check: %q %v, %d mails", line, err, len(mails.Mails()))
	}
}
