package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lore/app"
	"lore/app/apptest"
	"lore/app/keys"
	"lore/storage"
	"lore/storage/secret"
)

// TestOpenWarnsAboutPlaintextCredentials: a database from the original
// system keeps plaintext secrets until they are migrated; every start says so.
func TestOpenWarnsAboutPlaintextCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	var logs bytes.Buffer
	open := func() *app.App {
		a, err := app.Open(ctx, app.Config{DataDir: dir}, os.DirFS(apptest.MigrationsDir()), slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	if len(a.Warnings) != 0 {
		t.Fatalf("warnings on a new database: %v", a.Warnings)
	}
	org, _ := a.Store.CreateOrganization(ctx, "Acme")
	a.Store.CreateWorkspace(ctx, org.ID, "T1", "Acme")
	err := a.Store.Tx(ctx, func(tx *storage.Tx) error {
		return tx.SetLegacyCredentials(ctx, org.ID, "T1", secret.Slack{BotToken: "xoxb-legacy-plaintext"})
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	a = open()
	defer a.Close()
	want := "1 workspace(s) still hold plaintext Slack credentials"
	if len(a.Warnings) != 1 || !strings.Contains(a.Warnings[0], want) || !strings.Contains(logs.String(), want) {
		t.Fatalf("warnings %v, want %q (also in the log)", a.Warnings, want)
	}
	if strings.Contains(logs.String(), "xoxb-legacy-plaintext") {
		t.Fatal("the plaintext reached the log")
	}
}

// TestOpensTheOriginalSystemsSecrets: a database whose credentials Python's
// cryptography Fernet encrypted with the original system's passphrase,
// fixed salt and 100000 iterations opens with ENCRYPTION_KEY,
// ENCRYPTION_SALT and ENCRYPTION_ITERATIONS, and a wrong passphrase is
// reported without recording anything. The token is from the shared Python
// vectors.
func TestOpensTheOriginalSystemsSecrets(t *testing.T) {
	t.Parallel()
	const (
		passphrase = "pass-6b1290a132c7"
		salt       = "salt-ac455616"
		token      = "gAAAAABqs-76sWAmeZeSJDOoRa5411ZOre3SDdoJtmxoDy_nmbUE1NifbIlufuthYmSPghLdBKQE71PzLy1lgmWFfLz5zX_1YnERF13t3JCAxXXK6iJ2bn8e32OHMQ7M-AwggxRQOJ1xRWlU3HfeUpvhk6hbLjEPpw=="
		plaintext  = "xapp-538010185524-598064842168-PVNPkNa1Hedcm4pMbXDuCL1m"
	)
	ctx := context.Background()
	dir := t.TempDir()
	// The original system's database: its schema, one workspace, its token.
	store, err := storage.Open(ctx, filepath.Join(dir, "lore.db"), os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	org, _ := store.CreateOrganization(ctx, "Acme")
	store.CreateWorkspace(ctx, org.ID, "T0123ABCD", "Acme")
	err = store.Tx(ctx, func(tx *storage.Tx) error {
		return tx.SaveEncryptedCredentials(ctx, org.ID, "T0123ABCD", storage.EncryptedCredentials{Slack: secret.Slack{AppToken: token}, Version: 1}, "")
	})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}

	open := func(pass string) *app.App {
		a, err := app.Open(ctx, app.Config{DataDir: dir, Keys: keys.Source{Key: pass, Salt: salt, Iterations: 100000}},
			os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	wrong := open("not-the-passphrase")
	if len(wrong.Warnings) != 1 || !strings.Contains(wrong.Warnings[0], "does not decrypt the stored secrets used by 1 workspace") {
		t.Fatalf("warnings with the wrong passphrase: %v", wrong.Warnings)
	}
	if v, _ := wrong.Store.KeyVersions(ctx); len(v) != 0 {
		t.Fatalf("the wrong passphrase was recorded as a key version: %+v", v)
	}
	wrong.Close()

	a := open(passphrase)
	defer a.Close()
	if len(a.Warnings) != 0 {
		t.Fatalf("warnings: %v", a.Warnings)
	}
	got, err := a.Credentials.Get(ctx, "test", org.ID, "T0123ABCD")
	if err != nil || got.AppToken != plaintext {
		t.Fatalf("the original system's app token: %v (matches: %v)", err, got.AppToken == plaintext)
	}
}
