package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

const (
	testdata = "testdata"
	// specSecret is the key of the Fernet spec's vectors.
	specSecret = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	// otherSecret is any other Fernet key.
	otherSecret = "1xW1QVDCOoNJBxGQxBtmG9hKYhH1BNivADY17ekNeGA="
)

func mustKey(tb testing.TB, material string) *Key {
	tb.Helper()
	k, err := ParseKey(material, KDF{})
	if err != nil {
		tb.Fatalf("ParseKey: %v", err)
	}
	return k
}

// encoded is k as a padded base64url Fernet key, to compare keys in tests.
func encoded(k *Key) string {
	if k.destroyed {
		return ""
	}
	return base64.URLEncoding.EncodeToString(k.b[:])
}

func loadJSON(tb testing.TB, name string, v any) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
}

// signed returns a token of version | 8-byte time | zero IV | body with a
// valid HMAC under k, whatever body is: it builds tokens that only the checks
// after the MAC can reject.
func signed(k *Key, version byte, body []byte) string {
	tok := append(make([]byte, headerSize), body...)
	tok[0] = version
	mac := hmac.New(sha256.New, k.signingKey())
	mac.Write(tok)
	return base64.URLEncoding.EncodeToString(mac.Sum(tok))
}

// cbc encrypts plain, a multiple of the block size, under k with a zero IV and
// no padding of its own.
func cbc(tb testing.TB, k *Key, plain []byte) []byte {
	tb.Helper()
	block, err := aes.NewCipher(k.encryptionKey())
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, make([]byte, aes.BlockSize)).CryptBlocks(out, plain)
	return out
}
