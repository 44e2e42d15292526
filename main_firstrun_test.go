package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"lore/app"
	"lore/app/apptest"
	"lore/app/slackfake"
	"lore/app/testlog"
)

// asMain, set in a process's environment, makes the test binary run as lore
// itself, so that tests can start real lore processes without building one.
const asMain = "LORE_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// process is a lore started as a separate process.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr testlog.Buffer
	done           chan error
}

// startLore starts the test binary as `lore args...` with exactly env (and
// PATH), and stdin.
func startLore(t *testing.T, env map[string]string, stdin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(os.Args[0], args...), done: make(chan error, 1)}
	p.cmd.Env = []string{asMain + "=1", "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdin = strings.NewReader(stdin)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait waits for the process to exit and fails the test unless it succeeded.
func (p *process) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", what, err, p.stdout.String(), p.stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not finish within 60 s\nstderr: %s", what, p.stderr.String())
	}
}

// url waits for a serving process to print its URL and answer /healthz.
func (p *process) url(t *testing.T) string {
	t.Helper()
	pattern := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("serve exited early: %v\nstderr: %s", err, p.stderr.String())
		default:
		}
		if url := pattern.FindString(p.stdout.String()); url != "" {
			if resp, err := http.Get(url + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return url
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no healthy server within 60 s\nstderr: %s", p.stderr.String())
	return ""
}

// stop sends SIGTERM, as systemd does, and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.wait(t, "serve after SIGTERM")
}

// TestTwoFirstRunsAtOnce starts real lore processes together on new data
// directories, several times over. First `lore serve` beside `lore users
// add` on an empty directory: both must wait for each other and succeed.
// Then, on a database with no key yet and no ENCRYPTION_KEY, `lore serve`
// beside `lore credentials import-env`: both generate the development key
// at once. There must be one key file and one key version, and the secrets
// each process stored must open after a restart.
func TestTwoFirstRunsAtOnce(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stops the server with SIGTERM")
	}
	slack := slackfake.New(t)
	slack.AddBot(cliBotToken, slackfake.Acme)
	slack.AddApp(cliAppToken)
	const password = "a-long-owner-password\n"
	addOwner := []string{"users", "add", "--email", "owner@example.com", "--password-stdin", "--org", "Acme", "--role", "owner"}
	for round := range 10 {
		// An empty data directory, two processes.
		dir := t.TempDir()
		env := map[string]string{"LORE_DATA_DIR": dir, "LORE_LOG_LEVEL": "warn"}
		serve := startLore(t, env, "", "serve", "--addr", "127.0.0.1:0")
		add := startLore(t, env, password, addOwner...)
		add.wait(t, "users add beside serve")
		serve.url(t)
		serve.stop(t)

		// A database with no key yet; two processes that need one.
		dir = t.TempDir()
		env = map[string]string{"LORE_DATA_DIR": dir, "LORE_LOG_LEVEL": "warn", "LORE_SLACK_API_URL": slack.URL()}
		startLore(t, env, password, addOwner...).wait(t, "users add")
		importEnv := map[string]string{"SLACK_BOT_TOKEN": cliBotToken, "SLACK_APP_TOKEN": cliAppToken, "SLACK_SIGNING_SECRET": cliSigningSecret}
		for k, v := range env {
			importEnv[k] = v
		}
		serve = startLore(t, env, "", "serve", "--addr", "127.0.0.1:0")
		imp := startLore(t, importEnv, "", "credentials", "import-env", "--org", "1")
		url := serve.url(t)
		storeOverHTTP(t, url, "T0999ZZZZ")
		imp.wait(t, "credentials import-env beside serve")
		serve.stop(t)

		keyFiles, _ := filepath.Glob(filepath.Join(dir, "encryption.key*"))
		if len(keyFiles) != 1 {
			t.Fatalf("round %d: key files %v, want one", round, keyFiles)
		}
		a, err := app.Open(context.Background(), app.Config{DataDir: dir}, os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		versions, _ := a.Store.KeyVersions(context.Background())
		if len(versions) != 1 || len(a.Warnings) != 0 {
			a.Close()
			t.Fatalf("round %d: key versions %+v, warnings %v; want one version and no warning", round, versions, a.Warnings)
		}
		for _, ws := range []string{"T0123ABCD", "T0999ZZZZ"} {
			got, err := a.Credentials.Get(context.Background(), "test", 1, ws)
			if err != nil || got.BotToken != cliBotToken {
				a.Close()
				t.Fatalf("round %d: the secrets of %s after a restart: %v", round, ws, err)
			}
		}
		a.Close()
	}
}

// storeOverHTTP signs in as the owner and stores credentials for a new
// workspace through the API of the server at url.
func storeOverHTTP(t *testing.T, url, workspace string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	if code := postJSON(t, client, url+"/api/auth/login", map[string]string{"email": "owner@example.com", "password": "a-long-owner-password"}, nil); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	if code := postJSON(t, client, url+"/api/organizations/1/workspaces", map[string]string{"workspace_id": workspace, "name": "Other"}, nil); code != http.StatusCreated {
		t.Fatalf("create workspace: %d", code)
	}
	code := postJSON(t, client, url+"/api/workspaces/"+workspace+"/credentials", map[string]string{
		"bot_token": cliBotToken, "app_token": cliAppToken, "signing_secret": cliSigningSecret,
	}, nil)
	if code != http.StatusOK {
		t.Fatalf("store credentials: %d", code)
	}
}

const (
	cliBotToken      = "xoxb-1234567890-0987654321-GoodBotTokenQ7vZ9f3a"
	cliAppToken      = "xapp-1-A0GOOD0APP-1234567890123-5d8e2f4a6c7b9d1e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d"
	cliSigningSecret = "8f2b0c6d1e4a7f9b3c5d2e8a1f0b6c4d"
)
