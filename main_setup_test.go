package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"lore/app/testlog"
)

// TestServePrintsTheSetupToken: on a fresh instance lore serve prints a link
// with the setup token; a signup that is not from this machine (here a
// loopback peer passing on someone's request, as a proxy would) needs it;
// once a user exists no token is printed.
func TestServePrintsTheSetupToken(t *testing.T) {
	dataDir := t.TempDir()
	url, token, stop := startServerSetup(t, dataDir)
	if token == "" {
		t.Fatal("no setup link printed on a fresh instance")
	}
	signup := func(token string) int {
		body := `{"email":"first@example.com","password":"first-password","organization_name":"Acme","setup_token":"` + token + `"}`
		req, _ := http.NewRequest("POST", url+"/api/auth/signup", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113.5")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := signup(""); code != http.StatusForbidden {
		t.Fatalf("forwarded signup without the token: %d, want 403", code)
	}
	if code := signup(token); code != http.StatusCreated {
		t.Fatalf("forwarded signup with the printed token: %d, want 201", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, token, stop = startServerSetup(t, dataDir); token != "" {
		t.Errorf("setup link printed although a user exists")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// startServerSetup starts lore serve on dataDir and returns its URL, the
// setup token it printed ("" for none) and how to stop it.
func startServerSetup(t *testing.T, dataDir string) (string, string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testlog.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"lore", "serve", "--addr", "127.0.0.1:0", "--data", dataDir}, envWith(nil),
			strings.NewReader(""), &stdout, &stderr)
	}()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop within 20 s of cancel")
			return nil
		}
	}
	running := regexp.MustCompile(`Lore is running at (http://127\.0\.0\.1:\d+)\n`)
	setup := regexp.MustCompile(`open http://127\.0\.0\.1:\d+/\?setup=([A-Z2-7]+)\n`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\nstderr: %s", err, stderr.String())
		default:
		}
		m := running.FindStringSubmatch(stdout.String())
		if m == nil {
			continue
		}
		if resp, err := http.Get(m[1] + "/healthz"); err == nil {
			resp.Body.Close()
			// The setup line, if any, was printed before serving started.
			token := ""
			if s := setup.FindStringSubmatch(stdout.String()); s != nil {
				token = s[1]
			}
			return m[1], token, stop
		}
	}
	cancel()
	t.Fatalf("no server within 10 s; stdout: %q stderr: %q", stdout.String(), stderr.String())
	return "", "", nil
}
