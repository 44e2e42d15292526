package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lore/app/vault"
)

// loreStdin is lore with standard input.
func loreStdin(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"lore"}, args...), envWith(env), strings.NewReader(stdin), &stdout, &stderr)
	code := exitCode(err, &stderr)
	return code, stdout.String(), stderr.String()
}

// postJSON posts body to url with client and decodes the answer into out.
func postJSON(t *testing.T, client *http.Client, url string, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := client.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// TestSystemdSetupFromTheReadme follows the README's systemd steps: the
// first user is added from a shell that has no key, then the service starts
// with ENCRYPTION_KEY_FILE. It must be healthy (not degraded) and store
// credentials: a command that needs no key must not create or record one.
func TestSystemdSetupFromTheReadme(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "var-lib-lore")
	keyFile := filepath.Join(t.TempDir(), "encryption.key") // /etc/lore, apart from the data
	key, _ := vault.GenerateKey()
	os.WriteFile(keyFile, []byte(key+"\n"), 0o600)

	shell := map[string]string{"LORE_DATA_DIR": dataDir} // no ENCRYPTION_KEY here
	code, out, stderr := loreStdin(t, shell, "a-long-owner-password\n",
		"users", "add", "--email", "owner@example.com", "--password-stdin", "--org", "Acme", "--role", "owner")
	if code != 0 {
		t.Fatalf("users add: %d %q %q", code, out, stderr)
	}
	if code, out, stderr := lore(t, shell, "users", "list"); code != 0 || !strings.Contains(out, "owner@example.com") {
		t.Fatalf("users list: %d %q %q", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "encryption.key")); err == nil {
		t.Fatal("users add created a development key file")
	}
	if code, out, stderr := lore(t, shell, "keys", "status"); code != 0 || !strings.Contains(out, "no key versions yet") {
		t.Fatalf("keys status after users add: %d %q %q", code, out, stderr)
	}

	url, stop := startServerEnv(t, map[string]string{"LORE_DATA_DIR": dataDir, "ENCRYPTION_KEY_FILE": keyFile})
	defer stop()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if health.Status != "ok" {
		t.Fatalf("healthz status %q, want ok", health.Status)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	if code := postJSON(t, client, url+"/api/auth/login", map[string]string{"email": "owner@example.com", "password": "a-long-owner-password"}, nil); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	if code := postJSON(t, client, url+"/api/organizations/1/workspaces", map[string]string{"workspace_id": "T0123ABCD", "name": "Acme"}, nil); code != http.StatusCreated {
		t.Fatalf("create workspace: %d", code)
	}
	var stored struct {
		EncryptionVersion int    `json:"encryption_version"`
		KeyProblem        string `json:"key_problem"`
	}
	code = postJSON(t, client, url+"/api/workspaces/T0123ABCD/credentials", map[string]string{
		"bot_token":      "xoxb-1234567890-0987654321-GoodBotTokenQ7vZ9f3a",
		"app_token":      "xapp-1-A0GOOD0APP-1234567890123-5d8e2f4a6c7b9d1e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d",
		"signing_secret": "8f2b0c6d1e4a7f9b3c5d2e8a1f0b6c4d",
	}, &stored)
	if code != http.StatusOK || stored.EncryptionVersion != 1 || stored.KeyProblem != "" {
		t.Fatalf("store credentials: %d %+v", code, stored)
	}
}

// TestReadOnlyCommandsNeverMigrate: users list and keys status on a
// database of an older or newer schema refuse, naming both versions and what
// to do, and leave the schema as it was.
func TestReadOnlyCommandsNeverMigrate(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	env := map[string]string{"LORE_DATA_DIR": dataDir}
	if code, _, stderr := lore(t, env, "migrate", "up"); code != 0 {
		t.Fatal(stderr)
	}
	latest := schemaVersion(t, dataDir)
	if code, _, stderr := lore(t, env, "migrate", "down"); code != 0 {
		t.Fatal(stderr)
	}
	older := schemaVersion(t, dataDir) // migration numbers may skip (each helper has its own)
	for _, args := range [][]string{{"users", "list"}, {"keys", "status"}} {
		code, _, stderr := lore(t, env, args...)
		want := "schema version " + itoa(older) + ", older than this lore's " + itoa(latest) + ": run lore migrate up"
		if code != 1 || !strings.Contains(stderr, want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s on schema %d: %d %q, want one line with %q", args, older, code, stderr, want)
		}
		if v := schemaVersion(t, dataDir); v != older {
			t.Fatalf("%s migrated the schema from %d to %d", args, older, v)
		}
	}

	// A command that writes beside a server, without its lock, does not
	// upgrade the schema under it either.
	code, _, stderr := loreStdin(t, env, "a-long-password\n", "users", "add", "--email", "a@example.com", "--password-stdin", "--org", "Acme")
	if want := "older than this lore's " + itoa(latest) + ": run lore migrate up"; code != 1 || !strings.Contains(stderr, want) || schemaVersion(t, dataDir) != older {
		t.Errorf("users add on schema %d: %d %q, want %q and the schema unchanged", older, code, stderr, want)
	}

	lore(t, env, "migrate", "up")
	db, err := sql.Open("sqlite", filepath.Join(dataDir, "lore.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)`, latest+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, args := range [][]string{{"users", "list"}, {"keys", "status"}} {
		code, _, stderr := lore(t, env, args...)
		want := "schema version " + itoa(latest+1) + ", newer than this lore's " + itoa(latest) + ": run a newer lore"
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("%s on schema %d: %d %q, want %q", args, latest+1, code, stderr, want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// schemaVersion reads the database's schema version without Lore.
func schemaVersion(t *testing.T, dataDir string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "lore.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int64
	if err := db.QueryRow(`SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestHealthzSaysWhenTheKeyIsDueForRotation: past 90 days the active key is
// due for rotation; /healthz says so in its details (and nothing about the
// key itself), and stays "ok".
func TestHealthzSaysWhenTheKeyIsDueForRotation(t *testing.T) {
	dataDir := t.TempDir()
	key, _ := vault.GenerateKey()
	env := map[string]string{"LORE_DATA_DIR": dataDir, "ENCRYPTION_KEY": key}
	health := func() string {
		url, stop := startServerEnv(t, env)
		defer stop()
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return b.String()
	}
	if body := health(); strings.Contains(body, "key_rotation_due") {
		t.Fatalf("healthz with a new key: %s", body)
	}
	db, err := sql.Open("sqlite", filepath.Join(dataDir, "lore.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`UPDATE encryption_keys SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-91 days') WHERE active`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	body := health()
	var got struct {
		Status  string         `json:"status"`
		Details map[string]any `json:"details"`
	}
	json.Unmarshal([]byte(body), &got)
	if got.Status != "ok" || got.Details["key_rotation_due"] != true || strings.Contains(body, key) || strings.Contains(body, "fingerprint") {
		t.Fatalf("healthz with a 91-day-old key: %s", body)
	}
}
