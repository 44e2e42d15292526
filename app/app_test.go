package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"lore/app"
	"lore/app/apptest"
	"lore/storage"
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
		return tx.SetLegacyCredentials(ctx, org.ID, "T1", storage.LegacyCredentials{BotToken: "xoxb-legacy-plaintext"})
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
