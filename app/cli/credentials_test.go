package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lore/app"
	"lore/app/keys"
	"lore/app/slackfake"
	"lore/app/vault"
	"lore/storage"
	"lore/storage/secret"
)

const (
	cliBotToken      = "xoxb-1234567890-0987654321-GoodBotTokenQ7vZ9f3a"
	cliAppToken      = "xapp-1-A0GOOD0APP-1234567890123-5d8e2f4a6c7b9d1e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d"
	cliSigningSecret = "8f2b0c6d1e4a7f9b3c5d2e8a1f0b6c4d"
	cliRevokedBot    = "xoxb-5555555555-6666666666-RevokedBotTokenXYZ"
	cliLegacyBot     = "xoxb-1111111111-2222222222-LegacyAlphaBotToken"
)

var cliSecrets = []string{cliBotToken, cliAppToken, cliSigningSecret, cliRevokedBot, cliLegacyBot,
	"GoodBotTokenQ7vZ", "5d8e2f4a6c7b9d1e", "3c5d2e8a1f0b", "RevokedBotToken", "LegacyAlpha"}

// cliFakeSlack is a fake Slack where the CLI tests' tokens are good and the
// revoked bot token is revoked.
func cliFakeSlack(t *testing.T) string {
	t.Helper()
	f := slackfake.New(t)
	f.AddBot(cliBotToken, slackfake.Acme)
	f.AddApp(cliAppToken)
	f.Revoke(cliRevokedBot)
	return f.URL()
}

// cliSetup makes a data directory with a database holding one organization,
// and the environment that points lore at it and at Slack.
func cliSetup(t *testing.T) (map[string]string, int64) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	key, err := vault.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"LORE_DATA_DIR": dir, "ENCRYPTION_KEY": key, "LORE_SLACK_API_URL": cliFakeSlack(t)}
	a, err := app.Open(ctx, app.Config{DataDir: dir, Keys: keys.Source{Key: key, DataDir: dir}},
		os.DirFS("../../migrations"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	org, err := a.Store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	return vars, org.ID
}

// runLore runs a command as main does and checks that its output holds no
// secret.
func runLore(t *testing.T, vars map[string]string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), Env{
		Args:       args,
		Getenv:     func(k string) string { return vars[k] },
		Stdin:      strings.NewReader(""),
		Stdout:     &stdout,
		Stderr:     &stderr,
		Migrations: os.DirFS("../../migrations"),
		Version:    "test",
	})
	out := stdout.String() + stderr.String()
	if err != nil {
		out += err.Error()
	}
	for _, s := range cliSecrets {
		if strings.Contains(out, s) {
			t.Errorf("lore %s printed a secret:\n%s", strings.Join(args, " "), out)
		}
	}
	return stdout.String(), err
}

func withVars(base map[string]string, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func TestImportEnv(t *testing.T) {
	t.Parallel()
	vars, org := cliSetup(t)
	orgArg := "--org=" + itoa(org)
	slackVars := map[string]string{"SLACK_BOT_TOKEN": cliBotToken, "SLACK_APP_TOKEN": cliAppToken, "SLACK_SIGNING_SECRET": cliSigningSecret + "\n"}

	t.Run("missing variables", func(t *testing.T) {
		_, err := runLore(t, withVars(vars, map[string]string{"SLACK_BOT_TOKEN": cliBotToken}), "credentials", "import-env", orgArg)
		var usage *UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), "not set: SLACK_APP_TOKEN, SLACK_SIGNING_SECRET") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no org", func(t *testing.T) {
		_, err := runLore(t, withVars(vars, slackVars), "credentials", "import-env")
		var usage *UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), "--org") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		_, err := runLore(t, withVars(vars, map[string]string{"SLACK_BOT_TOKEN": cliAppToken, "SLACK_APP_TOKEN": cliAppToken, "SLACK_SIGNING_SECRET": "xyz"}),
			"credentials", "import-env", orgArg)
		if err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN must start with xoxb-") ||
			!strings.Contains(err.Error(), "SLACK_SIGNING_SECRET must be 32 hexadecimal characters") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		_, err := runLore(t, withVars(vars, withVars(slackVars, map[string]string{"SLACK_BOT_TOKEN": cliRevokedBot})),
			"credentials", "import-env", orgArg)
		if err == nil || err.Error() != "Slack rejected SLACK_BOT_TOKEN: token_revoked; nothing was stored" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unknown org", func(t *testing.T) {
		_, err := runLore(t, withVars(vars, slackVars), "credentials", "import-env", "--org=999")
		if err == nil || !strings.Contains(err.Error(), "no organization 999") {
			t.Errorf("err = %v", err)
		}
	})
	if t.Failed() {
		return
	}

	out, err := runLore(t, withVars(vars, slackVars), "credentials", "import-env", orgArg)
	if err != nil {
		t.Fatalf("import-env: %v\n%s", err, out)
	}
	for _, want := range []string{
		"connected workspace Acme (T0123ABCD) to organization " + itoa(org),
		"stored the Slack credentials of T0123ABCD encrypted (key version 1): bot token xoxb-…9f3a",
		"verified with Slack: team Acme, bot user U0BOT",
		"SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_SIGNING_SECRET can now be removed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	a := openApp(t, vars)
	got, err := a.Credentials.Get(context.Background(), "test", org, "T0123ABCD")
	if err != nil || got != (secret.Slack{BotToken: cliBotToken, AppToken: cliAppToken, SigningSecret: cliSigningSecret}) {
		t.Errorf("stored credentials differ: %v", err)
	}
	a.Close()

	// Again: the workspace exists, the credentials are replaced.
	if out, err := runLore(t, withVars(vars, slackVars), "credentials", "import-env", orgArg); err != nil || strings.Contains(out, "connected workspace") {
		t.Errorf("second import-env: %v\n%s", err, out)
	}
}

func openApp(t *testing.T, vars map[string]string) *app.App {
	t.Helper()
	dir := vars["LORE_DATA_DIR"]
	a, err := app.Open(context.Background(), app.Config{DataDir: dir, Keys: keys.Source{Key: vars["ENCRYPTION_KEY"], DataDir: dir}},
		os.DirFS("../../migrations"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCredentialsMigrateCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	vars, org := cliSetup(t)
	store, err := storage.Open(ctx, filepath.Join(vars["LORE_DATA_DIR"], "lore.db"), os.DirFS("../../migrations"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"T0A", "T0B"} {
		if _, err := store.CreateWorkspace(ctx, org, id, ""); err != nil {
			t.Fatal(err)
		}
	}
	err = store.Tx(ctx, func(tx *storage.Tx) error {
		return tx.SetLegacyCredentials(ctx, org, "T0A", secret.Slack{BotToken: cliLegacyBot, SigningSecret: cliSigningSecret})
	})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}

	if _, err := runLore(t, vars, "credentials", "migrate", "--workspace", "T0NOPE"); err == nil || !strings.Contains(err.Error(), "no workspace T0NOPE") {
		t.Errorf("migrate of an unknown workspace: %v", err)
	}
	out, err := runLore(t, vars, "credentials", "migrate")
	if err != nil || out != "migrated 1, skipped 1, failed 0\n" {
		t.Fatalf("migrate: %q, %v", out, err)
	}
	out, err = runLore(t, vars, "credentials", "migrate", "--workspace", "T0A")
	if err != nil || out != "migrated 0, skipped 1, failed 0\n" {
		t.Fatalf("migrate again: %q, %v", out, err)
	}
	a := openApp(t, vars)
	defer a.Close()
	if got, err := a.Credentials.Get(ctx, "test", org, "T0A"); err != nil || got.BotToken != cliLegacyBot {
		t.Errorf("migrated credentials differ: %v", err)
	}
}

func TestOfferEnvImport(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	offerEnvImport(Env{Stdout: &out, Getenv: func(k string) string {
		return map[string]string{"SLACK_BOT_TOKEN": cliBotToken, "SLACK_SIGNING_SECRET": cliSigningSecret}[k]
	}})
	if got := out.String(); !strings.HasPrefix(got, "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET are set in the environment.") ||
		!strings.Contains(got, "lore credentials import-env --org ID") || strings.Contains(got, cliBotToken) {
		t.Errorf("offer = %q", got)
	}
	out.Reset()
	offerEnvImport(Env{Stdout: &out, Getenv: func(string) string { return "" }})
	if out.Len() != 0 {
		t.Errorf("offer without variables = %q", out.String())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
