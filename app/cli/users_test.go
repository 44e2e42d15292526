package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lore/app"
	"lore/app/apptest"
	"lore/storage"
)

func runUsers(t *testing.T, dataDir, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), Env{
		Args:       append([]string{"users"}, append(args, "--data", dataDir, "--log-level", "error")...),
		Getenv:     func(string) string { return "" },
		Stdin:      strings.NewReader(stdin),
		Stdout:     &out,
		Stderr:     &errOut,
		Migrations: os.DirFS(apptest.MigrationsDir()),
	})
	return out.String(), err
}

func TestUsersAddAndList(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, err := runUsers(t, dir, "first-password\n", "add", "--email", "a@example.com", "--password-stdin", "--org", "Acme", "--role", "owner")
	if err != nil || !strings.Contains(out, "a@example.com as owner") || !strings.Contains(out, "instance owner") {
		t.Fatalf("add first = %q, %v", out, err)
	}
	out, err = runUsers(t, dir, "second-password\r\n", "add", "--email", "b@example.com", "--password-stdin", "--org", "Acme", "--role", "member")
	if err != nil || strings.Contains(out, "instance owner") {
		t.Fatalf("add second = %q, %v", out, err)
	}
	out, err = runUsers(t, dir, "", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "a@example.com") || !strings.Contains(lines[1], "yes") ||
		!strings.Contains(lines[1], "Acme (1, owner)") || !strings.Contains(lines[2], "Acme (1, member)") {
		t.Fatalf("list =\n%s", out)
	}

	var usage *UsageError
	if _, err := runUsers(t, dir, "x-password\n", "add", "--email", "c@example.com", "--org", "Acme"); !errors.As(err, &usage) {
		t.Fatalf("without --password-stdin = %v, want a usage error", err)
	}
	if _, err := runUsers(t, dir, "short\n", "add", "--email", "c@example.com", "--password-stdin", "--org", "Acme", "--role", "boss"); !errors.As(err, &usage) ||
		!strings.Contains(err.Error(), "password") || !strings.Contains(err.Error(), "role") {
		t.Fatalf("bad password and role = %v", err)
	}
	if _, err := runUsers(t, dir, "another-password\n", "add", "--email", "A@example.com", "--password-stdin", "--org", "Acme"); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate email = %v", err)
	}
}

// TestUsersResetPassword: an admin locked out of the browser sets a new
// password from the command line; the user's sessions end and the reset is
// audited.
func TestUsersResetPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := runUsers(t, dir, "forgotten-password\n", "add", "--email", "a@example.com", "--password-stdin", "--org", "Acme", "--role", "owner"); err != nil {
		t.Fatal(err)
	}
	store, err := storage.Open(ctx, filepath.Join(dir, "lore.db"), os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sessionHash := strings.Repeat("ab", 32)
	err = store.Tx(ctx, func(tx *storage.Tx) error {
		_, err := tx.CreateSession(ctx, 1, sessionHash, time.Now().Add(time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	out, err := runUsers(t, dir, "a-brand-new-password\n", "reset-password", "--email", "A@example.com ", "--password-stdin")
	if err != nil || !strings.Contains(out, "a@example.com") || !strings.Contains(out, "1 session") {
		t.Fatalf("reset-password = %q, %v", out, err)
	}
	if _, _, err := store.SessionByHash(ctx, sessionHash, time.Now()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the session outlived the reset: %v", err)
	}
	audit, _ := store.ListAudit(ctx, storage.AuditFilter{Action: "user.password_reset"})
	if len(audit) != 1 || audit[0].Actor != "cli" || audit[0].Detail["user_id"] != float64(1) {
		t.Errorf("audit of the reset: %+v", audit)
	}
	a, err := app.Open(ctx, app.Config{DataDir: dir}, os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler), app.WithoutKeys())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Accounts.Login(ctx, "a@example.com", "a-brand-new-password", "127.0.0.1"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}

	var usage *UsageError
	if _, err := runUsers(t, dir, "another-password\n", "reset-password", "--email", "nobody@example.com", "--password-stdin"); err == nil ||
		!strings.Contains(err.Error(), "no user with email nobody@example.com") {
		t.Errorf("unknown email = %v", err)
	}
	if _, err := runUsers(t, dir, "short\n", "reset-password", "--email", "a@example.com", "--password-stdin"); !errors.As(err, &usage) || !strings.Contains(err.Error(), "password") {
		t.Errorf("short password = %v, want a usage error naming the password", err)
	}
	if _, err := runUsers(t, dir, "another-password\n", "reset-password", "--email", "a@example.com"); !errors.As(err, &usage) {
		t.Errorf("without --password-stdin = %v, want a usage error", err)
	}
}
