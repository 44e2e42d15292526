package vault

import (
	"bytes"
	"crypto/aes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
)

type specVector struct {
	Desc   string    `json:"desc"`
	Token  string    `json:"token"`
	Now    time.Time `json:"now"`
	IV     []int     `json:"iv"`
	TTLSec int       `json:"ttl_sec"`
	Src    string    `json:"src"`
	Secret string    `json:"secret"`
}

func TestSpecGenerate(t *testing.T) {
	t.Parallel()
	var vectors []specVector
	loadJSON(t, "fernet-spec/generate.json", &vectors)
	if len(vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vectors {
		iv := make([]byte, len(v.IV))
		for i, b := range v.IV {
			iv[i] = byte(b)
		}
		got, err := mustKey(t, v.Secret).encryptAt(v.Src, iv, v.Now)
		if err != nil {
			t.Fatalf("encryptAt(%q): %v", v.Src, err)
		}
		if got != v.Token {
			t.Errorf("encryptAt(%q) = %s, want %s", v.Src, got, v.Token)
		}
	}
}

func TestSpecVerify(t *testing.T) {
	t.Parallel()
	var vectors []specVector
	loadJSON(t, "fernet-spec/verify.json", &vectors)
	if len(vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vectors {
		k := mustKey(t, v.Secret)
		if got, err := k.Decrypt(v.Token); err != nil || got != v.Src {
			t.Errorf("Decrypt = %q, %v; want %q", got, err, v.Src)
		}
		ttl := time.Duration(v.TTLSec) * time.Second
		if got, err := k.decryptTTL(v.Token, v.Now, ttl); err != nil || got != v.Src {
			t.Errorf("decryptTTL = %q, %v; want %q", got, err, v.Src)
		}
	}
}

func TestSpecInvalid(t *testing.T) {
	t.Parallel()
	want := map[string]error{
		"incorrect mac":  ErrBadSignature,
		"too short":      ErrMalformed,
		"invalid base64": ErrMalformed,
		"payload size not multiple of block size": ErrMalformed,
		"payload padding error":                   ErrMalformed,
		"far-future TS (unacceptable clock skew)": errExpired,
		"expired TTL":                         errExpired,
		"incorrect IV (causes padding error)": ErrMalformed,
	}
	var vectors []specVector
	loadJSON(t, "fernet-spec/invalid.json", &vectors)
	if len(vectors) != len(want) {
		t.Fatalf("%d vectors, want %d", len(vectors), len(want))
	}
	for _, v := range vectors {
		t.Run(v.Desc, func(t *testing.T) {
			wantErr, ok := want[v.Desc]
			if !ok {
				t.Fatalf("unexpected vector %q", v.Desc)
			}
			k := mustKey(t, v.Secret)
			got, err := k.decryptTTL(v.Token, v.Now, time.Duration(v.TTLSec)*time.Second)
			if !errors.Is(err, wantErr) {
				t.Errorf("decryptTTL = %q, %v; want %v", got, err, wantErr)
			}
			// Lore's tokens never expire: only the TTL vectors decrypt (the
			// spec encrypted an empty message in them).
			got, err = k.Decrypt(v.Token)
			if wantErr == errExpired {
				if err != nil || got != "" {
					t.Errorf("Decrypt = %q, %v; want \"\", nil (no TTL)", got, err)
				}
			} else if !errors.Is(err, wantErr) {
				t.Errorf("Decrypt = %q, %v; want %v", got, err, wantErr)
			}
		})
	}
}

type pythonVector struct {
	Kind             string `json:"kind"`
	EncryptionKey    string `json:"encryption_key"`
	Salt             string `json:"salt"`
	Iterations       int    `json:"iterations"`
	DerivedFernetKey string `json:"derived_fernet_key"`
	Plaintext        string `json:"plaintext"`
	Token            string `json:"token"`
}

func TestPythonVectors(t *testing.T) {
	t.Parallel()
	var file struct{ Vectors []pythonVector }
	loadJSON(t, "python-fernet-vectors.json", &file)
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for i, v := range file.Vectors {
		t.Run(v.Kind+"/"+string(rune('0'+i)), func(t *testing.T) {
			t.Parallel()
			wantKey := v.EncryptionKey
			if v.Kind == "pbkdf2_passphrase" {
				wantKey = v.DerivedFernetKey
			}
			k, err := ParseKey(v.EncryptionKey, KDF{Salt: []byte(v.Salt), Iterations: v.Iterations})
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			if got := encoded(k); got != wantKey {
				t.Fatalf("key = %s, want %s", got, wantKey)
			}
			if got, err := k.Decrypt(v.Token); err != nil || got != v.Plaintext {
				t.Errorf("Decrypt(Python token) = %.40q, %v; want %.40q", got, err, v.Plaintext)
			}
			// Independent path: fernet-go reads Lore's tokens, Lore reads fernet-go's.
			fk, err := fernet.DecodeKey(wantKey)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := k.Encrypt(v.Plaintext)
			if err != nil {
				t.Fatal(err)
			}
			if v.Plaintext == "" {
				if tok != "" {
					t.Errorf("Encrypt(\"\") = %q, want \"\"", tok)
				}
				return
			}
			if got := fernet.VerifyAndDecrypt([]byte(tok), 0, []*fernet.Key{fk}); string(got) != v.Plaintext {
				t.Errorf("fernet-go decrypts Lore's token to %.40q, want %.40q", got, v.Plaintext)
			}
			ftok, err := fernet.EncryptAndSign([]byte(v.Plaintext), fk)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := k.Decrypt(string(ftok)); err != nil || got != v.Plaintext {
				t.Errorf("Decrypt(fernet-go token) = %.40q, %v; want %.40q", got, err, v.Plaintext)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	fk := fernet.MustDecodeKeys(specSecret)
	for _, p := range []string{
		"a",
		strings.Repeat("x", aes.BlockSize-1),
		strings.Repeat("x", aes.BlockSize),
		strings.Repeat("x", aes.BlockSize+1),
		"xoxb-958667946125-595921190849-G2LmlZGEONYlgCtjfIZ4SOcM",
		"ünïcødé ✓ 秘密",
		"\x00\xff not UTF-8",
		strings.Repeat("long ", 2000),
	} {
		a, err := k.Encrypt(p)
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		b, err := k.Encrypt(p)
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		if a == b {
			t.Errorf("two tokens of %.20q are equal: the IV is not random", p)
		}
		if got, err := k.Decrypt(a); err != nil || got != p {
			t.Errorf("Decrypt(Encrypt(%.20q)) = %.20q, %v", p, got, err)
		}
		if got := fernet.VerifyAndDecrypt([]byte(a), 0, fk); string(got) != p {
			t.Errorf("fernet-go decrypts Lore's token of %.20q to %.20q", p, got)
		}
		if len(p) > 8 && strings.Contains(a, p) {
			t.Errorf("token %s contains the plaintext", a)
		}
	}
}

func TestEmptyStringRule(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	if tok, err := k.Encrypt(""); tok != "" || err != nil {
		t.Errorf("Encrypt(\"\") = %q, %v; want \"\", nil", tok, err)
	}
	if p, err := k.Decrypt(""); p != "" || err != nil {
		t.Errorf("Decrypt(\"\") = %q, %v; want \"\", nil", p, err)
	}
}

// TestCraftedTokens feeds tokens with a valid MAC that only the checks after
// it can reject; fernet-go panics on the first (its issue #6) and accepts the
// padding bytes 0 and 17.
func TestCraftedTokens(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	block := func(b ...byte) []byte { return append(bytes.Repeat([]byte("x"), aes.BlockSize-len(b)), b...) }
	tests := []struct {
		name    string
		version byte
		body    []byte
		want    error
	}{
		{"empty ciphertext (fernet-go issue #6)", 0x80, nil, ErrMalformed},
		{"15-byte ciphertext", 0x80, make([]byte, 15), ErrMalformed},
		{"17-byte ciphertext", 0x80, make([]byte, 17), ErrMalformed},
		{"wrong version", 0x81, cbc(t, k, block(1)), ErrMalformed},
		{"padding byte 0", 0x80, cbc(t, k, block(0)), ErrMalformed},
		{"padding byte 17", 0x80, cbc(t, k, bytes.Repeat([]byte{17}, 32)), ErrMalformed},
		{"inconsistent padding", 0x80, cbc(t, k, block(3, 2, 3)), ErrMalformed},
		{"valid control", 0x80, cbc(t, k, block(3, 3, 3)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := k.Decrypt(signed(k, tt.version, tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decrypt = %q, %v; want %v", got, err, tt.want)
			}
			if tt.want == nil && got != strings.Repeat("x", 13) {
				t.Errorf("Decrypt = %q, want 13 x", got)
			}
		})
	}
}

func TestDecryptRejects(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	const plaintext = "xoxb-1234-secret" // 16 bytes: a 89-byte token
	tok, err := k.Encrypt(plaintext)
	if err != nil {
		t.Fatal(err)
	}
	short, err := k.Encrypt("hi") // 73 bytes: ends in "=="
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.URLEncoding.DecodeString(tok)
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return base64.URLEncoding.EncodeToString(b)
	}
	// Change the unused low bits of the last character before "==".
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, short[len(short)-3])
	nonCanonical := short[:len(short)-3] + string(alphabet[last|1]) + "=="

	tests := []struct {
		name  string
		key   *Key
		token string
		want  error
	}{
		{"wrong key", mustKey(t, otherSecret), tok, ErrBadSignature},
		{"flipped timestamp", k, flip(5), ErrBadSignature},
		{"flipped ciphertext", k, flip(headerSize), ErrBadSignature},
		{"flipped MAC", k, flip(len(raw) - 1), ErrBadSignature},
		{"unpadded base64", k, strings.TrimRight(short, "="), ErrMalformed},
		{"standard base64", k, base64.StdEncoding.EncodeToString(append(bytes.Clone(raw), 0xfb, 0xff)), ErrMalformed},
		{"surrounding whitespace", k, " " + tok + "\n", ErrMalformed},
		{"line break inside", k, tok[:40] + "\n" + tok[40:], ErrMalformed},
		{"non-canonical base64", k, nonCanonical, ErrMalformed},
		{"truncated", k, base64.URLEncoding.EncodeToString(raw[:len(raw)-1]), ErrMalformed},
		{"truncated by a block", k, base64.URLEncoding.EncodeToString(raw[:len(raw)-16]), ErrBadSignature},
		{"one byte", k, "gA==", ErrMalformed},
		{"garbage", k, "not a token", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.key.Decrypt(tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decrypt = %q, %v; want %v", got, err, tt.want)
			}
			for _, secret := range []string{plaintext, specSecret, otherSecret, encoded(k)} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
	if got, err := k.Decrypt(short); err != nil || got != "hi" {
		t.Errorf("control: Decrypt(short) = %q, %v", got, err)
	}
}

func FuzzDecrypt(f *testing.F) {
	k := mustKey(f, specSecret)
	for _, p := range []string{"hello", strings.Repeat("x", 16), "ünïcødé"} {
		tok, err := k.Encrypt(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	var invalid []specVector
	loadJSON(f, "fernet-spec/invalid.json", &invalid)
	for _, v := range invalid {
		f.Add(v.Token)
	}
	f.Add(signed(k, 0x80, nil))
	f.Add("")

	f.Fuzz(func(t *testing.T, token string) {
		p, err := k.Decrypt(token)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Decrypt: unexpected error %v", err)
			}
		} else {
			tok, err := k.Encrypt(p)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := k.Decrypt(tok); err != nil || got != p {
				t.Fatalf("round trip of %q = %q, %v", p, got, err)
			}
		}
		// Random input almost never has a valid MAC, so also sign it to
		// reach the checks after the MAC. They may only say ErrMalformed.
		if _, err := k.Decrypt(signed(k, 0x80, []byte(token))); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("Decrypt(signed body): unexpected error %v", err)
		}
	})
}
