package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lore/storage"
	"lore/storage/secret"
)

// TestNightlyBackupRestoresIntoAFreshDataDirectory: the nightly copy,
// restored with lore restore into an empty data directory, holds every
// message and setting, and its credentials open with the key (which the
// backup never holds).
func TestNightlyBackupRestoresIntoAFreshDataDirectory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	vars, org := cliSetup(t)
	a := openApp(t, vars)
	if _, err := a.Store.CreateWorkspace(ctx, org, "T0123ABCD", "Acme"); err != nil {
		t.Fatal(err)
	}
	creds := secret.Slack{BotToken: cliBotToken, AppToken: cliAppToken, SigningSecret: cliSigningSecret}
	if _, err := a.Credentials.Store(ctx, "user:1", org, "T0123ABCD", creds); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Settings.Patch(ctx, org, "user:1", map[string]json.RawMessage{"message_retention_days": json.RawMessage("400")}); err != nil {
		t.Fatal(err)
	}
	err := a.Store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
		if err := w.UpsertChannel(ctx, storage.Channel{WorkspaceID: "T0123ABCD", ID: "C1", Name: "general"}); err != nil {
			return err
		}
		for _, ts := range []string{"1780000000.000100", "1780000001.000100", "1780000002.000100"} {
			if _, err := w.Put(ctx, storage.Message{WorkspaceID: "T0123ABCD", ChannelID: "C1", TS: ts, Text: "the runbook is at " + ts}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Eight nights: the newest seven stay.
	night := time.Date(2026, 12, 1, 3, 30, 0, 0, time.UTC)
	var path string
	for i := range 8 {
		if path, _, err = a.Store.NightlyBackup(ctx, night.AddDate(0, 0, i)); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	backups, _ := filepath.Glob(filepath.Join(vars["LORE_DATA_DIR"], "backups", "lore-nightly-*.db"))
	if len(backups) != storage.KeptNightlyBackups || filepath.Base(backups[0]) != "lore-nightly-20261202T033000.000Z.db" {
		t.Fatalf("backups = %v, want the newest 7", backups)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.Contains(e.Name(), "key") {
			t.Fatalf("%s lies beside the backups", e.Name())
		}
	}

	fresh := withVars(vars, map[string]string{"LORE_DATA_DIR": t.TempDir()})
	out, err := runLore(t, fresh, "restore", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "restored") || strings.Contains(out, "kept at") {
		t.Fatalf("restore said %q", out)
	}
	b := openApp(t, fresh)
	defer b.Close()
	if n, _ := b.Store.CountMessages(ctx, "T0123ABCD"); n != 3 {
		t.Fatalf("restored %d messages, want 3", n)
	}
	if set, err := b.Settings.Get(ctx, org); err != nil || set.Int("message_retention_days") != 400 {
		t.Fatalf("settings = %+v %v", set, err)
	}
	got, err := b.Credentials.Get(ctx, "user:1", org, "T0123ABCD")
	if err != nil || got.BotToken != cliBotToken || got.SigningSecret != cliSigningSecret {
		t.Fatalf("credentials do not open with the key: %v", err)
	}
}

func TestRestoreChecksTheFileAndKeepsTheReplacedDatabase(t *testing.T) {
	t.Parallel()
	vars, _ := cliSetup(t)
	dir := vars["LORE_DATA_DIR"]
	notDB := filepath.Join(t.TempDir(), "notes.db")
	os.WriteFile(notDB, []byte("this is not a database at all, just some text"), 0o600)
	if _, err := runLore(t, vars, "restore", notDB); err == nil || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Fatalf("restore of a text file: %v", err)
	}
	if _, err := runLore(t, vars, "restore", filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("restore of a missing file succeeded")
	}
	// A copy of the database itself, restored over it: the old one goes aside.
	a := openApp(t, vars)
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if err := a.Store.Backup(context.Background(), copyPath); err != nil {
		t.Fatal(err)
	}
	a.Close()
	out, err := runLore(t, vars, "restore", copyPath)
	if err != nil {
		t.Fatal(err)
	}
	aside, _ := filepath.Glob(filepath.Join(dir, "backups", "lore-replaced-*.db"))
	if len(aside) != 1 || !strings.Contains(out, aside[0]) {
		t.Fatalf("replaced database kept at %v; restore said %q", aside, out)
	}
	if err := storage.IntegrityCheck(context.Background(), aside[0]); err != nil {
		t.Fatal(err)
	}
}
