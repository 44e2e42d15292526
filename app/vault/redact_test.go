package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestKeysNeverPrintTheirBytes formats a Key and a Keyring, alone and inside
// other values, with every verb and both slog handlers, and looks for the key
// in every encoding it could come out as.
func TestKeysNeverPrintTheirBytes(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	ring := NewKeyring()
	ring.Add(1, k)
	if err := ring.SetActive(1); err != nil {
		t.Fatal(err)
	}
	type holder struct {
		Key  *Key
		Ring *Keyring
	}
	h := holder{k, ring}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("keys", "key", k, "ring", ring, "holder", h)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("keys", "key", k, "ring", ring, "holder", h)
	encodedJSON, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String() + string(encodedJSON)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		out += fmt.Sprintf(verb, k) + fmt.Sprintf(verb, ring) + fmt.Sprintf(verb, h) + fmt.Sprintf(verb, &h)
	}
	raw := k.b[:]
	needles := []string{specSecret, base64.URLEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw[:12]),
		hex.EncodeToString(raw[:8]), strings.ToUpper(hex.EncodeToString(raw[:8])), fmt.Sprint(raw[:8]), string(raw[:8])}
	for _, n := range needles {
		if strings.Contains(out, n) {
			t.Errorf("output contains key material %q:\n%s", n, out)
		}
	}
	if !strings.Contains(out, k.Fingerprint()) {
		t.Errorf("output lacks the fingerprint:\n%s", out)
	}
}
