package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Token layout (https://github.com/fernet/spec): version (1) | timestamp (8,
// big-endian seconds) | IV (16) | AES-128-CBC ciphertext, PKCS #7 padded
// (16n) | HMAC-SHA256 of everything before it (32).
const (
	tokenVersion = 0x80
	ivOffset     = 1 + 8
	headerSize   = ivOffset + aes.BlockSize
	macSize      = sha256.Size
	minTokenSize = headerSize + aes.BlockSize + macSize
	maxClockSkew = 60 * time.Second // as Python's cryptography
)

// errExpired is returned only by decryptTTL, the spec's TTL check, which Lore
// does not use: its tokens never expire.
var errExpired = errors.New("vault: token expired or from the future")

// tokenEncoding is padded base64url, as Python writes; Strict rejects
// non-canonical trailing bits so that each token has one spelling.
var tokenEncoding = base64.URLEncoding.Strict()

// Encrypt returns plaintext as a Fernet token, or "" for "".
//
// Lore makes the token itself rather than through fernet-go so that the same
// code is checked against the spec's fixed-IV vectors; fernet-go verifies it
// in the tests.
func (k *Key) Encrypt(plaintext string) (string, error) {
	var iv [aes.BlockSize]byte
	if _, err := rand.Read(iv[:]); err != nil {
		return "", fmt.Errorf("vault: encrypt: %w", err)
	}
	return k.encryptAt(plaintext, iv[:], time.Now())
}

func (k *Key) encryptAt(plaintext string, iv []byte, now time.Time) (string, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.destroyed {
		return "", fmt.Errorf("vault: encrypt: %w", ErrDestroyed)
	}
	if plaintext == "" {
		return "", nil
	}
	block, err := aes.NewCipher(k.encryptionKey())
	if err != nil {
		return "", fmt.Errorf("vault: encrypt: %w", err)
	}
	n := (len(plaintext)/aes.BlockSize + 1) * aes.BlockSize
	tok := make([]byte, headerSize+n, headerSize+n+macSize)
	tok[0] = tokenVersion
	binary.BigEndian.PutUint64(tok[1:], uint64(now.Unix()))
	copy(tok[ivOffset:headerSize], iv)
	body := tok[headerSize:]
	copy(body, plaintext)
	for i := len(plaintext); i < n; i++ {
		body[i] = byte(n - len(plaintext))
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(body, body)
	mac := hmac.New(sha256.New, k.signingKey())
	mac.Write(tok)
	return tokenEncoding.EncodeToString(mac.Sum(tok)), nil
}

// Decrypt returns the plaintext of a Fernet token, or "" for "". Tokens never
// expire. The token must be exactly as Python writes it: padded base64url
// without whitespace. Errors wrap ErrMalformed or ErrBadSignature (or
// ErrDestroyed) and never contain the key or the plaintext.
func (k *Key) Decrypt(token string) (string, error) {
	p, _, err := k.open(token)
	if err != nil {
		return "", err
	}
	return string(p), nil
}

// decryptTTL is Decrypt with the spec's TTL and clock-skew checks, kept to
// show that every invalid spec vector is rejected.
func (k *Key) decryptTTL(token string, now time.Time, ttl time.Duration) (string, error) {
	p, ts, err := k.open(token)
	if err != nil {
		return "", err
	}
	if now.After(ts.Add(ttl)) || ts.After(now.Add(maxClockSkew)) {
		return "", errExpired
	}
	return string(p), nil
}

// open checks every length before indexing and the MAC before decrypting, so
// that no input can panic (fernet-go issue #6) and a padding error reveals
// nothing to someone without the key.
func (k *Key) open(token string) ([]byte, time.Time, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.destroyed {
		return nil, time.Time{}, fmt.Errorf("vault: decrypt: %w", ErrDestroyed)
	}
	if token == "" {
		return nil, time.Time{}, nil
	}
	// Go's decoder skips \r and \n; Lore accepts the exact token only.
	if strings.ContainsAny(token, "\r\n") {
		return nil, time.Time{}, fmt.Errorf("%w: token contains a line break", ErrMalformed)
	}
	tok, err := tokenEncoding.DecodeString(token)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: token of %d characters is not padded base64url", ErrMalformed, len(token))
	}
	if len(tok) < minTokenSize {
		return nil, time.Time{}, fmt.Errorf("%w: token of %d bytes is shorter than %d", ErrMalformed, len(tok), minTokenSize)
	}
	if tok[0] != tokenVersion {
		return nil, time.Time{}, fmt.Errorf("%w: unknown version byte %#x", ErrMalformed, tok[0])
	}
	body := tok[headerSize : len(tok)-macSize]
	if len(body)%aes.BlockSize != 0 {
		return nil, time.Time{}, fmt.Errorf("%w: ciphertext of %d bytes is not a multiple of %d", ErrMalformed, len(body), aes.BlockSize)
	}
	mac := hmac.New(sha256.New, k.signingKey())
	mac.Write(tok[:len(tok)-macSize])
	if !hmac.Equal(mac.Sum(nil), tok[len(tok)-macSize:]) {
		return nil, time.Time{}, ErrBadSignature
	}
	block, err := aes.NewCipher(k.encryptionKey())
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("vault: decrypt: %w", err)
	}
	cipher.NewCBCDecrypter(block, tok[ivOffset:headerSize]).CryptBlocks(body, body)
	p, ok := unpad(body)
	if !ok {
		return nil, time.Time{}, fmt.Errorf("%w: bad padding", ErrMalformed)
	}
	ts := time.Unix(int64(binary.BigEndian.Uint64(tok[1:ivOffset])), 0)
	return p, ts, nil
}

// unpad removes PKCS #7 padding from b, a non-empty multiple of the block size.
// Unlike fernet-go's, it rejects a padding byte of 0 or above the block size,
// as Python does.
func unpad(b []byte) ([]byte, bool) {
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
