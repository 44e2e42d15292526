package vault

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

const (
	// DefaultIterations is the PBKDF2 iteration count for new passphrase keys
	// (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).
	DefaultIterations = 600000
	// LegacyIterations is the PBKDF2 iteration count of the original system.
	LegacyIterations = 100000

	keySize  = 32 // Fernet: 16 bytes signing key, then 16 bytes encryption key
	saltSize = 16
)

// KDF holds the PBKDF2-HMAC-SHA256 parameters that stretch a passphrase into a key.
type KDF struct {
	Salt       []byte
	Iterations int
}

// Key is a Fernet key. It is safe for concurrent use; Destroy zeroes it.
//
// A Key must not be copied (it holds a mutex); pass *Key.
type Key struct {
	mu          sync.RWMutex
	b           [keySize]byte
	destroyed   bool
	fingerprint string
}

// NewSalt returns 16 random bytes for KDF.Salt.
func NewSalt() ([]byte, error) {
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("vault: new salt: %w", err)
	}
	return salt, nil
}

// GenerateKey returns a new random Fernet key as padded base64url, the format
// of Python's Fernet.generate_key. The result is a secret.
func GenerateKey() (string, error) {
	var b [keySize]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("vault: generate key: %w", err)
	}
	s := base64.URLEncoding.EncodeToString(b[:])
	clear(b[:])
	return s, nil
}

// IsFernetKey reports whether s is a Fernet key: padded base64url that decodes
// to exactly 32 bytes.
func IsFernetKey(s string) bool {
	b, ok := decodeKey(s)
	clear(b)
	return ok
}

func decodeKey(s string) ([]byte, bool) {
	// The exact length also rejects line breaks, which Go's decoder skips.
	if len(s) != base64.URLEncoding.EncodedLen(keySize) {
		return nil, false
	}
	b, err := base64.URLEncoding.DecodeString(s)
	if err != nil || len(b) != keySize {
		clear(b)
		return nil, false
	}
	return b, true
}

// ParseKey makes a Key from material, which is either a Fernet key (surrounding
// whitespace is ignored), used as is, or a passphrase, stretched with
// PBKDF2-HMAC-SHA256 using kdf. kdf is ignored for a Fernet key.
//
// A passphrase is used byte for byte, whitespace included, as the original
// system did. Errors never contain the material.
func ParseKey(material string, kdf KDF) (*Key, error) {
	if strings.TrimSpace(material) == "" {
		return nil, errors.New("vault: parse key: empty key material")
	}
	if b, ok := decodeKey(strings.TrimSpace(material)); ok {
		defer clear(b)
		return newKey(b), nil
	}
	if len(kdf.Salt) == 0 {
		return nil, errors.New("vault: parse key: a passphrase needs a KDF salt")
	}
	if kdf.Iterations < 1 {
		return nil, fmt.Errorf("vault: parse key: a passphrase needs at least 1 KDF iteration, got %d", kdf.Iterations)
	}
	b, err := pbkdf2.Key(sha256.New, material, kdf.Salt, kdf.Iterations, keySize)
	if err != nil {
		return nil, fmt.Errorf("vault: parse key: derive from passphrase: %w", err)
	}
	defer clear(b)
	return newKey(b), nil
}

// newKey copies b, which must be keySize bytes.
func newKey(b []byte) *Key {
	k := &Key{}
	copy(k.b[:], b)
	mac := hmac.New(sha256.New, k.b[:])
	mac.Write([]byte("lore-key-fingerprint-v1"))
	k.fingerprint = hex.EncodeToString(mac.Sum(nil)[:16])
	return k
}

// Fingerprint identifies the key without revealing it: the first 16 bytes of
// HMAC-SHA256(key, "lore-key-fingerprint-v1") as 32 lowercase hex digits.
// Store it beside encrypted data to tell a wrong key from tampering. It stays
// available after Destroy.
func (k *Key) Fingerprint() string {
	return k.fingerprint
}

// Destroy zeroes the key bytes; later Encrypt and Decrypt calls return
// ErrDestroyed. Destroy is idempotent.
func (k *Key) Destroy() {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.b[:])
	k.destroyed = true
}

func (k *Key) signingKey() []byte    { return k.b[:keySize/2] }
func (k *Key) encryptionKey() []byte { return k.b[keySize/2:] }
