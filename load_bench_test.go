package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lore/app/slackfake"
	"lore/app/testlog"
)

// loadKind is one kind of request BenchmarkLoad makes, with its share of
// every ten requests of a client.
type loadKind struct {
	name  string
	share int
	write bool
}

// loadKinds are the requests BenchmarkLoad mixes.
func loadKinds() []loadKind {
	return []loadKind{
		{"settings_get", 4, false},
		{"settings_patch", 3, true},
		{"workspace_create", 1, true},
		{"credentials_store", 2, true},
	}
}

// BenchmarkLoad is the attack of issue 8 as a benchmark: a real lore serve
// (run, as main calls it, on a loopback listener) under 200 concurrent
// clients for 30 s, each mixing settings reads and PATCHes, workspace
// creation and credential stores with an API token. It prints requests per
// second, p50/p99 per kind, the errors and the WAL's largest size. Goal: no
// errors, writes p99 ≤ 500 ms, WAL ≤ 64 MiB. LORE_BENCH_CLIENTS and
// LORE_BENCH_DURATION (a Go duration) change the load. Run it alone:
//
//	go test -run '^$' -bench BenchmarkLoad -benchtime 1x .
func BenchmarkLoad(b *testing.B) {
	clients, duration := 200, 30*time.Second
	if v := os.Getenv("LORE_BENCH_CLIENTS"); v != "" {
		fmt.Sscan(v, &clients)
	}
	if v := os.Getenv("LORE_BENCH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("LORE_BENCH_DURATION: %v", err)
		}
		duration = d
	}
	for b.Loop() {
		b.StopTimer()
		r := runLoad(b, clients, duration)
		b.StartTimer()
		r.print(b, clients, duration)
		b.ReportMetric(float64(r.total())/duration.Seconds(), "req/s")
		b.ReportMetric(float64(r.errors.Load()), "errors")
		b.ReportMetric(r.writesP99().Seconds()*1000, "write-p99-ms")
		b.ReportMetric(float64(r.walMax.Load())/(1<<20), "wal-max-MiB")
	}
}

// loadResult is what runLoad measured.
type loadResult struct {
	kinds     []loadKind
	latencies [][]time.Duration // per kind
	errors    atomic.Int64
	firstErr  atomic.Value // string
	walMax    atomic.Int64
	walEnd    int64
}

func (r *loadResult) total() int {
	n := 0
	for _, l := range r.latencies {
		n += len(l)
	}
	return n
}

func (r *loadResult) writesP99() time.Duration {
	var all []time.Duration
	for i, k := range r.kinds {
		if k.write {
			all = append(all, r.latencies[i]...)
		}
	}
	slices.Sort(all)
	return percentile(all, 99)
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100]
}

func (r *loadResult) print(b *testing.B, clients int, duration time.Duration) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d clients, %v: %d requests, %.0f req/s, %d errors\n",
		clients, duration, r.total(), float64(r.total())/duration.Seconds(), r.errors.Load())
	for i, k := range r.kinds {
		l := r.latencies[i]
		slices.Sort(l)
		fmt.Fprintf(&sb, "  %-18s %7d  p50 %8v  p99 %8v  max %8v\n", k.name, len(l),
			percentile(l, 50).Round(time.Microsecond*100), percentile(l, 99).Round(time.Microsecond*100),
			percentile(l, 100).Round(time.Microsecond*100))
	}
	fmt.Fprintf(&sb, "  writes p99 %v; WAL largest %.1f MiB, at the end %.1f MiB\n",
		r.writesP99().Round(time.Millisecond), float64(r.walMax.Load())/(1<<20), float64(r.walEnd)/(1<<20))
	if e, ok := r.firstErr.Load().(string); ok {
		fmt.Fprintf(&sb, "  first error: %s\n", e)
	}
	b.Log("\n" + sb.String())
}

// runLoad starts a server, prepares an owner's token and four organizations
// with a workspace per client, then lets the clients loose.
func runLoad(b *testing.B, clients int, duration time.Duration) *loadResult {
	dataDir := b.TempDir()
	slack := slackfake.New(b)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testlog.Buffer
	done := make(chan error, 1)
	env := envWith(map[string]string{
		"LORE_DATA_DIR":      dataDir,
		"ENCRYPTION_KEY":     "1xW1QVDCOoNJBxGQxBtmG9hKYhH1BNivADY17ekNeGA=",
		"LORE_SLACK_API_URL": slack.URL(),
		"LORE_LOG_LEVEL":     "warn",
	})
	go func() {
		done <- run(ctx, []string{"lore", "serve", "--addr", "127.0.0.1:0"}, env, strings.NewReader(""), &stdout, &stderr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("serve: %v\n%s", err, stderr.String())
		}
	}()
	base := waitForURL(b, &stdout, done)

	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	call := func(method, path, token, body string) (int, []byte, error) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		return resp.StatusCode, out, err
	}
	must := func(want int, method, path, token, body string) []byte {
		status, out, err := call(method, path, token, body)
		if err != nil || status != want {
			b.Fatalf("%s %s = %d %s, %v", method, path, status, out, err)
		}
		return out
	}

	// The owner signs up (one argon2 hash), then works with an API token.
	jar := &cookieClient{base: base, client: client}
	jar.must(b, http.StatusCreated, "POST", "/api/auth/signup",
		`{"email":"owner@example.com","password":"correct horse battery","organization_name":"Load 1"}`)
	var tok struct{ Token string }
	json.Unmarshal(jar.must(b, http.StatusCreated, "POST", "/api/tokens", `{"name":"load"}`), &tok)
	orgs := []int64{1}
	for i := 2; i <= 4; i++ {
		var org struct{ ID int64 }
		json.Unmarshal(must(http.StatusCreated, "POST", "/api/organizations", tok.Token, fmt.Sprintf(`{"name":"Load %d"}`, i)), &org)
		orgs = append(orgs, org.ID)
	}
	workspaces := make([]string, clients)
	for c := range clients {
		workspaces[c] = fmt.Sprintf("TW%05d", c)
		must(http.StatusCreated, "POST", fmt.Sprintf("/api/organizations/%d/workspaces", orgs[c%len(orgs)]), tok.Token,
			fmt.Sprintf(`{"workspace_id":%q,"name":"Load %d"}`, workspaces[c], c))
	}

	kinds := loadKinds()
	r := &loadResult{kinds: kinds, latencies: make([][]time.Duration, len(kinds))}
	walPath := filepath.Join(dataDir, "lore.db-wal")
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if info, err := os.Stat(walPath); err == nil && info.Size() > r.walMax.Load() {
				r.walMax.Store(info.Size())
			}
			select {
			case <-stopWatch:
				return
			case <-tick.C:
			}
		}
	}()

	var schedule []int // one client's cycle of kinds
	for i, k := range kinds {
		for range k.share {
			schedule = append(schedule, i)
		}
	}
	tones := []string{"professional", "casual", "technical"}
	deadline := time.Now().Add(duration)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			org := orgs[c%len(orgs)]
			mine := make([][]time.Duration, len(kinds))
			for n := 0; time.Now().Before(deadline); n++ {
				kind := schedule[(n+c)%len(schedule)]
				var method, path, body string
				want := http.StatusOK
				switch kinds[kind].name {
				case "settings_get":
					method, path = "GET", fmt.Sprintf("/api/organizations/%d/settings", org)
				case "settings_patch":
					method, path = "PATCH", fmt.Sprintf("/api/organizations/%d/settings", org)
					body = fmt.Sprintf(`{"ai_tone":%q,"confidence_threshold":%d}`, tones[n%3], (n*7+c)%101)
				case "workspace_create":
					method, path, want = "POST", fmt.Sprintf("/api/organizations/%d/workspaces", org), http.StatusCreated
					body = fmt.Sprintf(`{"workspace_id":"TC%04dN%06d","name":"Load"}`, c, n)
				case "credentials_store":
					method, path = "POST", "/api/workspaces/"+workspaces[c]+"/credentials"
					body = fmt.Sprintf(`{"bot_token":"xoxb-1-%010d-%d","app_token":"xapp-1-A1-%010d","signing_secret":"%032x"}`, n, c, n, n)
				}
				start := time.Now()
				status, out, err := call(method, path, tok.Token, body)
				mine[kind] = append(mine[kind], time.Since(start))
				if err != nil || status != want {
					r.errors.Add(1)
					r.firstErr.CompareAndSwap(nil, fmt.Sprintf("%s %s = %d %.200s %v", method, path, status, out, err))
				}
			}
			mu.Lock()
			for i := range mine {
				r.latencies[i] = append(r.latencies[i], mine[i]...)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	close(stopWatch)
	<-watched
	if info, err := os.Stat(walPath); err == nil {
		r.walEnd = info.Size()
	}
	return r
}

// waitForURL returns the URL serve prints once /healthz answers.
func waitForURL(b *testing.B, stdout *testlog.Buffer, done <-chan error) string {
	urlPattern := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			b.Fatalf("serve exited early: %v", err)
		default:
		}
		if url := urlPattern.FindString(stdout.String()); url != "" {
			if resp, err := http.Get(url + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return url
				}
			}
		}
	}
	b.Fatal("serve did not become healthy within 30 s")
	return ""
}

// cookieClient carries the session cookie of a signup to the next request.
type cookieClient struct {
	base   string
	client *http.Client
	cookie []*http.Cookie
}

func (c *cookieClient) must(b *testing.B, want int, method, path, body string) []byte {
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	for _, ck := range c.cookie {
		req.AddCookie(ck)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		b.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, out)
	}
	if cks := resp.Cookies(); len(cks) > 0 {
		c.cookie = cks
	}
	return out
}
