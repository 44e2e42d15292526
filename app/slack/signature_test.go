package slack

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"lore/app/testshared"
)

type signingVector struct {
	Name              string `json:"name"`
	SigningSecret     string `json:"signing_secret"`
	Timestamp         string `json:"timestamp"`
	Body              string `json:"body"`
	ExpectedSignature string `json:"expected_signature"`
}

func signingVectors(t *testing.T) []signingVector {
	t.Helper()
	b, err := os.ReadFile(testshared.Path(t, "testdata/slack-signing.json"))
	if err != nil {
		t.Fatalf("the shared signing vectors: %v", err)
	}
	var f struct{ Vectors []signingVector }
	if err := json.Unmarshal(b, &f); err != nil || len(f.Vectors) < 2 {
		t.Fatalf("signing vectors: %v (%d)", err, len(f.Vectors))
	}
	return f.Vectors
}

func signedHeader(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set("X-Slack-Request-Timestamp", ts)
	}
	if sig != "" {
		h.Set("X-Slack-Signature", sig)
	}
	return h
}

// TestVerifySignatureVectors: Slack's documented example and slack-go's
// pass at their own time (an injected clock), and everything that is not
// exactly them fails: another secret, a changed body, a forged or
// malformed signature, a missing header, a timestamp outside five minutes.
func TestVerifySignatureVectors(t *testing.T) {
	t.Parallel()
	for _, v := range signingVectors(t) {
		secs, _ := strconv.ParseInt(v.Timestamp, 10, 64)
		at := time.Unix(secs, 0)
		body := []byte(v.Body)
		if got := SignatureHeader(v.SigningSecret, v.Timestamp, body); got != v.ExpectedSignature {
			t.Errorf("%s: signed %s, want %s", v.Name, got, v.ExpectedSignature)
		}
		h := signedHeader(v.Timestamp, v.ExpectedSignature)
		for _, now := range []time.Time{at, at.Add(SignatureWindow), at.Add(-SignatureWindow)} {
			if err := VerifySignature(v.SigningSecret, h, body, now); err != nil {
				t.Errorf("%s at %v: %v", v.Name, now.Sub(at), err)
			}
		}
		forged := "v0=" + strings.Repeat("0", 64)
		cases := []struct {
			name   string
			secret string
			h      http.Header
			body   []byte
			now    time.Time
			want   string
		}{
			{"wall clock", v.SigningSecret, h, body, time.Now(), "away from now"},
			{"stale", v.SigningSecret, h, body, at.Add(SignatureWindow + time.Second), "away from now"},
			{"from the future", v.SigningSecret, h, body, at.Add(-SignatureWindow - time.Second), "away from now"},
			{"other secret", v.SigningSecret[:len(v.SigningSecret)-2] + "oo", h, body, at, "does not match"},
			{"changed body", v.SigningSecret, h, []byte(strings.Replace(v.Body, "token", "tokem", 1)), at, "does not match"},
			{"body with a byte more", v.SigningSecret, h, append(append([]byte(nil), body...), ' '), at, "does not match"},
			{"forged", v.SigningSecret, signedHeader(v.Timestamp, forged), body, at, "does not match"},
			{"v1", v.SigningSecret, signedHeader(v.Timestamp, "v1="+v.ExpectedSignature[3:]), body, at, "not a v0"},
			{"not hex", v.SigningSecret, signedHeader(v.Timestamp, "v0=zz"), body, at, "not hexadecimal"},
			{"no signature", v.SigningSecret, signedHeader(v.Timestamp, ""), body, at, "missing"},
			{"no timestamp", v.SigningSecret, signedHeader("", v.ExpectedSignature), body, at, "missing"},
			{"timestamp not a number", v.SigningSecret, signedHeader("15314x", v.ExpectedSignature), body, at, "not a number"},
			{"no secret", "", h, body, at, "no signing secret"},
		}
		for _, c := range cases {
			err := VerifySignature(c.secret, c.h, c.body, c.now)
			if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s, %s: %v, want ErrBadSignature saying %q", v.Name, c.name, err, c.want)
			}
		}
	}
}
