package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"lore/app/testlog"
)

func envWith(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// startServer runs lore serve as main does, on a free port, and returns its
// URL once /healthz answers, and a function that stops it and returns run's error.
func startServer(t *testing.T, dataDir string) (string, func() error) {
	t.Helper()
	return startServerEnv(t, map[string]string{"LORE_DATA_DIR": dataDir})
}

// startServerEnv is startServer with the whole environment given.
func startServerEnv(t *testing.T, env map[string]string) (string, func() error) {
	t.Helper()
	url, stop, _ := startServerLogs(t, env)
	return url, stop
}

// startServerLogs is startServerEnv that also returns the server's stderr.
func startServerLogs(t *testing.T, env map[string]string) (string, func() error, *testlog.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testlog.Buffer
	done := make(chan error, 1)
	go func() {
		// No command: serve is the default, as for a double-clicked binary.
		done <- run(ctx, []string{"lore", "--addr", "127.0.0.1:0"}, envWith(env),
			strings.NewReader(""), &stdout, &stderr)
	}()
	urlPattern := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited early: %v\nstderr: %s", err, stderr.String())
		default:
		}
		if url := urlPattern.FindString(stdout.String()); url != "" {
			resp, err := http.Get(url + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return url, func() error {
						cancel()
						select {
						case err := <-done:
							return err
						case <-time.After(20 * time.Second):
							t.Fatal("serve did not stop within 20 s of cancel")
							return nil
						}
					}, &stderr
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	t.Fatalf("no healthy server within 10 s; stdout: %q stderr: %q", stdout.String(), stderr.String())
	return "", nil, nil
}

func TestServeStartsHealthyAndStopsCleanly(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "nested", "data") // created on first run
	url, stop := startServer(t, dataDir)

	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status        string `json:"status"`
		SchemaVersion int64  `json:"schema_version"`
	}
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if health.Status != "ok" || health.SchemaVersion < 6 {
		t.Fatalf("healthz: %+v", health)
	}

	// The start page (the first run's form) and its stylesheet come from
	// the embedded files.
	resp, err = http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "<h1>Welcome to Lore</h1>") {
		t.Fatalf("start page: %d %.200s", resp.StatusCode, page)
	}
	css := regexp.MustCompile(`href="(/static/[0-9a-f]+/lore\.css)"`).FindStringSubmatch(string(page))
	if css == nil {
		t.Fatalf("start page links no stylesheet: %.400s", page)
	}
	if resp, err = http.Get(url + css[1]); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stylesheet %s: %v %v", css[1], resp, err)
	}
	resp.Body.Close()

	// A second server on the same data directory refuses to start.
	var stderr bytes.Buffer
	err = run(context.Background(), []string{"lore", "serve", "--addr", "127.0.0.1:0", "--data", dataDir}, envWith(nil),
		strings.NewReader(""), &bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "is using "+dataDir) {
		t.Fatalf("second serve: got %v, want a refusal naming %s", err, dataDir)
	}
	if code := exitCode(err, &bytes.Buffer{}); code != 1 {
		t.Errorf("second serve exit code %d, want 1", code)
	}

	if err := stop(); err != nil {
		t.Fatalf("serve returned %v after cancel, want nil", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "lore.db")); err != nil {
		t.Fatal(err)
	}
	// Stopped: the lock is free again.
	_, stop = startServer(t, dataDir)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// lore runs one command line and returns its exit code, stdout and stderr.
func lore(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"lore"}, args...), envWith(env), strings.NewReader(""), &stdout, &stderr)
	code := exitCode(err, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCommandLineErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notdb")
	os.MkdirAll(notDB, 0o700)
	os.WriteFile(filepath.Join(notDB, "lore.db"), []byte("hello, not sqlite"), 0o600)
	readOnly := filepath.Join(dir, "ro")
	os.MkdirAll(readOnly, 0o500)
	fileAsDir := filepath.Join(dir, "file")
	os.WriteFile(fileAsDir, nil, 0o600)

	cases := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "--frob"}, 2, "flag provided but not defined: -frob"},
		{"bad public URL", []string{"serve", "--data", dir, "--public-url", "lore.example.com"}, 2, "want an absolute http:// or https:// URL"},
		{"bad trusted proxy", []string{"serve", "--data", dir, "--trusted-proxies", "127.0.0.1,proxy.lan"}, 2, `trusted proxy "proxy.lan": want an IP address or a CIDR prefix`},
		{"unknown migrate command", []string{"migrate", "sideways", "--data", dir}, 2, `unknown migrate command "sideways"`},
		{"backup without path", []string{"backup", "--data", dir}, 2, "exactly one PATH"},
		{"bad log level", []string{"migrate", "status", "--data", dir, "--log-level", "loud"}, 2, `log level "loud"`},
		{"not a database", []string{"serve", "--addr", "127.0.0.1:0", "--data", notDB}, 1, filepath.Join(notDB, "lore.db") + " is not a SQLite database"},
		{"data dir is a file", []string{"serve", "--addr", "127.0.0.1:0", "--data", fileAsDir}, 1, "data directory " + fileAsDir},
		{"no database to back up", []string{"backup", "--data", filepath.Join(dir, "empty"), filepath.Join(dir, "b.db")}, 1, "no database at"},
		{"help", []string{"--help"}, 0, ""},
		{"command help", []string{"backup", "--help"}, 0, ""},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		cases = append(cases, struct {
			name     string
			args     []string
			code     int
			inStderr string
		}{"unwritable data dir", []string{"serve", "--addr", "127.0.0.1:0", "--data", readOnly}, 1, readOnly + " is not writable"})
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases = append(cases, struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{"address in use", []string{"serve", "--data", filepath.Join(dir, "busy"), "--addr", busy.Addr().String()}, 1, "the address is in use by another program"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := lore(t, nil, c.args...)
			if code != c.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.inStderr) {
				t.Errorf("stderr %q does not contain %q", stderr, c.inStderr)
			}
			if c.code == 1 && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("want one line on stderr, got %q", stderr)
			}
		})
	}
	if b, _ := os.ReadFile(filepath.Join(notDB, "lore.db")); string(b) != "hello, not sqlite" {
		t.Error("the non-SQLite file was modified")
	}
}

func TestMigrateAndBackupCommands(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	env := map[string]string{"LORE_DATA_DIR": dataDir}
	if code, _, stderr := lore(t, env, "migrate", "status"); code != 1 || !strings.Contains(stderr, "no database at") {
		t.Fatalf("status before any database: %d %q", code, stderr)
	}
	code, out, stderr := lore(t, env, "migrate", "up")
	if code != 0 {
		t.Fatalf("migrate up: %d %s", code, stderr)
	}
	if !regexp.MustCompile(`schema version \d+`).MatchString(out) {
		t.Fatalf("migrate up printed %q", out)
	}
	_, out, _ = lore(t, env, "migrate", "status")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 6 || !strings.HasPrefix(lines[5], "00006  00006_settings_and_encryption.sql") || !strings.Contains(lines[5], "applied") {
		t.Fatalf("status:\n%s", out)
	}
	_, out, _ = lore(t, env, "migrate", "down")
	_, status, _ := lore(t, env, "migrate", "status")
	if !strings.Contains(status, "pending") {
		t.Fatalf("after down (%q) status shows nothing pending:\n%s", out, status)
	}
	lore(t, env, "migrate", "up")

	dest := filepath.Join(t.TempDir(), "backup.db")
	code, out, stderr = lore(t, env, "backup", dest)
	if code != 0 || !strings.Contains(out, "integrity ok") {
		t.Fatalf("backup: %d %q %q", code, out, stderr)
	}
	if code, _, stderr = lore(t, env, "backup", dest); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("backup over an existing file: %d %q", code, stderr)
	}
	// Flags may follow the arguments, in every command.
	dest2 := filepath.Join(t.TempDir(), "backup2.db")
	if code, out, stderr = lore(t, nil, "backup", dest2, "--data", dataDir); code != 0 || !strings.Contains(out, "integrity ok") {
		t.Fatalf("backup PATH --data D: %d %q %q", code, out, stderr)
	}
	if code, out, stderr = lore(t, nil, "migrate", "status", "--data", dataDir); code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("migrate status --data D: %d %q %q", code, out, stderr)
	}
	if code, out, _ := lore(t, env, "version"); code != 0 || !strings.HasPrefix(out, "lore ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

func TestVaultCommand(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	key := "1xW1QVDCOoNJBxGQxBtmG9hKYhH1BNivADY17ekNeGA=" // from the Python vectors
	vault := func(env map[string]string, stdin string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"lore", "vault"}, args...), envWith(env), strings.NewReader(stdin), &stdout, &stderr)
		return exitCode(err, &stderr), stdout.String(), stderr.String()
	}
	env := map[string]string{"ENCRYPTION_KEY": key, "LORE_DATA_DIR": dataDir}

	code, token, stderr := vault(env, "xoxb-958667946125-595921190849-G2LmlZGEONYlgCtjfIZ4SOcM\n", "encrypt")
	if code != 0 || !strings.HasPrefix(token, "gAAAAA") || strings.HasSuffix(token, "\n") {
		t.Fatalf("encrypt: %d %q %q", code, token, stderr)
	}
	code, plain, _ := vault(env, token+"\n", "decrypt")
	if code != 0 || plain != "xoxb-958667946125-595921190849-G2LmlZGEONYlgCtjfIZ4SOcM" {
		t.Fatalf("decrypt: %d %q", code, plain)
	}
	// Python's token from the shared vectors.
	python := "gAAAAABqo1W0UiWBm8uwhpGJdm3MwIlFVknx8e4K-rHaSsB2vC2vUPklcvHBOUBjhGsJhUX6x6QqB0fU2S6esCX5m0xeNtJXqxPyt3_1b2s4n1eR658uPxIVEgjQhK7wvxKqNg2c1ITXtGJxVcJxjXJTMfvVCs4bkg=="
	if code, plain, _ := vault(env, python, "decrypt"); code != 0 || plain != "xoxb-958667946125-595921190849-G2LmlZGEONYlgCtjfIZ4SOcM" {
		t.Fatalf("python token: %d %q", code, plain)
	}
	// A passphrase with the salt and iterations on the command line.
	pass := map[string]string{"ENCRYPTION_KEY": "pass-6b1290a132c7", "LORE_DATA_DIR": dataDir}
	pyPass := "gAAAAABqs-76sWAmeZeSJDOoRa5411ZOre3SDdoJtmxoDy_nmbUE1NifbIlufuthYmSPghLdBKQE71PzLy1lgmWFfLz5zX_1YnERF13t3JCAxXXK6iJ2bn8e32OHMQ7M-AwggxRQOJ1xRWlU3HfeUpvhk6hbLjEPpw=="
	if code, plain, stderr := vault(pass, pyPass, "decrypt", "--salt", "salt-ac455616", "--iterations", "100000"); code != 0 || plain != "xapp-538010185524-598064842168-PVNPkNa1Hedcm4pMbXDuCL1m" {
		t.Fatalf("passphrase: %d %q %q", code, plain, stderr)
	}
	if code, _, stderr := vault(pass, pyPass, "decrypt"); code != 2 || !strings.Contains(stderr, "--salt") {
		t.Fatalf("passphrase without a salt: %d %q", code, stderr)
	}

	wrong := map[string]string{"ENCRYPTION_KEY": "A_ZowuweIj-0GQIPd8x8La6PMHKCMPy7xCFrpGIdZWs=", "LORE_DATA_DIR": dataDir}
	for name, c := range map[string]struct {
		env   map[string]string
		input string
		want  string
	}{
		"wrong key": {wrong, token, "bad token signature"},
		"bad token": {env, "not a token", "malformed token"},
	} {
		code, out, stderr := vault(c.env, c.input, "decrypt")
		if code != 1 || out != "" || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and one line with %q", name, code, out, stderr, c.want)
		}
		if strings.Contains(stderr, key) || strings.Contains(stderr, "xoxb-") {
			t.Errorf("%s: stderr leaks a secret: %q", name, stderr)
		}
	}
}

func TestKeysCommandsAndWrongKeyAtStartup(t *testing.T) {
	dataDir := t.TempDir()
	oldKey := "1xW1QVDCOoNJBxGQxBtmG9hKYhH1BNivADY17ekNeGA="
	env := map[string]string{"LORE_DATA_DIR": dataDir, "ENCRYPTION_KEY": oldKey}
	if code, _, stderr := lore(t, env, "migrate", "up"); code != 0 {
		t.Fatal(stderr)
	}
	// The first serve records the key as version 1.
	_, stop := startServerEnv(t, env)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	code, out, _ := lore(t, env, "keys", "status")
	if code != 0 || !regexp.MustCompile(`(?m)^1\s+yes\s+fernet\s+0\s+0 days`).MatchString(out) {
		t.Fatalf("keys status: %d\n%s", code, out)
	}
	newKeyFile := filepath.Join(t.TempDir(), "new.key")
	os.WriteFile(newKeyFile, []byte("A_ZowuweIj-0GQIPd8x8La6PMHKCMPy7xCFrpGIdZWs=\n"), 0o600)
	code, out, errOut := lore(t, env, "keys", "rotate", "--new-key-file", newKeyFile)
	if code != 0 || !strings.Contains(out, "from version 1 to version 2") || !strings.Contains(out, "installations: 0 values") {
		t.Fatalf("rotate: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := lore(t, env, "keys", "rotate"); code != 2 || !strings.Contains(errOut, "ENCRYPTION_KEY_NEW") {
		t.Fatalf("rotate without a new key: %d %q", code, errOut)
	}

	// Starting with the old key, now wrong, still serves and says so on /healthz.
	url, stop, stderr := startServerLogs(t, env)
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"status":"degraded"`) || !strings.Contains(string(body), "1 problem(s)") || strings.Contains(string(body), "ENCRYPTION_KEY") {
		t.Fatalf("healthz with the old key: %s", body)
	}
	if log := stderr.String(); !strings.Contains(log, "ENCRYPTION_KEY does not match key version 2") {
		t.Fatalf("the server log does not name the key problem:\n%s", log)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestShutdownDrainsRequestsInFlight sends half a request, stops the server
// (as SIGTERM does), then sends the rest: the request must still get its
// whole answer, new connections must be refused, and run must return nil.
func TestShutdownDrainsRequestsInFlight(t *testing.T) {
	url, stop, _ := startServerLogs(t, map[string]string{"LORE_DATA_DIR": t.TempDir()})
	addr := strings.TrimPrefix(url, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"email":"nobody@example.com","password":"not-a-password"}`
	fmt.Fprintf(conn, "POST /api/auth/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, len(body), body[:10])
	time.Sleep(100 * time.Millisecond) // the server is now reading the body

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	for i := 0; ; i++ { // wait until the listener is closed: shutdown has begun
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if i == 500 {
			t.Fatal("the server still accepts connections 5 s after the stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-stopped:
		t.Fatalf("run returned (%v) with a request still in flight", err)
	default:
	}

	io.WriteString(conn, body[10:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(answer), "login_failed") {
		t.Fatalf("the request in flight got %d %s", resp.StatusCode, answer)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("run returned %v after draining, want nil", err)
	}
}
