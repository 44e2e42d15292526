// Package vault encrypts secrets at rest with Fernet tokens that are
// byte-compatible with Python's cryptography.fernet, the format the original
// system stored. It is pure crypto: no database, no files, no logging.
package vault

import "errors"

var (
	// ErrMalformed reports a token that is not a well-formed Fernet token:
	// not base64url, wrong version, bad length, or bad padding after a valid MAC.
	ErrMalformed = errors.New("vault: malformed token")
	// ErrBadSignature reports a token whose HMAC does not match: it was tampered
	// with or made with another key.
	ErrBadSignature = errors.New("vault: bad token signature: wrong key, or the token was altered")
	// ErrWrongKey reports that the key for a version is known not to match the
	// data, for example because its fingerprint differs from the stored one.
	ErrWrongKey = errors.New("vault: wrong key")
	// ErrUnknownVersion reports a key version the Keyring does not hold.
	ErrUnknownVersion = errors.New("vault: unknown key version")
	// ErrNoActiveKey reports a Keyring with no active version to encrypt with.
	ErrNoActiveKey = errors.New("vault: no active key version")
	// ErrDestroyed reports use of a Key or Keyring after Destroy.
	ErrDestroyed = errors.New("vault: key destroyed")
)
