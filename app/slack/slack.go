// Package slack is Lore's one way to Slack's Web API: a Client that hands
// out slack-go clients for a workspace's credentials, pacing every call by
// Slack's limit for its method and workspace and retrying after a 429 as
// Slack asks, and the one classifier (Classify) that turns what went wrong
// into an *Error safe to show, log and audit.
//
// Verify, backfill, the commands and Socket Mode share one Client, built
// once from LORE_SLACK_API_URL (app.App.Slack), so that they also share the
// limits. Background work gets its credentials and an API together from
// credentials.Service.Connect, audited once per job or connection; Socket
// Mode runs over that API with RunSocket, which hands every envelope to a
// SocketHandler, and its reconnects are paced as apps.connections.open's
// one call a minute.
//
//	client, err := slack.New(slack.Options{APIURL: cfg.SlackAPIURL, Logger: logger})
//	api := client.For(workspaceID, creds) // a paced *slackgo.Client inside an *API
//	history, err := api.GetConversationHistoryContext(ctx, params)
//	if err := slack.Classify(err, creds.BotToken); err != nil { … }
//
// Pacing waits as long as ctx allows: with a deadline too close it gives up
// at once with an *Error carrying RetryAfter, so a request answered to a
// person never hangs behind a background job's budget. Background work
// passes a context without a deadline and is simply slowed down.
package slack

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"lore/storage/secret"
)

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = slackgo.APIURL

// Timeout bounds each HTTP request to Slack when Options.HTTPClient is nil.
const Timeout = 10 * time.Second

// DefaultRetries is how many times a call is sent again after a 429 when
// Options.Retries is 0.
const DefaultRetries = 3

// Options configure a Client; the zero value talks to Slack itself.
type Options struct {
	// APIURL is Slack's Web API base URL (LORE_SLACK_API_URL), so that tests
	// and proxies can stand in for Slack. "" is Slack's own.
	APIURL string
	// HTTPClient sends the requests; nil is a client with Timeout.
	HTTPClient *http.Client
	// Retries is how many times a call rate limited by Slack (429) is sent
	// again, each after the wait Slack asked for (see RetryAfter); 0 is
	// DefaultRetries, a negative number none.
	Retries int
	// Rates set the calls a minute of some methods in place of their tier's
	// (TierOf): LORE_SLACK_HISTORY_RATE sets conversations.history's and
	// conversations.replies'. Above what Slack allows, the 429s slow the
	// method's limiter down to Slack's ceiling.
	Rates map[string]int
	// Logger gets a debug line for each wait; nil logs nothing.
	Logger *slog.Logger
	// Now and Sleep are the clock, for tests; nil is the real one. Sleep
	// returns ctx's error when ctx ends first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter is what is added to a Retry-After of d; nil is up to a tenth
	// of d, at most a second.
	Jitter func(d time.Duration) time.Duration
}

// Client holds the pacing state of every workspace and method. It is safe
// for concurrent use; make one per process.
type Client struct {
	base    string
	http    *http.Client
	retries int
	logger  *slog.Logger
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	jitter  func(d time.Duration) time.Duration
	rates   map[string]int

	mu    sync.Mutex
	paces map[paceKey]*pace
}

// New returns a Client; an invalid opts.APIURL is an error.
func New(opts Options) (*Client, error) {
	base, err := NormalizeAPIURL(opts.APIURL)
	if err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	c := &Client{base: base, http: opts.HTTPClient, retries: opts.Retries, logger: opts.Logger,
		now: opts.Now, sleep: opts.Sleep, jitter: opts.Jitter, rates: opts.Rates, paces: map[paceKey]*pace{}}
	if c.jitter == nil {
		c.jitter = jitter
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: Timeout}
	}
	switch {
	case c.retries == 0:
		c.retries = DefaultRetries
	case c.retries < 0:
		c.retries = 0
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	return c, nil
}

// API is a slack-go client for one workspace's credentials: call the Web
// API through its methods (api.GetConversationHistoryContext(…)), and hand
// api.Client to what needs a *slackgo.Client, such as socketmode.New. It
// prints and logs as its workspace only: a *slackgo.Client printed with %v
// would show its tokens.
type API struct {
	*slackgo.Client
	workspace string
	stats     *Stats
	// for Call
	base  string
	token string
	doer  pacedDoer
}

// Stats counts the calls this API sent and the 429s Slack answered.
func (a *API) Stats() *Stats { return a.stats }

// For returns the API of one workspace's credentials: the bot token for the
// Web API and, when set, the app-level token for apps.connections.open
// (Socket Mode). Every call it makes waits for the workspace's budget of
// that method and is retried after a 429. workspaceID keys the budgets; ""
// is for a token whose workspace is not known yet (the first check of new
// credentials). Make one per job or connection; it is cheap, and the
// budgets live in c.
func (c *Client) For(workspaceID string, creds secret.Slack) *API {
	stats := &Stats{}
	doer := pacedDoer{c: c, workspace: workspaceID, stats: stats}
	opts := []slackgo.Option{
		slackgo.OptionAPIURL(c.base),
		slackgo.OptionHTTPClient(doer),
		slackgo.OptionLog(log.New(io.Discard, "", 0)), // slack-go's debug output would go to stderr
	}
	if creds.AppToken != "" {
		opts = append(opts, slackgo.OptionAppLevelToken(creds.AppToken))
	}
	return &API{Client: slackgo.New(creds.BotToken, opts...), workspace: workspaceID, stats: stats,
		base: c.base, token: creds.BotToken, doer: doer}
}

// String names the API's workspace, never its tokens.
func (a *API) String() string { return fmt.Sprintf("slack.API{workspace:%q}", a.workspace) }

// GoString is String, for %#v.
func (a *API) GoString() string { return a.String() }

// Format shows String for every verb.
func (a *API) Format(f fmt.State, verb rune) { secret.Format(f, verb, a) }

// LogValue shows String.
func (a *API) LogValue() slog.Value { return slog.StringValue(a.String()) }

// MarshalJSON encodes String.
func (a *API) MarshalJSON() ([]byte, error) { return fmt.Appendf(nil, "%q", a.String()), nil }

// NormalizeAPIURL checks a Slack Web API base URL and gives it the trailing
// slash slack-go needs. "" is Slack's own.
func NormalizeAPIURL(s string) (string, error) {
	if s == "" {
		return DefaultAPIURL, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("slack API URL %q: want an http or https URL such as %s", s, DefaultAPIURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
