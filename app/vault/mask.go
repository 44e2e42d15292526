package vault

import (
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

// String returns c with masked values.
func (c SlackCredentials) String() string {
	return fmt.Sprintf("{BotToken:%s AppToken:%s SigningSecret:%s}",
		Mask(c.BotToken), Mask(c.AppToken), Mask(c.SigningSecret))
}

// GoString returns c as a Go literal with masked values, for %#v.
func (c SlackCredentials) GoString() string {
	return fmt.Sprintf("vault.SlackCredentials{BotToken:%q, AppToken:%q, SigningSecret:%q}",
		Mask(c.BotToken), Mask(c.AppToken), Mask(c.SigningSecret))
}

// Format masks c for every fmt verb, not only those that use String.
func (c SlackCredentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// LogValue returns c as a group of masked values for log/slog.
func (c SlackCredentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("bot_token", Mask(c.BotToken)),
		slog.String("app_token", Mask(c.AppToken)),
		slog.String("signing_secret", Mask(c.SigningSecret)),
	)
}
