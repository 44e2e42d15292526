package vault

import (
	"fmt"
	"maps"
)

// EncryptFields returns a copy of m with the named fields encrypted. Other
// fields are copied untouched and names missing from m are ignored, as the
// original encrypt_dict did.
func (k *Key) EncryptFields(m map[string]string, fields ...string) (map[string]string, error) {
	return transformFields(m, fields, k.Encrypt)
}

// DecryptFields returns a copy of m with the named fields decrypted. Other
// fields are copied untouched and names missing from m are ignored.
func (k *Key) DecryptFields(m map[string]string, fields ...string) (map[string]string, error) {
	return transformFields(m, fields, k.Decrypt)
}

func transformFields(m map[string]string, fields []string, f func(string) (string, error)) (map[string]string, error) {
	out := make(map[string]string, len(m))
	maps.Copy(out, m)
	for _, name := range fields {
		v, ok := m[name] // from m, so a repeated name is not transformed twice
		if !ok {
			continue
		}
		t, err := f(v)
		if err != nil {
			return nil, fmt.Errorf("vault: field %q: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}
