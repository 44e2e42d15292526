package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"lore/secret"

	"github.com/slack-go/slack"
)

// DefaultSlackAPIURL is Slack's Web API.
const DefaultSlackAPIURL = slack.APIURL

// slackTimeout bounds every call to Slack.
const slackTimeout = 10 * time.Second

// ErrSlackUnavailable is wrapped by every error that means Slack could not be
// asked or could not answer; nothing was recorded when it is returned.
var ErrSlackUnavailable = errors.New("slack unavailable")

// UnavailableError reports that Slack did not answer whether credentials are
// good: a network error, a timeout, a 5xx, a rate limit or an unexpected
// reply. Its message never contains a secret.
type UnavailableError struct {
	msg string
	// RetryAfter is how long Slack asked to wait, when it rate limited.
	RetryAfter time.Duration
}

func (e *UnavailableError) Error() string { return e.msg }

// Unwrap makes errors.Is(err, ErrSlackUnavailable) true.
func (e *UnavailableError) Unwrap() error { return ErrSlackUnavailable }

// NormalizeAPIURL checks a Slack Web API base URL and gives it the trailing
// slash slack-go needs. "" is Slack's own.
func NormalizeAPIURL(s string) (string, error) {
	if s == "" {
		return DefaultSlackAPIURL, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("slack API URL %q: want an http or https URL such as %s", s, DefaultSlackAPIURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

// rejections are the Slack error codes that mean the token itself is bad, as
// opposed to Slack being unable to answer.
var rejections = map[string]bool{
	"invalid_auth":            true,
	"not_authed":              true,
	"account_inactive":        true,
	"token_revoked":           true,
	"token_expired":           true,
	"not_allowed_token_type":  true,
	"missing_scope":           true, // an app token without connections:write cannot open Socket Mode
	"team_access_not_granted": true,
}

// slackAPI calls the two Slack methods that tell whether credentials work.
type slackAPI struct {
	base   string
	client *http.Client
}

func (a slackAPI) options() []slack.Option {
	return []slack.Option{
		slack.OptionAPIURL(a.base),
		slack.OptionHTTPClient(a.client),
		slack.OptionLog(log.New(io.Discard, "", 0)), // slack-go's debug output would go to stderr
	}
}

// authTest calls auth.test with the bot token. rejected is Slack's error
// code when it turned the token down; err is an *UnavailableError when Slack
// did not say.
func (a slackAPI) authTest(ctx context.Context, botToken string) (resp *slack.AuthTestResponse, rejected string, err error) {
	ctx, cancel := context.WithTimeout(ctx, slackTimeout)
	defer cancel()
	resp, err = slack.New(botToken, a.options()...).AuthTestContext(ctx)
	if rejected, err = classify(err, botToken); rejected != "" || err != nil {
		return nil, rejected, err
	}
	return resp, "", nil
}

// openConnection calls apps.connections.open with the app-level token, which
// succeeds only for a token allowed to open Socket Mode. The URL it returns
// (a one-time ticket) is dropped unused.
func (a slackAPI) openConnection(ctx context.Context, appToken string) (rejected string, err error) {
	ctx, cancel := context.WithTimeout(ctx, slackTimeout)
	defer cancel()
	opts := append(a.options(), slack.OptionAppLevelToken(appToken))
	_, _, err = slack.New("", opts...).StartSocketModeContext(ctx)
	return classify(err, appToken)
}

// classify sorts a slack-go error into a rejection of the token (Slack's
// code) or an *UnavailableError, scrubbing secrets from its message.
func classify(err error, secrets ...string) (rejected string, unavailable error) {
	if err == nil {
		return "", nil
	}
	var slackErr slack.SlackErrorResponse
	var rateLimited *slack.RateLimitedError
	var status slack.StatusCodeError
	var urlErr *url.Error
	var netErr net.Error
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var msg string
	var retryAfter time.Duration
	switch {
	case errors.As(err, &slackErr):
		if rejections[slackErr.Err] {
			return slackErr.Err, nil
		}
		msg = "Slack could not check the credentials: " + slackErr.Err
	case errors.As(err, &rateLimited):
		retryAfter = rateLimited.RetryAfter
		msg = fmt.Sprintf("Slack is rate limiting Lore; retry after %s", rateLimited.RetryAfter)
	case errors.As(err, &status) && status.Code == http.StatusTooManyRequests:
		msg = "Slack is rate limiting Lore; retry later"
	case errors.As(err, &status):
		msg = fmt.Sprintf("could not reach Slack: HTTP %d", status.Code)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		msg = fmt.Sprintf("could not reach Slack: no answer within %s", slackTimeout)
	case errors.Is(err, context.Canceled):
		msg = "could not reach Slack: the request was canceled"
	case errors.As(err, &urlErr):
		// url.Error's own message repeats the URL, which could carry a
		// proxy's credentials; its cause names only addresses.
		msg = "could not reach Slack: " + urlErr.Err.Error()
	case errors.As(err, &syntaxErr), errors.As(err, &typeErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		msg = "could not reach Slack: the reply was not Slack's API (check LORE_SLACK_API_URL)"
	default:
		msg = "could not reach Slack: " + err.Error()
	}
	return "", &UnavailableError{msg: scrub(msg, secrets...), RetryAfter: retryAfter}
}

// tokenLike matches Slack tokens, so that one in an error message from
// elsewhere is masked too.
var tokenLike = regexp.MustCompile(`x(?:ox[a-z]|app)-[A-Za-z0-9-]+`)

// scrub masks the secrets, and anything shaped like a Slack token, in s.
func scrub(s string, secrets ...string) string {
	for _, s0 := range secrets {
		if s0 != "" {
			s = strings.ReplaceAll(s, s0, secret.Mask(s0))
		}
	}
	return tokenLike.ReplaceAllStringFunc(s, secret.Mask)
}
