package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"lore/app/apptest"
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
