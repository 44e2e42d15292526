package vault

import (
	"fmt"
	"log/slog"

	"lore/storage/secret"
)

// A Key or a Keyring prints as its fingerprint(s) only, never a key byte,
// whatever the verb or the logger: the redaction the Slack secrets have
// (secret.Format), for the keys that protect them.

// String shows the key's fingerprint.
func (k *Key) String() string {
	if k == nil {
		return "vault.Key(nil)"
	}
	return "vault.Key{fingerprint:" + k.fingerprint + "}"
}

// GoString is String, for %#v.
func (k *Key) GoString() string { return k.String() }

// Format redacts k for every fmt verb.
func (k *Key) Format(f fmt.State, verb rune) { secret.Format(f, verb, k) }

// LogValue shows the key's fingerprint.
func (k *Key) LogValue() slog.Value {
	if k == nil {
		return slog.StringValue("")
	}
	return slog.GroupValue(slog.String("fingerprint", k.fingerprint))
}

// MarshalJSON encodes the key's fingerprint, never the key.
func (k *Key) MarshalJSON() ([]byte, error) {
	if k == nil {
		return []byte("null"), nil
	}
	return fmt.Appendf(nil, `{"fingerprint":%q}`, k.fingerprint), nil
}

// String shows the versions the keyring holds and the active one.
func (r *Keyring) String() string {
	if r == nil {
		return "vault.Keyring(nil)"
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return fmt.Sprintf("vault.Keyring{versions:%d active:%d destroyed:%v}", len(r.keys), r.active, r.destroyed)
}

// GoString is String, for %#v.
func (r *Keyring) GoString() string { return r.String() }

// Format redacts r for every fmt verb.
func (r *Keyring) Format(f fmt.State, verb rune) { secret.Format(f, verb, r) }

// LogValue shows the keyring's String.
func (r *Keyring) LogValue() slog.Value { return slog.StringValue(r.String()) }

// MarshalJSON encodes the keyring's String.
func (r *Keyring) MarshalJSON() ([]byte, error) { return fmt.Appendf(nil, "%q", r.String()), nil }
