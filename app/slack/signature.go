package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureWindow is how far a request's timestamp may be from now: Slack
// asks to refuse older requests, so that a captured one cannot be replayed.
const SignatureWindow = 5 * time.Minute

// ErrBadSignature reports a request that does not prove it comes from Slack:
// its signature or timestamp is missing, stale or wrong. The wrapped
// message says which, for the log; the caller answers 401 alike.
var ErrBadSignature = errors.New("slack: request signature refused")

// VerifySignature checks that a request Slack posted (HTTP mode) was signed
// with the workspace's signing secret: X-Slack-Signature must be "v0=" and
// the hex HMAC-SHA256 of "v0:" + X-Slack-Request-Timestamp + ":" + the raw
// body, compared in constant time, and the timestamp within SignatureWindow
// of now. now is the caller's clock, so that tests can inject one
// (slack-go's SecretsVerifier reads the wall clock).
func VerifySignature(signingSecret string, h http.Header, body []byte, now time.Time) error {
	if signingSecret == "" {
		return fmt.Errorf("%w: no signing secret to check it with", ErrBadSignature)
	}
	ts, sig := h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature")
	if ts == "" || sig == "" {
		return fmt.Errorf("%w: X-Slack-Request-Timestamp or X-Slack-Signature missing", ErrBadSignature)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: X-Slack-Request-Timestamp %q is not a number", ErrBadSignature, ts)
	}
	if d := now.Sub(time.Unix(secs, 0)); d > SignatureWindow || d < -SignatureWindow {
		return fmt.Errorf("%w: timestamp %s is %s away from now", ErrBadSignature, ts, d.Round(time.Second))
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return fmt.Errorf("%w: X-Slack-Signature is not a v0 signature", ErrBadSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: X-Slack-Signature is not hexadecimal", ErrBadSignature)
	}
	if !hmac.Equal(got, Sign(signingSecret, ts, body)) {
		return fmt.Errorf("%w: signature does not match", ErrBadSignature)
	}
	return nil
}

// Sign returns the v0 HMAC-SHA256 of a request: what Slack puts, hex
// encoded after "v0=", in X-Slack-Signature. Tests sign requests with it.
func Sign(signingSecret, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(signingSecret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return mac.Sum(nil)
}

// SignatureHeader is Sign as X-Slack-Signature's value.
func SignatureHeader(signingSecret, timestamp string, body []byte) string {
	return "v0=" + hex.EncodeToString(Sign(signingSecret, timestamp, body))
}
