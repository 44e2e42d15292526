// Package secret holds Lore's secret values in types that never print them,
// and the one masking every redaction uses. It imports nothing of Lore, so
// that storage, the vault and the services share one type for the Slack
// secrets instead of converting between look-alikes.
package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// Mask returns s in a form safe to display: a Slack-style prefix of at most 5
// characters ending in '-' (such as "xoxb-"), "…", and the last 4 characters,
// as in "xoxb-…9f3a". A value shorter than 12 characters becomes "…", and ""
// stays "" so that a missing secret is visible.
func Mask(s string) string {
	const minLen, maxPrefix, suffix = 12, 5, 4
	r := []rune(s)
	switch {
	case len(r) == 0:
		return ""
	case len(r) < minLen:
		return "…"
	}
	prefix, head := "", string(r[:maxPrefix])
	if i := strings.IndexByte(head, '-'); i >= 0 {
		prefix = head[:i+1]
	}
	return prefix + "…" + string(r[len(r)-suffix:])
}

// Redacted is what a redacted value shows: "" when it is not set (so that a
// missing secret is visible), else "[redacted]", with nothing of the value.
// Key material uses it rather than Mask: no byte of a key is shown.
func Redacted(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Slack is a workspace's three Slack secrets, as plaintext or as vault
// tokens (each field then holds a token). An empty field is a secret not
// set. Printing, logging or JSON-encoding a Slack shows only masked values
// (see Mask), also as a field of another struct; printing it as an
// unexported field goes around its methods, so do not embed it in one.
type Slack struct {
	BotToken      string
	AppToken      string
	SigningSecret string
}

// IsZero reports whether no secret is set.
func (c Slack) IsZero() bool { return c == Slack{} }

// Map returns c with f applied to each secret, for encrypting and
// decrypting the three at once; the error names the secret that failed.
func (c Slack) Map(f func(string) (string, error)) (Slack, error) {
	var out Slack
	var err error
	if out.BotToken, err = f(c.BotToken); err != nil {
		return Slack{}, fmt.Errorf("slack bot token: %w", err)
	}
	if out.AppToken, err = f(c.AppToken); err != nil {
		return Slack{}, fmt.Errorf("slack app token: %w", err)
	}
	if out.SigningSecret, err = f(c.SigningSecret); err != nil {
		return Slack{}, fmt.Errorf("slack signing secret: %w", err)
	}
	return out, nil
}

// masked is c with every secret masked, the one form all the methods below show.
func (c Slack) masked() Slack {
	return Slack{BotToken: Mask(c.BotToken), AppToken: Mask(c.AppToken), SigningSecret: Mask(c.SigningSecret)}
}

// String returns c with masked values.
func (c Slack) String() string {
	m := c.masked()
	return fmt.Sprintf("{BotToken:%s AppToken:%s SigningSecret:%s}", m.BotToken, m.AppToken, m.SigningSecret)
}

// GoString returns c as a Go literal with masked values, for %#v.
func (c Slack) GoString() string {
	m := c.masked()
	return fmt.Sprintf("secret.Slack{BotToken:%q, AppToken:%q, SigningSecret:%q}", m.BotToken, m.AppToken, m.SigningSecret)
}

// Format masks c for every fmt verb, not only those that use String.
func (c Slack) Format(f fmt.State, verb rune) { Format(f, verb, c) }

// LogValue returns c as a group of masked values for log/slog.
func (c Slack) LogValue() slog.Value {
	m := c.masked()
	return slog.GroupValue(
		slog.String("bot_token", m.BotToken),
		slog.String("app_token", m.AppToken),
		slog.String("signing_secret", m.SigningSecret),
	)
}

// MarshalJSON encodes c with masked values, so that a JSON log handler or a
// careless encoder shows no secret either.
func (c Slack) MarshalJSON() ([]byte, error) {
	m := c.masked()
	return json.Marshal(map[string]string{"bot_token": m.BotToken, "app_token": m.AppToken, "signing_secret": m.SigningSecret})
}

// Format is the fmt.Formatter of every type that holds a secret: %#v
// prints v's GoString, every other verb its String, so that no verb (%x,
// %d, %q, …) reaches the fields themselves.
func Format(f fmt.State, verb rune, v interface {
	fmt.Stringer
	fmt.GoStringer
}) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, v.GoString())
		return
	}
	fmt.Fprint(f, v.String())
}
