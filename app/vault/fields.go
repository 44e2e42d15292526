package vault

import (
	"fmt"
	"maps"
	"reflect"
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

// EncryptStruct encrypts the named exported string fields of the struct ptr
// points to. Unlike EncryptFields, an unknown name is an error: it is a
// programming mistake, not missing data. On error the struct is unchanged.
func (k *Key) EncryptStruct(ptr any, fields ...string) error {
	return transformStruct(ptr, fields, k.Encrypt)
}

// DecryptStruct decrypts the named exported string fields of the struct ptr
// points to, with the rules of EncryptStruct.
func (k *Key) DecryptStruct(ptr any, fields ...string) error {
	return transformStruct(ptr, fields, k.Decrypt)
}

func transformStruct(ptr any, fields []string, f func(string) (string, error)) error {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("vault: need a non-nil pointer to a struct, got %T", ptr)
	}
	s := v.Elem()
	// Transform every field before setting any, so that an error leaves the
	// struct as it was.
	values := make([]string, len(fields))
	for i, name := range fields {
		fv := s.FieldByName(name)
		switch {
		case !fv.IsValid():
			return fmt.Errorf("vault: %s has no field %q", s.Type(), name)
		case !fv.CanSet():
			return fmt.Errorf("vault: field %s.%s is not exported", s.Type(), name)
		case fv.Kind() != reflect.String:
			return fmt.Errorf("vault: field %s.%s is a %s, not a string", s.Type(), name, fv.Type())
		}
		t, err := f(fv.String())
		if err != nil {
			return fmt.Errorf("vault: field %s.%s: %w", s.Type(), name, err)
		}
		values[i] = t
	}
	for i, name := range fields {
		s.FieldByName(name).SetString(values[i])
	}
	return nil
}

// SlackCredentials are a workspace's Slack secrets. Printing or logging them
// shows only masked values (see Mask); encoding/json and printing them as an
// unexported field of another struct do not mask them.
type SlackCredentials struct {
	BotToken      string
	AppToken      string
	SigningSecret string
}

// EncryptSlack returns c with every secret encrypted.
func (k *Key) EncryptSlack(c SlackCredentials) (SlackCredentials, error) {
	return c.transform(k.Encrypt)
}

// DecryptSlack returns c with every secret decrypted.
func (k *Key) DecryptSlack(c SlackCredentials) (SlackCredentials, error) {
	return c.transform(k.Decrypt)
}

func (c SlackCredentials) transform(f func(string) (string, error)) (SlackCredentials, error) {
	var out SlackCredentials
	var err error
	if out.BotToken, err = f(c.BotToken); err != nil {
		return SlackCredentials{}, fmt.Errorf("vault: slack bot token: %w", err)
	}
	if out.AppToken, err = f(c.AppToken); err != nil {
		return SlackCredentials{}, fmt.Errorf("vault: slack app token: %w", err)
	}
	if out.SigningSecret, err = f(c.SigningSecret); err != nil {
		return SlackCredentials{}, fmt.Errorf("vault: slack signing secret: %w", err)
	}
	return out, nil
}
