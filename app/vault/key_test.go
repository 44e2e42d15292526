package vault

import (
	"bytes"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	salt := []byte("0123456789abcdef")
	tests := []struct {
		name     string
		material string
		kdf      KDF
		want     string // the key, as a Fernet key
	}{
		{"fernet key", specSecret, KDF{}, specSecret},
		{"fernet key ignores kdf", specSecret, KDF{Salt: salt, Iterations: 1000}, specSecret},
		{"fernet key with whitespace", " \t" + specSecret + "\r\n", KDF{}, specSecret},
		// Reference from Python's hashlib.pbkdf2_hmac.
		{"passphrase", "correct horse", KDF{Salt: salt, Iterations: 1000}, "cBg8D2DungRB9k76szThf5ehfyBz991ay6PT8Srwk4M="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKey(tt.material, tt.kdf)
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			if got := encoded(k); got != tt.want {
				t.Errorf("key = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseKeyPassphraseIsExact(t *testing.T) {
	t.Parallel()
	kdf := KDF{Salt: []byte("salt"), Iterations: 10}
	a, err := ParseKey("secret", kdf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseKey("secret\n", kdf)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseKey("secret", KDF{Salt: []byte("pepper"), Iterations: 10})
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint() == b.Fingerprint() || a.Fingerprint() == c.Fingerprint() {
		t.Errorf("fingerprints %s %s %s: want trailing newline and salt to change the key",
			a.Fingerprint(), b.Fingerprint(), c.Fingerprint())
	}
}

func TestParseKeyErrors(t *testing.T) {
	t.Parallel()
	unpadded := strings.TrimRight(specSecret, "=")
	tests := []struct {
		name     string
		material string
		kdf      KDF
		want     string
	}{
		{"empty", "", KDF{Salt: []byte("s"), Iterations: 1}, "empty key material"},
		{"whitespace", " \n\t", KDF{Salt: []byte("s"), Iterations: 1}, "empty key material"},
		{"passphrase without salt", "hunter2-passphrase", KDF{Iterations: 1}, "salt"},
		{"passphrase with zero iterations", "hunter2-passphrase", KDF{Salt: []byte("s")}, "iteration"},
		{"passphrase with negative iterations", "hunter2-passphrase", KDF{Salt: []byte("s"), Iterations: -5}, "got -5"},
		{"unpadded key is a passphrase", unpadded, KDF{}, "salt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKey(tt.material, tt.kdf)
			if err == nil {
				t.Fatalf("ParseKey = %v, want error", k.Fingerprint())
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "vault: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want vault: prefix and %q", msg, tt.want)
			}
			if m := strings.TrimSpace(tt.material); m != "" && strings.Contains(msg, m) {
				t.Errorf("error %q contains the material", msg)
			}
		})
	}
}

func TestIsFernetKey(t *testing.T) {
	t.Parallel()
	allOnes := bytes.Repeat([]byte{0xff}, 32)
	tests := []struct {
		s    string
		want bool
	}{
		{specSecret, true},
		{base64.URLEncoding.EncodeToString(allOnes), true},
		{base64.StdEncoding.EncodeToString(allOnes), false}, // '/' is not base64url
		{strings.TrimRight(specSecret, "="), false},
		{" " + specSecret, false},
		{specSecret[:20] + "\n" + specSecret[20:], false},
		{base64.URLEncoding.EncodeToString(allOnes[:31]), false},
		{base64.URLEncoding.EncodeToString(append(allOnes, 1)), false},
		{"", false},
		{"correct horse battery staple", false},
	}
	for _, tt := range tests {
		if got := IsFernetKey(tt.s); got != tt.want {
			t.Errorf("IsFernetKey(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two generated keys are equal: %q", a)
	}
	if !IsFernetKey(a) {
		t.Errorf("IsFernetKey(%q) = false", a)
	}
	if got := encoded(mustKey(t, a)); got != a {
		t.Errorf("ParseKey(%q) encodes as %q", a, got)
	}
}

func TestNewSalt(t *testing.T) {
	t.Parallel()
	a, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 16 || bytes.Equal(a, b) {
		t.Errorf("NewSalt = %x, %x: want 16 random bytes", a, b)
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	// Computed with Python: hmac.new(key, b"lore-key-fingerprint-v1", sha256).hexdigest()[:32].
	const want = "b43dac0d7ec8ff47dfc9a8bd7d382309"
	if got := k.Fingerprint(); got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(k.Fingerprint()) {
		t.Errorf("Fingerprint %q is not 32 hex digits", k.Fingerprint())
	}
	if other := mustKey(t, otherSecret).Fingerprint(); other == want {
		t.Errorf("two keys share fingerprint %s", other)
	}
}

func TestDestroy(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	fp := k.Fingerprint()
	tok, err := k.Encrypt("xoxb-secret")
	if err != nil {
		t.Fatal(err)
	}
	k.Destroy()
	k.Destroy() // idempotent

	if k.b != [keySize]byte{} {
		t.Errorf("key bytes not zeroed: %x", k.b)
	}
	if got := encoded(k); got != "" {
		t.Errorf("key after Destroy = %q, want \"\"", got)
	}
	if got := k.Fingerprint(); got != fp {
		t.Errorf("Fingerprint after Destroy = %s, want %s", got, fp)
	}
	uses := map[string]func() error{
		"Encrypt":       func() error { _, err := k.Encrypt("x"); return err },
		"Encrypt empty": func() error { _, err := k.Encrypt(""); return err },
		"Decrypt":       func() error { _, err := k.Decrypt(tok); return err },
		"EncryptFields": func() error { _, err := k.EncryptFields(map[string]string{"a": "x"}, "a"); return err },
		"DecryptFields": func() error { _, err := k.DecryptFields(map[string]string{"a": tok}, "a"); return err },
	}
	for name, use := range uses {
		if err := use(); !errors.Is(err, ErrDestroyed) {
			t.Errorf("%s after Destroy: err = %v, want ErrDestroyed", name, err)
		}
	}
}

// TestDestroyConcurrent is for -race: Destroy while others encrypt.
func TestDestroyConcurrent(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	tok, err := k.Encrypt("payload")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 8 {
		go func() {
			for range 50 {
				p, err := k.Decrypt(tok)
				if err != nil && !errors.Is(err, ErrDestroyed) {
					done <- err
					return
				}
				if err == nil && p != "payload" {
					done <- errors.New("wrong plaintext " + p)
					return
				}
			}
			done <- nil
		}()
	}
	k.Destroy()
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
