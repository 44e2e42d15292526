package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"x", "…"},
		{"xoxb-123456", "…"}, // 11 characters
		{"xoxb-1234567", "xoxb-…4567"},
		{"xoxb-958667946125-595921190849-G2LmlZGEONYlgCtjfIZ4SOcM", "xoxb-…SOcM"},
		{"xapp-1-A0123-4567-abcdef", "xapp-…cdef"},
		{"8f742231b10e8888abcd99yyyzzz85a5", "…85a5"},
		{"supersecret-password", "…word"}, // no long prefix
		{"a-ünïcødé-秘密秘密", "a-…秘密秘密"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	if Redacted("") != "" || Redacted("k") != "[redacted]" {
		t.Errorf("Redacted = %q, %q", Redacted(""), Redacted("k"))
	}
}

func TestSlackNeverShowsSecrets(t *testing.T) {
	t.Parallel()
	c := Slack{
		BotToken:      "xoxb-958667946125-595921190849-G2LmlZGEONYlgCtjfIZ4SOcM",
		AppToken:      "xapp-1-A0123-538010185524-PVNPkNa1Hedcm4pMbXDuCL1m",
		SigningSecret: "8f742231b10e8888abcd99yyyzzz85a5",
	}
	secrets := []string{c.BotToken, c.AppToken, c.SigningSecret, "G2LmlZ", "PVNPkNa1", "b10e8888"}
	type wrapper struct{ Creds Slack }

	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("connect", slog.Any("creds", c), slog.Any("ptr", &c), slog.Any("nested", wrapper{c}))
	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("connect", "creds", c, "nested", wrapper{c})
	encoded, err := json.Marshal(wrapper{c})
	if err != nil {
		t.Fatal(err)
	}

	outputs := map[string]string{
		"%v":        fmt.Sprintf("%v", c),
		"%+v":       fmt.Sprintf("%+v", c),
		"%#v":       fmt.Sprintf("%#v", c),
		"%s":        fmt.Sprintf("%s", c),
		"%q":        fmt.Sprintf("%q", c),
		"%x":        fmt.Sprintf("%x", c),
		"%d":        fmt.Sprintf("%d", c),
		"pointer":   fmt.Sprintf("%+v", &c),
		"Sprint":    fmt.Sprint(c),
		"nested":    fmt.Sprintf("%+v", wrapper{c}),
		"nested #v": fmt.Sprintf("%#v", wrapper{c}),
		"slog json": logged.String(),
		"slog text": text.String(),
		"json":      string(encoded),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output %q contains secret %q", name, out, s)
			}
		}
		if !strings.Contains(out, "xoxb-…SOcM") {
			t.Errorf("%s output %q lacks the masked bot token", name, out)
		}
	}
	if !strings.Contains(logged.String(), `"creds":{"bot_token":"xoxb-…SOcM","app_token":"xapp-…CL1m","signing_secret":"…85a5"}`) {
		t.Errorf("slog JSON = %s", logged.String())
	}
}

func TestSlackMap(t *testing.T) {
	t.Parallel()
	c := Slack{BotToken: "b", AppToken: "a", SigningSecret: ""}
	got, err := c.Map(func(s string) (string, error) { return strings.ToUpper(s) + "!", nil })
	if err != nil || got != (Slack{BotToken: "B!", AppToken: "A!", SigningSecret: "!"}) {
		t.Errorf("Map = %#v, %v", got.GoString(), err)
	}
	boom := errors.New("boom")
	_, err = c.Map(func(s string) (string, error) {
		if s == "a" {
			return "", boom
		}
		return s, nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "app token") {
		t.Errorf("Map error = %v, want boom naming the app token", err)
	}
	if !(Slack{}).IsZero() || c.IsZero() {
		t.Error("IsZero is wrong")
	}
}
