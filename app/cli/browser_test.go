package cli

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"lore/app/testlog"
)

func TestDesktop(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		goos string
		env  map[string]string
		want bool
	}{
		{"linux", map[string]string{"DISPLAY": ":0"}, true},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, true},
		{"linux", map[string]string{}, false},                                        // a terminal without a display (ssh, a server)
		{"linux", map[string]string{"DISPLAY": ":0", "INVOCATION_ID": "abc"}, false}, // systemd
		{"linux", map[string]string{"DISPLAY": ":0", "JOURNAL_STREAM": "8:123"}, false},
		{"freebsd", map[string]string{"DISPLAY": ":0"}, true},
		{"darwin", map[string]string{}, true},
		{"darwin", map[string]string{"SSH_CONNECTION": "192.0.2.1 22 192.0.2.2 40000"}, false},
		{"windows", map[string]string{}, true},
		{"windows", map[string]string{"INVOCATION_ID": "x"}, false},
	} {
		if got := desktop(c.goos, func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("desktop(%s, %v) = %v, want %v", c.goos, c.env, got, c.want)
		}
	}
}

// TestServeOpensTheBrowserOnce: a desktop start opens the start page once;
// --open-browser=false, LORE_OPEN_BROWSER=false and systemd do not.
func TestServeOpensTheBrowserOnce(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		env   map[string]string
		flags []string
		want  int
	}{
		{"desktop", map[string]string{"DISPLAY": ":0"}, nil, 1},
		{"flag off", map[string]string{"DISPLAY": ":0"}, []string{"--open-browser=false"}, 0},
		{"env off", map[string]string{"DISPLAY": ":0", "LORE_OPEN_BROWSER": "false"}, nil, 0},
		{"systemd", map[string]string{"DISPLAY": ":0", "INVOCATION_ID": "abc"}, nil, 0},
		{"no display", map[string]string{}, nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var opened []string
			var out testlog.Buffer
			env := importEnv(t.TempDir(), &out, nil, append([]string{"serve", "--addr", "127.0.0.1:0"}, c.flags...)...)
			env.Getenv = func(k string) string { return c.env[k] }
			env.OpenBrowser = func(url string) error {
				mu.Lock()
				defer mu.Unlock()
				opened = append(opened, url)
				return nil
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- Run(ctx, env) }()
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(out.String(), "Lore is running at") && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			// The opener runs right after the URL is printed.
			for wait := time.Now().Add(5 * time.Second); c.want > 0 && time.Now().Before(wait); time.Sleep(10 * time.Millisecond) {
				mu.Lock()
				n := len(opened)
				mu.Unlock()
				if n > 0 {
					break
				}
			}
			time.Sleep(50 * time.Millisecond) // and not a second time
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(opened) != c.want {
				t.Fatalf("opened %v, want %d", opened, c.want)
			}
			if c.want == 1 && (!strings.HasPrefix(opened[0], "http://127.0.0.1:") || !strings.HasSuffix(opened[0], "/") ||
				!strings.Contains(out.String(), strings.TrimSuffix(opened[0], "/"))) {
				t.Fatalf("opened %q; serve printed %s", opened[0], out.String())
			}
		})
	}
}

func TestOpenBrowserEnvMustBeABool(t *testing.T) {
	t.Parallel()
	var out testlog.Buffer
	env := importEnv(t.TempDir(), &out, nil, "serve", "--addr", "127.0.0.1:0")
	env.Getenv = func(k string) string { return map[string]string{"LORE_OPEN_BROWSER": "sometimes"}[k] }
	err := Run(context.Background(), env)
	if _, ok := err.(*UsageError); !ok || !strings.Contains(err.Error(), "LORE_OPEN_BROWSER") {
		t.Fatalf("err = %v, want a usage error naming LORE_OPEN_BROWSER", err)
	}
}
