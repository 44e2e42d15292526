package slack

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Tier is one of Slack's rate-limit tiers: about PerMinute calls a minute
// per method and workspace, with Burst calls allowed at once.
type Tier struct {
	PerMinute int
	Burst     int
}

// TierOf is the tier of a Web API method, after Slack's rate-limit page:
// Tier 1 about 1 call a minute, Tier 2 20, Tier 3 50, Tier 4 100, each with
// a small burst. conversations.history and conversations.replies are Tier 3
// for an app a workspace makes for itself, which a Lore install is (Slack's
// 2025 limit of 1 a minute is for commercially distributed apps). A method
// not listed is taken as Tier 3.
func TierOf(method string) Tier {
	switch method {
	case "apps.connections.open": // every Socket Mode (re)connect, and a check of the app-level token
		return Tier{PerMinute: 1, Burst: 1}
	case "conversations.list", "users.list":
		return Tier{PerMinute: 20, Burst: 3}
	case "auth.test", "users.info", "chat.postEphemeral":
		return Tier{PerMinute: 100, Burst: 10}
	case "chat.postMessage": // Slack's "special" tier: about 1 a second per channel
		return Tier{PerMinute: 60, Burst: 5}
	}
	return Tier{PerMinute: 50, Burst: 5} // Tier 3: conversations.history, .replies, .info, …
}

// Bounds of a Retry-After: Slack asks for seconds to a minute or so.
const (
	// MaxRetryAfter caps the wait Slack may ask for.
	MaxRetryAfter = 15 * time.Minute
	// DefaultRetryAfter is the wait when a 429 has no usable Retry-After.
	DefaultRetryAfter = 30 * time.Second
	// nonsenseRetryAfter is past any wait Slack means; such a value (for
	// example 99999999999, which once became a 246-year wait) is taken as
	// missing, not as "wait the longest".
	nonsenseRetryAfter = 24 * time.Hour
)

// RetryAfter reads a Retry-After header value: whole seconds (what Slack
// sends) or an HTTP date. A wait longer than MaxRetryAfter is cut to it; a
// value that is missing, negative, not a number, absurd (past a day) or out
// of range is DefaultRetryAfter; 0 is one second, so that nothing spins.
func RetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if n, err := strconv.ParseInt(value, 10, 64); err == nil {
		if n < 0 || n > int64(nonsenseRetryAfter/time.Second) {
			return DefaultRetryAfter
		}
		return bound(time.Duration(n) * time.Second)
	}
	if t, err := http.ParseTime(value); err == nil {
		return bound(max(t.Sub(now), 0))
	}
	return DefaultRetryAfter
}

// bound applies RetryAfter's rules to a wait already read.
func bound(d time.Duration) time.Duration {
	if d < 0 || d > nonsenseRetryAfter {
		return DefaultRetryAfter
	}
	return min(max(d, time.Second), MaxRetryAfter)
}

type paceKey struct{ workspace, method string }

// pace is the budget of one method in one workspace. Its limiter starts at
// the configured rate (the tier's, or Options.Rates'), with the tier's
// burst. A 429 ends the bursts (a burst right after a Retry-After meets a
// bucket Slack has only partly refilled) and slows the limiter by slowdown,
// or down to the rate at which Slack answered over the last window when
// that is lower (a floor of Slack's ceiling); only once per Retry-After, as
// the calls already on their way when Slack said so say nothing new. Each
// call Slack answers speeds it up by speedup, never past the configured
// rate. A configured rate above what Slack allows so settles just under
// Slack's ceiling, with a call too many (which waits its Retry-After) every
// hundred calls or so.
type pace struct {
	limiter    *rate.Limiter
	configured rate.Limit
	until      time.Time   // Slack's last Retry-After: no call before it
	answers    []time.Time // when Slack answered the latest calls, oldest first
}

const (
	slowdown = 0.95
	speedup  = 1.001
	// slowest is the floor of a slowed limiter, as a share of its configured rate.
	slowest = 0.02
	// window is how far back answered calls measure Slack's rate.
	window = 10 * time.Second
	// keepAnswers is how many answer times a pace keeps.
	keepAnswers = 64
)

func (c *Client) pace(k paceKey) *pace {
	p, ok := c.paces[k]
	if !ok {
		t := TierOf(k.method)
		if n := c.rates[k.method]; n > 0 {
			t.PerMinute = n
		}
		limit := rate.Limit(float64(t.PerMinute) / 60)
		p = &pace{limiter: rate.NewLimiter(limit, t.Burst), configured: limit}
		c.paces[k] = p
	}
	return p
}

// answered adapts k's limiter to how Slack answered a call: slower after a
// 429, a little faster (back toward the configured rate) after any other.
func (c *Client) answered(k paceKey, limited bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pace(k)
	now := c.now()
	cur := p.limiter.Limit()
	switch {
	case limited && !now.Before(p.until):
		next := cur * slowdown
		if measured, ok := p.measured(now); ok {
			next = min(next, measured)
		}
		p.limiter.SetBurstAt(now, 1)
		p.limiter.SetLimitAt(now, max(next, cur/2, p.configured*slowest))
	case limited:
	default:
		if len(p.answers) == keepAnswers {
			p.answers = p.answers[1:]
		}
		p.answers = append(p.answers, now)
		if cur < p.configured {
			p.limiter.SetLimitAt(now, min(cur*speedup, p.configured))
		}
	}
}

// measured is the rate at which Slack answered over the last window, when
// enough calls were answered in it to tell: a floor of Slack's ceiling
// (Retry-Afters held calls back for part of it).
func (p *pace) measured(now time.Time) (rate.Limit, bool) {
	i := len(p.answers)
	for i > 0 && now.Sub(p.answers[i-1]) < window {
		i--
	}
	recent := p.answers[i:]
	if len(recent) < 10 {
		return 0, false
	}
	span := recent[len(recent)-1].Sub(recent[0]).Seconds()
	if span <= 0 {
		return 0, false
	}
	return rate.Limit(float64(len(recent)-1) / span), true
}

// Rate is the calls a minute k's limiter allows now, for tests and
// benchmarks.
func (c *Client) Rate(workspaceID, method string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return float64(c.pace(paceKey{workspaceID, method}).limiter.Limit()) * 60
}

// wait takes one call of k's budget, sleeping until it is there. When ctx
// ends sooner than that it gives the call back and returns an *Error with
// the wait as RetryAfter (or ctx's error if it ended while sleeping).
func (c *Client) wait(ctx context.Context, k paceKey) error {
	now := c.now()
	c.mu.Lock()
	p := c.pace(k)
	r := p.limiter.ReserveN(now, 1)
	d := max(r.DelayFrom(now), p.until.Sub(now))
	c.mu.Unlock()
	if d <= 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && now.Add(d).After(deadline) {
		r.CancelAt(now)
		return &Error{RetryAfter: d, reason: "Lore is pacing its calls to Slack's " + k.method + " (Slack's limit for it)" +
			"; retry after " + roundUp(d).String()}
	}
	c.logger.Debug("pacing a call to slack", "method", k.method, "workspace_id", k.workspace, "wait", d)
	if err := c.sleep(ctx, d); err != nil {
		r.CancelAt(c.now())
		return err
	}
	return nil
}

// holdOff keeps every call of k until d from now (plus jitter), as a 429
// asked: the jitter keeps the calls that waited together from arriving
// together again.
func (c *Client) holdOff(k paceKey, d time.Duration) {
	d += c.jitter(d)
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := c.now().Add(d); until.After(c.pace(k).until) {
		c.pace(k).until = until
	}
}

// jitter is up to a tenth of d, at most a second.
func jitter(d time.Duration) time.Duration {
	return time.Duration(rand.Int64N(int64(min(d/10, time.Second)) + 1))
}

// pacedDoer is the HTTP client slack-go gets from Client.For: it paces each
// call by its method (the last element of the URL path) and workspace, and
// sends it again after a 429 while Retries and the context allow. The 429 it
// finally returns carries the bounded Retry-After, so that slack-go's
// RateLimitedError never holds Slack's raw value.
type pacedDoer struct {
	c         *Client
	workspace string
	stats     *Stats
}

// Stats counts the calls an API sent to Slack (each retry after a 429
// too) and the 429s among them. It is safe for concurrent use.
type Stats struct {
	calls, rateLimited atomic.Int64
}

func (s *Stats) count(limited bool) {
	s.calls.Add(1)
	if limited {
		s.rateLimited.Add(1)
	}
}

// Calls is how many calls were sent.
func (s *Stats) Calls() int64 { return s.calls.Load() }

// RateLimited is how many of them Slack answered with a 429.
func (s *Stats) RateLimited() int64 { return s.rateLimited.Load() }

func (d pacedDoer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	k := paceKey{workspace: d.workspace, method: path.Base(req.URL.Path)}
	for attempt := 0; ; attempt++ {
		if err := d.c.wait(ctx, k); err != nil {
			return nil, err
		}
		resp, err := d.c.http.Do(req)
		if err != nil {
			return resp, err
		}
		limited := resp.StatusCode == http.StatusTooManyRequests
		d.c.answered(k, limited)
		if d.stats != nil {
			d.stats.count(limited)
		}
		if !limited {
			return resp, nil
		}
		after := RetryAfter(resp.Header.Get("Retry-After"), d.c.now())
		resp.Header.Set("Retry-After", strconv.FormatInt(int64(roundUp(after)/time.Second), 10))
		d.c.holdOff(k, after)
		deadline, hasDeadline := ctx.Deadline()
		if attempt >= d.c.retries || (req.Body != nil && req.GetBody == nil) ||
			(hasDeadline && d.c.now().Add(after).After(deadline)) {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		d.c.logger.Info("slack rate limited a call; retrying", "method", k.method, "workspace_id", k.workspace,
			"retry_after", after, "attempt", attempt+1)
		next := req.Clone(ctx)
		if req.GetBody != nil {
			if next.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		req = next
	}
}

// roundUp rounds d up to whole seconds, as a Retry-After says it.
func roundUp(d time.Duration) time.Duration { return (d + time.Second - 1) / time.Second * time.Second }
