package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lore/app/apptest"
	"lore/storage"
)

func runSlack(t *testing.T, dataDir string, getenv map[string]string, args ...string) (string, error) {
	out, _, err := runSlackErr(t, dataDir, getenv, args...)
	return out, err
}

func runSlackErr(t *testing.T, dataDir string, getenv map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), Env{
		Args:       append([]string{"slack"}, append(args, "--data", dataDir, "--log-level", "error")...),
		Getenv:     func(k string) string { return getenv[k] },
		Stdin:      strings.NewReader(""),
		Stdout:     &out,
		Stderr:     &errOut,
		Migrations: os.DirFS(apptest.MigrationsDir()),
	})
	return out.String(), errOut.String(), err
}

// TestSlackManifestCommand: the Socket Mode manifest needs no database (the
// data directory stays empty); --http needs a connected workspace and an
// https public URL (from the flag or LORE_PUBLIC_URL), and each mistake is
// one readable line.
func TestSlackManifestCommand(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	out, err := runSlack(t, dir, nil, "manifest", "--name", "Acme Lore")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		DisplayInformation struct{ Name string } `json:"display_information"`
		Settings           struct {
			SocketModeEnabled bool `json:"socket_mode_enabled"`
		}
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.DisplayInformation.Name != "Acme Lore" || !m.Settings.SocketModeEnabled {
		t.Fatalf("manifest %v: %s", err, out)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the Socket Mode manifest touched the data directory: %v", err)
	}

	var usage *UsageError
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"manifest", "--http"}, "--http needs --workspace"},
		{[]string{"manifest", "--workspace", "T0123ABCD"}, "--workspace is for --http"},
		{[]string{"manifest", "--http", "--workspace", "T0123ABCD"}, "needs the public URL"},
		{[]string{"manifest", "--http", "--workspace", "T0123ABCD", "--public-url", "http://lore.example.com"}, "https://"},
		{[]string{"manifest", "--name", strings.Repeat("n", 40)}, "at most 35"},
		{[]string{"frob"}, "unknown slack command"},
	} {
		if _, err := runSlack(t, dir, nil, c.args...); !errors.As(err, &usage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want a usage error with %q", c.args, err, c.want)
		}
	}

	// With --workspace it reads the database, never creating one.
	if _, err := runSlack(t, dir, nil, "manifest", "--http", "--workspace", "T0123ABCD", "--public-url", "https://lore.example.com"); err == nil ||
		!strings.Contains(err.Error(), "no database") {
		t.Fatalf("without a database: %v", err)
	}
	if _, err := runUsers(t, dir, "first-password\n", "add", "--email", "a@example.com", "--password-stdin", "--org", "Acme", "--role", "owner"); err != nil {
		t.Fatal(err)
	}
	if _, err := runSlack(t, dir, nil, "manifest", "--http", "--workspace", "T0123ABCD", "--public-url", "https://lore.example.com"); err == nil ||
		!strings.Contains(err.Error(), "workspace T0123ABCD is not connected") {
		t.Fatalf("an unknown workspace: %v", err)
	}
	connectWorkspace(t, dir, 1, "T0123ABCD")
	out, errOut, err := runSlackErr(t, dir, map[string]string{"LORE_PUBLIC_URL": "https://lore.example.com"}, "manifest", "--http", "--workspace", "T0123ABCD")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"https://lore.example.com/slack/T0123ABCD/commands"`) || strings.Contains(out, `"socket_mode_enabled": true`) {
		t.Fatalf("HTTP manifest:\n%s", out)
	}
	if !strings.Contains(errOut, "uses Socket Mode") {
		t.Errorf("no note about the workspace's transport: %q", errOut)
	}
}

// connectWorkspace adds workspace id to organization org of the database in dir.
func connectWorkspace(t *testing.T, dir string, org int64, id string) {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(dir, "lore.db"), os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.CreateWorkspace(ctx, org, id, "Acme"); err != nil {
		t.Fatal(err)
	}
}
