package vault

import (
	"fmt"
	"sync"
)

// Keyring holds key versions in memory, one of them active for encryption,
// so that each key is parsed (and a passphrase stretched) once per process.
// It is safe for concurrent use.
type Keyring struct {
	mu          sync.RWMutex
	keys        map[int]*Key
	unavailable map[int]error
	active      int
	hasActive   bool
	destroyed   bool
}

// NewKeyring returns an empty Keyring.
func NewKeyring() *Keyring {
	return &Keyring{keys: map[int]*Key{}, unavailable: map[int]error{}}
}

// Add stores k as version, replacing any key and unavailable mark it had.
// Add panics if k is nil.
func (r *Keyring) Add(version int, k *Key) {
	if k == nil {
		panic("vault: Keyring.Add: nil key")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[version] = k
	delete(r.unavailable, version)
}

// MarkUnavailable records that version cannot be used, for example because its
// key does not match the stored fingerprint; Key then returns an error wrapping
// ErrWrongKey and reason.
func (r *Keyring) MarkUnavailable(version int, reason error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unavailable[version] = reason
}

// SetActive makes version the one Encrypt uses.
func (r *Keyring) SetActive(version int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.key(version); err != nil {
		return fmt.Errorf("vault: set active: %w", err)
	}
	r.active, r.hasActive = version, true
	return nil
}

// Active returns the active version and its key.
func (r *Keyring) Active() (int, *Key, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.activeKey()
}

// Key returns the key of version. The error wraps ErrUnknownVersion,
// ErrWrongKey or ErrDestroyed.
func (r *Keyring) Key(version int) (*Key, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.key(version)
}

// Encrypt encrypts plaintext with the active key and returns the version used.
// An empty plaintext gives "" and version 0 without using a key.
func (r *Keyring) Encrypt(plaintext string) (token string, version int, err error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.destroyed {
		return "", 0, fmt.Errorf("vault: encrypt: %w", ErrDestroyed)
	}
	if plaintext == "" {
		return "", 0, nil
	}
	version, k, err := r.activeKey()
	if err != nil {
		return "", 0, fmt.Errorf("vault: encrypt: %w", err)
	}
	token, err = k.Encrypt(plaintext)
	if err != nil {
		return "", 0, fmt.Errorf("vault: encrypt with key version %d: %w", version, err)
	}
	return token, version, nil
}

// Decrypt decrypts token with the key of version. An empty token gives ""
// whatever the version.
func (r *Keyring) Decrypt(token string, version int) (string, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.destroyed {
		return "", fmt.Errorf("vault: decrypt: %w", ErrDestroyed)
	}
	if token == "" {
		return "", nil
	}
	k, err := r.key(version)
	if err != nil {
		return "", fmt.Errorf("vault: decrypt: %w", err)
	}
	p, err := k.Decrypt(token)
	if err != nil {
		return "", fmt.Errorf("vault: decrypt with key version %d: %w", version, err)
	}
	return p, nil
}

// Destroy destroys every key; later calls return ErrDestroyed.
func (r *Keyring) Destroy() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.keys {
		k.Destroy()
	}
	clear(r.keys)
	r.hasActive = false
	r.destroyed = true
}

// activeKey and key need r.mu held.
func (r *Keyring) activeKey() (int, *Key, error) {
	if r.destroyed {
		return 0, nil, ErrDestroyed
	}
	if !r.hasActive {
		return 0, nil, ErrNoActiveKey
	}
	k, err := r.key(r.active)
	if err != nil {
		return 0, nil, err
	}
	return r.active, k, nil
}

func (r *Keyring) key(version int) (*Key, error) {
	if r.destroyed {
		return nil, ErrDestroyed
	}
	if reason, ok := r.unavailable[version]; ok {
		if reason == nil {
			return nil, fmt.Errorf("%w: key version %d is unavailable", ErrWrongKey, version)
		}
		return nil, fmt.Errorf("%w: key version %d is unavailable: %w", ErrWrongKey, version, reason)
	}
	k, ok := r.keys[version]
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrUnknownVersion, version)
	}
	return k, nil
}
