package slack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"time"

	slackgo "github.com/slack-go/slack"

	"lore/storage/secret"
)

// ErrUnavailable is matched (errors.Is) by every *Error that means Slack
// could not be asked or could not answer: try again later.
var ErrUnavailable = errors.New("slack unavailable")

// Error is a failed Slack call, sorted by Classify. Its message is made
// only of Lore's own words, Slack's error code when it is a plain code, and
// numbers: never upstream text, which could echo a piece of a token.
type Error struct {
	// Code is Slack's error code ("channel_not_found", "token_revoked") when
	// Slack answered with a plain one; "" otherwise.
	Code string
	// Status is the HTTP status of the answer; 0 when none came.
	Status int
	// RetryAfter is how long to wait before trying again, when Slack rate
	// limited the call or Lore's pacing could not wait that long; bounded
	// (see RetryAfter).
	RetryAfter time.Duration
	// reason says why Slack did not answer; "" when it answered with Code.
	reason string
}

func (e *Error) Error() string {
	if e.reason != "" {
		return e.reason
	}
	return "slack answered " + e.Code
}

// Unavailable reports whether Slack could not be asked or could not answer
// (network, timeout, 5xx, rate limit, a reply that is not Slack's, a
// transient error code), as opposed to answering no.
func (e *Error) Unavailable() bool { return e.reason != "" }

// Is makes errors.Is(err, ErrUnavailable) true for an unavailable Slack.
func (e *Error) Is(target error) bool { return target == ErrUnavailable && e.Unavailable() }

// TokenRejected reports whether Slack refused the token itself: the
// credentials need the admin's attention, and no retry will help.
func (e *Error) TokenRejected() bool { return tokenRejections[e.Code] }

// tokenRejections are the codes that mean the token is bad.
var tokenRejections = map[string]bool{
	"invalid_auth":            true,
	"not_authed":              true,
	"account_inactive":        true,
	"token_revoked":           true,
	"token_expired":           true,
	"not_allowed_token_type":  true,
	"missing_scope":           true, // an app-level token without connections:write cannot open Socket Mode
	"team_access_not_granted": true,
	"ekm_access_denied":       true,
}

// transientCodes are the codes with which Slack says it could not answer.
var transientCodes = map[string]bool{
	"ratelimited":         true,
	"fatal_error":         true,
	"internal_error":      true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// plainCode is what an error code of Slack's looks like. Anything else in
// the error field (a proxy's text, an echo of the request) is not passed on.
var plainCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// Classify sorts an error from a slack-go call into an *Error (nil for
// nil). secrets, the tokens of the call, are masked in the rare messages
// that carry text of our own making (a host name), as is anything shaped
// like a Slack token.
func Classify(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var (
		own         *Error
		slackErr    slackgo.SlackErrorResponse
		rateLimited *slackgo.RateLimitedError
		status      slackgo.StatusCodeError
		syntaxErr   *json.SyntaxError
		typeErr     *json.UnmarshalTypeError
		netErr      net.Error
	)
	e := &Error{}
	switch {
	case errors.As(err, &own):
		return own
	case errors.As(err, &slackErr):
		e.Status = http.StatusOK // slack-go reads the body of a 200 only
		switch code := slackErr.Err; {
		case !plainCode.MatchString(code):
			e.reason = "unexpected answer from Slack (HTTP 200)"
		case transientCodes[code]:
			e.Code, e.reason = code, "Slack could not answer: "+code
		default:
			e.Code = code
		}
	case errors.As(err, &rateLimited):
		// Client.For bounds the header; a slack-go client of another origin may not have.
		e.Status, e.RetryAfter = http.StatusTooManyRequests, bound(rateLimited.RetryAfter)
		e.reason = fmt.Sprintf("Slack is rate limiting Lore; retry after %s", e.RetryAfter)
	case errors.As(err, &status) && status.Code == http.StatusTooManyRequests:
		e.Status, e.RetryAfter = status.Code, DefaultRetryAfter
		e.reason = fmt.Sprintf("Slack is rate limiting Lore; retry after %s", e.RetryAfter)
	case errors.As(err, &status):
		e.Status, e.reason = status.Code, fmt.Sprintf("could not reach Slack: HTTP %d", status.Code)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		e.reason = "could not reach Slack: no answer in time"
	case errors.Is(err, context.Canceled):
		e.reason = "could not reach Slack: the request was canceled"
	case errors.As(err, &syntaxErr), errors.As(err, &typeErr):
		e.Status, e.reason = http.StatusOK, "could not reach Slack: the reply was not Slack's API (check LORE_SLACK_API_URL)"
	default:
		e.reason = "could not reach Slack: " + scrub(networkProblem(err), secrets...)
	}
	return e
}

// networkProblem names what failed on the way to Slack in Lore's words:
// the transport's own messages can quote what the other end sent.
func networkProblem(err error) string {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		record  tls.RecordHeaderError
		opErr   *net.OpError
	)
	switch {
	case errors.As(err, &dnsErr):
		return "cannot resolve " + dnsErr.Name
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before Slack answered"
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &record):
		return "TLS failed (check LORE_SLACK_API_URL and the server's certificate)"
	case errors.As(err, &opErr):
		return "network error (" + opErr.Op + ")"
	}
	return "the connection failed, or the reply was not Slack's API (check LORE_SLACK_API_URL)"
}

// tokenLike matches Slack tokens, so that one in a message is masked too.
var tokenLike = regexp.MustCompile(`x(?:ox[a-z]|app)-[A-Za-z0-9-]+`)

// scrub masks the secrets, and anything shaped like a Slack token, in s.
func scrub(s string, secrets ...string) string {
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, secret.Mask(v))
		}
	}
	return tokenLike.ReplaceAllStringFunc(s, secret.Mask)
}
