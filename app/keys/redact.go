package keys

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"lore/storage/secret"
)

// Source and Material hold the master key (or its passphrase) in plain
// strings; they print, log and encode with it redacted, as the Slack secrets
// do (secret.Format), so that a Source inside the app's Config, printed or
// logged whole, shows no byte of the key. The salt is redacted too: it is
// not secret alone, but it has no business in a log either.

// String shows s with its key and salt redacted.
func (s Source) String() string {
	return fmt.Sprintf("{Key:%s KeyFile:%s Salt:%s Iterations:%d DataDir:%s}",
		secret.Redacted(s.Key), s.KeyFile, secret.Redacted(s.Salt), s.Iterations, s.DataDir)
}

// GoString shows s as a Go literal with its key and salt redacted, for %#v.
func (s Source) GoString() string {
	return fmt.Sprintf("keys.Source{Key:%q, KeyFile:%q, Salt:%q, Iterations:%d, DataDir:%q}",
		secret.Redacted(s.Key), s.KeyFile, secret.Redacted(s.Salt), s.Iterations, s.DataDir)
}

// Format redacts s for every fmt verb.
func (s Source) Format(f fmt.State, verb rune) { secret.Format(f, verb, s) }

// LogValue shows s with its key and salt redacted.
func (s Source) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("key", secret.Redacted(s.Key)),
		slog.String("key_file", s.KeyFile),
		slog.String("salt", secret.Redacted(s.Salt)),
		slog.Int("iterations", s.Iterations),
		slog.String("data_dir", s.DataDir),
	)
}

// MarshalJSON encodes s with its key and salt redacted.
func (s Source) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"key": secret.Redacted(s.Key), "key_file": s.KeyFile,
		"salt": secret.Redacted(s.Salt), "iterations": s.Iterations, "data_dir": s.DataDir})
}

// String shows where m came from, never its secret.
func (m Material) String() string {
	return fmt.Sprintf("{Secret:%s Origin:%s Generated:%v}", secret.Redacted(m.Secret), m.Origin, m.Generated)
}

// GoString shows m as a Go literal without its secret, for %#v.
func (m Material) GoString() string {
	return fmt.Sprintf("keys.Material{Secret:%q, Origin:%q, Generated:%v}", secret.Redacted(m.Secret), m.Origin, m.Generated)
}

// Format redacts m for every fmt verb.
func (m Material) Format(f fmt.State, verb rune) { secret.Format(f, verb, m) }

// LogValue shows where m came from, never its secret.
func (m Material) LogValue() slog.Value {
	return slog.GroupValue(slog.String("secret", secret.Redacted(m.Secret)), slog.String("origin", m.Origin),
		slog.Bool("generated", m.Generated))
}

// MarshalJSON encodes where m came from, never its secret.
func (m Material) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"secret": secret.Redacted(m.Secret), "origin": m.Origin, "generated": m.Generated})
}
