package vault

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestEncryptFields(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	in := map[string]string{"bot_token": "xoxb-1-2-secret", "app_token": "", "team": "T0123"}
	orig := maps.Clone(in)

	enc, err := k.EncryptFields(in, "bot_token", "app_token", "missing", "bot_token")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(in, orig) {
		t.Errorf("input changed to %v", in)
	}
	if len(enc) != 3 || enc["team"] != "T0123" || enc["app_token"] != "" {
		t.Errorf("EncryptFields = %v: want team untouched, empty app_token, no missing", enc)
	}
	if !strings.HasPrefix(enc["bot_token"], "gAAAAA") {
		t.Errorf("bot_token = %q, want a token", enc["bot_token"])
	}
	// The repeated name must not encrypt twice.
	if p, err := k.Decrypt(enc["bot_token"]); err != nil || p != in["bot_token"] {
		t.Errorf("Decrypt(bot_token) = %q, %v", p, err)
	}

	dec, err := k.DecryptFields(enc, "bot_token", "app_token", "missing")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(dec, orig) {
		t.Errorf("DecryptFields = %v, want %v", dec, orig)
	}
}

func TestFieldsEdgeCases(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	out, err := k.EncryptFields(nil, "a")
	if err != nil || out == nil || len(out) != 0 {
		t.Errorf("EncryptFields(nil) = %#v, %v; want an empty map", out, err)
	}
	_, err = k.DecryptFields(map[string]string{"a": "not a token"}, "a")
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("DecryptFields error = %v, want ErrMalformed naming field \"a\"", err)
	}
}
