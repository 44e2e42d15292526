package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"lore/app/slackfake"
	"lore/app/testshared"
	"lore/storage/secret"
)

func sample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(testshared.Path(t, "testdata/slack-api/"+name))
	if err != nil {
		t.Fatalf("the shared Slack samples: %v", err)
	}
	return string(b)
}

// clock is a fake clock whose Sleep advances it and records the wait.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

// newClock starts at the real time, so that real deadlines make sense to it.
func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

var bot = secret.Slack{BotToken: "xoxb-1234567890-0987654321-PacedBotTokenQ7vZ9f3a", AppToken: "xapp-1-A0APP-1234567890123-abcdefabcdefabcdef"}

func newTestClient(t *testing.T, url string, c *clock) *Client {
	t.Helper()
	client, err := New(Options{APIURL: url, HTTPClient: &http.Client{Timeout: 2 * time.Second}, Now: c.Now, Sleep: c.Sleep,
		Jitter: func(time.Duration) time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"30", 30 * time.Second},
		{" 1 ", time.Second},
		{"0", time.Second},
		{"900", 15 * time.Minute},
		{"3600", MaxRetryAfter},
		{"86400", MaxRetryAfter},
		{"", DefaultRetryAfter},
		{"-5", DefaultRetryAfter},
		{"soon", DefaultRetryAfter},
		{"1.5", DefaultRetryAfter},
		{"99999999999", DefaultRetryAfter},          // the 246-year wait
		{"99999999999999999999", DefaultRetryAfter}, // past int64
		{"9223372036854775807", DefaultRetryAfter},
		{now.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute},
		{now.Add(-time.Hour).Format(http.TimeFormat), time.Second},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), DefaultRetryAfter},
		{now.Add(2 * time.Hour).Format(http.TimeFormat), MaxRetryAfter},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.in, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestPacingPerWorkspaceAndMethod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := slackfake.New(t)
	fake.AddBot(bot.BotToken, slackfake.Acme)
	fake.AddApp(bot.AppToken)
	c := newClock()
	client := newTestClient(t, fake.URL(), c)
	acme, other := client.For("T0123ABCD", bot), client.For("T0OTHER", bot)
	history := sample(t, "openapi.conversations.history.200.json")
	for range 12 {
		fake.Answer("conversations.history", history)
		fake.Answer("conversations.replies", sample(t, "openapi.conversations.replies.200.json"))
	}

	// Tier 3's burst of 5 goes at once; the 6th waits 60/50 s.
	for i := range 6 {
		if _, err := acme.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{ChannelID: "C1"}); err != nil {
			t.Fatalf("history %d: %v", i, err)
		}
	}
	if got := c.Slept(); len(got) != 1 || got[0] != 1200*time.Millisecond {
		t.Fatalf("waits after 6 history calls = %v, want one of 1.2s", got)
	}
	// Another method and another workspace have budgets of their own.
	for range 5 {
		if _, _, _, err := acme.GetConversationRepliesContext(ctx, &slackgo.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: "1.2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := other.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{ChannelID: "C1"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Slept(); len(got) != 1 {
		t.Fatalf("waits = %v: replies or another workspace waited for acme's history budget", got)
	}

	// apps.connections.open is Tier 1: the second call in a minute waits
	// for the rest of the minute, or, under a deadline, does not go at all.
	if _, _, err := acme.StartSocketModeContext(ctx); err != nil {
		t.Fatal(err)
	}
	deadline, cancel := context.WithDeadline(ctx, c.Now().Add(10*time.Second))
	defer cancel()
	_, _, err := acme.StartSocketModeContext(deadline)
	var e *Error
	if !errors.As(Classify(err), &e) || !e.Unavailable() || e.RetryAfter != time.Minute || !strings.Contains(e.Error(), "apps.connections.open") {
		t.Fatalf("second apps.connections.open under a 10 s deadline: %v, want a pacing error with RetryAfter 1m", err)
	}
	if n := len(fake.Requests("apps.connections.open")); n != 1 {
		t.Fatalf("apps.connections.open sent %d times, want 1", n)
	}
	if _, _, err := acme.StartSocketModeContext(ctx); err != nil { // no deadline: waits its minute
		t.Fatal(err)
	}
	if got := c.Slept(); got[len(got)-1] != time.Minute {
		t.Errorf("waits = %v, want a last one of 1m", got)
	}
}

func TestRetriesAfter429(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := slackfake.New(t)
	c := newClock()
	client := newTestClient(t, fake.URL(), c)
	api := client.For("T0123ABCD", bot)

	fake.RateLimit("conversations.history", "2", "99999999999")
	fake.Answer("conversations.history", sample(t, "openapi.conversations.history.200.json"))
	h, err := api.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{ChannelID: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	if !h.HasMore || h.ResponseMetaData.NextCursor != "bmV4dF90czoxNTEyMDg1ODYxMDAwNTQz" || len(h.Messages) != 2 {
		t.Errorf("history = %+v", h)
	}
	if got := c.Slept(); len(got) != 2 || got[0] != 2*time.Second || got[1] != DefaultRetryAfter {
		t.Errorf("waits = %v, want 2s then the default for a nonsense Retry-After", got)
	}
	if n := len(fake.Requests("conversations.history")); n != 3 {
		t.Errorf("history sent %d times, want 3", n)
	}

	// Past its retries the 429 reaches the caller, with a bounded wait.
	fake.RateLimit("users.list", "99999999999", "99999999999", "99999999999", "99999999999")
	_, err = api.GetUsersPaginated().Next(ctx)
	var e *Error
	if !errors.As(Classify(err), &e) || !errors.Is(e, ErrUnavailable) || e.Status != 429 || e.RetryAfter != DefaultRetryAfter {
		t.Fatalf("users.list rate limited 4 times: %v (%#v), want a 429 Error with RetryAfter %s", err, e, DefaultRetryAfter)
	}
	if n := len(fake.Requests("users.list")); n != 1+DefaultRetries {
		t.Errorf("users.list sent %d times, want %d", n, 1+DefaultRetries)
	}

	// A wait longer than the caller's deadline is not waited for.
	fake.RateLimit("auth.test", "600")
	deadline, cancel := context.WithDeadline(ctx, c.Now().Add(10*time.Second))
	defer cancel()
	before := len(c.Slept())
	_, err = api.AuthTestContext(deadline)
	if !errors.As(Classify(err), &e) || e.RetryAfter != 10*time.Minute {
		t.Fatalf("auth.test asked to wait 10 min under a 10 s deadline: %v, want RetryAfter 10m", err)
	}
	if len(c.Slept()) != before {
		t.Errorf("waited %v under a deadline too short", c.Slept()[before:])
	}
}

// TestRateLimitSamples answers each 429 shape of the shared samples and
// checks that the caller learns to wait as long as the header says.
func TestRateLimitSamples(t *testing.T) {
	t.Parallel()
	var file struct {
		Samples []struct {
			Source  string            `json:"source"`
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
		} `json:"samples"`
	}
	if err := json.Unmarshal([]byte(sample(t, "ratelimit-429.samples.json")), &file); err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, s := range file.Samples {
		if s.Headers == nil {
			continue // a partial capture with no Retry-After to check
		}
		tested++
		fake := slackfake.New(t)
		fake.Handle("conversations.list", func(w http.ResponseWriter, r *http.Request) {
			for k, v := range s.Headers {
				w.Header().Set(k, v)
			}
			w.WriteHeader(s.Status)
			if string(s.Body) != "null" {
				w.Write(s.Body)
			}
		})
		client, err := New(Options{APIURL: fake.URL(), Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = client.For("T1", bot).GetConversationsContext(context.Background(), &slackgo.GetConversationsParameters{})
		var e *Error
		want := RetryAfter(s.Headers["retry-after"]+s.Headers["Retry-After"], time.Now())
		if !errors.As(Classify(err), &e) || e.Status != 429 || e.RetryAfter != want {
			t.Errorf("%s: %v, want a 429 with RetryAfter %s", s.Source, err, want)
		}
	}
	if tested < 3 {
		t.Fatalf("only %d samples tested", tested)
	}
}

// TestPagination follows the shared cursor chain of conversations.list.
func TestPagination(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	fake.Answer("conversations.list",
		sample(t, "python-sdk.web_response_conversations_list_pagination.json"),
		sample(t, "python-sdk.web_response_conversations_list_pagination_has_page2.json"))
	client := newTestClient(t, fake.URL(), newClock())
	api := client.For("T1", bot)
	var ids []string
	cursor := ""
	for range 2 {
		chans, next, err := api.GetConversationsContext(context.Background(), &slackgo.GetConversationsParameters{Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chans {
			ids = append(ids, c.ID)
		}
		cursor = next
	}
	if strings.Join(ids, ",") != "C1,C2" || cursor != "has_page3" {
		t.Errorf("channels %v, cursor %q", ids, cursor)
	}
	reqs := fake.Requests("conversations.list")
	if len(reqs) != 2 || reqs[0].Form.Get("cursor") != "" || reqs[1].Form.Get("cursor") != "has_page2" {
		t.Errorf("cursors sent: %+v", reqs)
	}
	if reqs[0].Token != bot.BotToken {
		t.Errorf("token sent = %s, want the bot token", secret.Mask(reqs[0].Token))
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	piece := "0987654321-EchoedBotTokenQ7vZ9f3a" // a token without its xoxb- prefix
	tests := []struct {
		name      string
		setup     func(f *slackfake.Server)
		url       string
		code      string
		unavail   bool
		rejected  bool
		status    int
		msg       string
		forbidden string
	}{
		{name: "plain code", setup: func(f *slackfake.Server) { f.FailWith("auth.test", "token_revoked") }, code: "token_revoked", rejected: true, status: 200, msg: "slack answered token_revoked"},
		{name: "not a token problem", setup: func(f *slackfake.Server) { f.FailWith("auth.test", "channel_not_found") }, code: "channel_not_found", status: 200},
		{name: "sample error body", setup: func(f *slackfake.Server) { f.Answer("auth.test", sample(t, "openapi.auth.test.error.json")) }, code: "invalid_auth", rejected: true, status: 200},
		{name: "transient code", setup: func(f *slackfake.Server) { f.FailWith("auth.test", "fatal_error") }, code: "fatal_error", unavail: true, status: 200, msg: "Slack could not answer: fatal_error"},
		{name: "echoed token", setup: func(f *slackfake.Server) { f.FailWith("auth.test", "invalid_auth: "+piece) },
			unavail: true, status: 200, msg: "unexpected answer from Slack (HTTP 200)", forbidden: piece},
		{name: "sentence", setup: func(f *slackfake.Server) { f.FailWith("auth.test", "Proxy says no") },
			unavail: true, status: 200, msg: "unexpected answer from Slack (HTTP 200)", forbidden: "Proxy"},
		{name: "server error", setup: func(f *slackfake.Server) { f.SetMode(slackfake.ServerError) }, unavail: true, status: 500, msg: "could not reach Slack: HTTP 500"},
		{name: "html", setup: func(f *slackfake.Server) { f.SetMode(slackfake.NotSlack) }, unavail: true, status: 200, msg: "the reply was not Slack's API"},
		{name: "unreachable", url: "closed", unavail: true, msg: "could not reach Slack: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := slackfake.New(t)
			url := fake.URL()
			if tt.url == "closed" {
				url = slackfake.ClosedURL(t)
			} else {
				tt.setup(fake)
			}
			client := newTestClient(t, url, newClock())
			_, err := client.For("T1", bot).AuthTestContext(context.Background())
			var e *Error
			if !errors.As(Classify(err, bot.BotToken), &e) {
				t.Fatalf("Classify(%v) is not an *Error", err)
			}
			if e.Code != tt.code || e.Unavailable() != tt.unavail || e.TokenRejected() != tt.rejected || e.Status != tt.status ||
				errors.Is(e, ErrUnavailable) != tt.unavail || !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("Classify = %#v (%q), want code %q unavailable %v rejected %v status %d message %q",
					e, e.Error(), tt.code, tt.unavail, tt.rejected, tt.status, tt.msg)
			}
			if tt.forbidden != "" && strings.Contains(e.Error(), tt.forbidden) {
				t.Errorf("message %q passes on Slack's text %q", e.Error(), tt.forbidden)
			}
		})
	}
	if Classify(nil) != nil {
		t.Error("Classify(nil) != nil")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Classify(ctx.Err()); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("Classify(canceled) = %v", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"slack.com/api", "ftp://x/", "http://", "://"} {
		if _, err := New(Options{APIURL: bad}); err == nil || !strings.HasPrefix(err.Error(), "slack: ") {
			t.Errorf("New(%q) = %v, want an error", bad, err)
		}
	}
	for in, want := range map[string]string{
		"":                          "https://slack.com/api/",
		"http://127.0.0.1:9000":     "http://127.0.0.1:9000/",
		"https://proxy.local/slack": "https://proxy.local/slack/",
		"https://slack.com/api/":    "https://slack.com/api/",
	} {
		if got, err := NormalizeAPIURL(in); err != nil || got != want {
			t.Errorf("NormalizeAPIURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestScrubMasksTokens(t *testing.T) {
	t.Parallel()
	got := scrub("post https://x/?t=xoxb-1234-5678-abcdefgh failed; secret s3cr3tvalue123", "s3cr3tvalue123")
	if strings.Contains(got, "abcdefgh") || strings.Contains(got, "s3cr3tvalue123") {
		t.Errorf("scrub left a secret: %s", got)
	}
}

// TestLimiterFindsTheCeiling: a configured rate is where a method's limiter
// starts; each 429 slows it, each answered call speeds it back up, never
// past the configured rate; the API counts calls and 429s.
func TestLimiterFindsTheCeiling(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := slackfake.New(t)
	c := newClock()
	client, err := New(Options{APIURL: fake.URL(), Now: c.Now, Sleep: c.Sleep, Rates: map[string]int{"conversations.history": 900},
		Jitter: func(time.Duration) time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	api := client.For("T1", bot)
	if got := client.Rate("T1", "conversations.history"); got != 900 {
		t.Fatalf("configured rate = %v, want 900", got)
	}
	if got := client.Rate("T1", "conversations.replies"); got != 50 {
		t.Fatalf("replies rate = %v, want Tier 3's 50", got)
	}
	history := sample(t, "openapi.conversations.history.200.json")
	fake.RateLimit("conversations.history", "1", "1")
	fake.Answer("conversations.history", history)
	if _, err := api.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{ChannelID: "C1"}); err != nil {
		t.Fatal(err)
	}
	slowed := client.Rate("T1", "conversations.history")
	if want := 900 * slowdown * slowdown * speedup; slowed < want-0.01 || slowed > want+0.01 {
		t.Fatalf("rate after two 429s and an answer = %v, want %v", slowed, want)
	}
	// A 429 of a call sent before the last Retry-After ended slows nothing.
	client.holdOff(paceKey{"T1", "conversations.history"}, time.Minute)
	client.answered(paceKey{"T1", "conversations.history"}, true)
	if got := client.Rate("T1", "conversations.history"); got != slowed {
		t.Fatalf("rate after a 429 within the hold-off = %v, want %v unchanged", got, slowed)
	}
	c.Sleep(ctx, time.Minute)
	for range 300 {
		fake.Answer("conversations.history", history)
		if _, err := api.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{ChannelID: "C1"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := client.Rate("T1", "conversations.history"); got != 900 {
		t.Fatalf("rate after 300 answers = %v, want back at the configured 900", got)
	}
	if s := api.Stats(); s.Calls() != 303 || s.RateLimited() != 2 {
		t.Fatalf("stats = %d calls, %d 429s; want 303 and 2", s.Calls(), s.RateLimited())
	}
}
