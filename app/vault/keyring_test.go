package vault

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestKeyringEmpty(t *testing.T) {
	t.Parallel()
	r := NewKeyring()
	if _, _, err := r.Active(); !errors.Is(err, ErrNoActiveKey) {
		t.Errorf("Active: err = %v, want ErrNoActiveKey", err)
	}
	if _, _, err := r.Encrypt("x"); !errors.Is(err, ErrNoActiveKey) {
		t.Errorf("Encrypt: err = %v, want ErrNoActiveKey", err)
	}
	if _, err := r.Key(1); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("Key(1): err = %v, want ErrUnknownVersion", err)
	}
	if err := r.SetActive(1); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("SetActive(1): err = %v, want ErrUnknownVersion", err)
	}
	if tok, v, err := r.Encrypt(""); tok != "" || v != 0 || err != nil {
		t.Errorf("Encrypt(\"\") = %q, %d, %v; want \"\", 0, nil", tok, v, err)
	}
	if p, err := r.Decrypt("", 7); p != "" || err != nil {
		t.Errorf("Decrypt(\"\", 7) = %q, %v; want \"\", nil", p, err)
	}
}

func TestKeyringVersions(t *testing.T) {
	t.Parallel()
	r := NewKeyring()
	k1, k2 := mustKey(t, specSecret), mustKey(t, otherSecret)
	r.Add(1, k1)
	r.Add(2, k2)
	if err := r.SetActive(2); err != nil {
		t.Fatal(err)
	}
	if v, k, err := r.Active(); v != 2 || k != k2 || err != nil {
		t.Errorf("Active = %d, %p, %v; want 2, %p", v, k, err, k2)
	}
	tok, v, err := r.Encrypt("secret")
	if err != nil || v != 2 {
		t.Fatalf("Encrypt = %d, %v; want version 2", v, err)
	}
	if p, err := k2.Decrypt(tok); err != nil || p != "secret" {
		t.Errorf("active key decrypts to %q, %v", p, err)
	}
	tests := []struct {
		version int
		want    error
	}{
		{2, nil},
		{1, ErrBadSignature},
		{9, ErrUnknownVersion},
	}
	for _, tt := range tests {
		p, err := r.Decrypt(tok, tt.version)
		if !errors.Is(err, tt.want) || (err == nil && p != "secret") {
			t.Errorf("Decrypt(tok, %d) = %q, %v; want %v", tt.version, p, err, tt.want)
		}
	}
	if k, err := r.Key(1); k != k1 || err != nil {
		t.Errorf("Key(1) = %p, %v; want %p", k, err, k1)
	}
}

func TestKeyringUnavailable(t *testing.T) {
	t.Parallel()
	r := NewKeyring()
	k1 := mustKey(t, specSecret)
	r.Add(1, k1)
	r.Add(2, mustKey(t, otherSecret))
	if err := r.SetActive(2); err != nil {
		t.Fatal(err)
	}
	reason := errors.New("fingerprint mismatch")
	r.MarkUnavailable(2, reason)
	r.MarkUnavailable(3, nil)

	_, err := r.Key(2)
	if !errors.Is(err, ErrWrongKey) || !errors.Is(err, reason) ||
		!strings.Contains(err.Error(), "key version 2 is unavailable: fingerprint mismatch") {
		t.Errorf("Key(2): err = %v", err)
	}
	if _, err := r.Key(3); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "key version 3 is unavailable") {
		t.Errorf("Key(3): err = %v", err)
	}
	if _, _, err := r.Encrypt("x"); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Encrypt with unavailable active key: err = %v, want ErrWrongKey", err)
	}
	if err := r.SetActive(3); !errors.Is(err, ErrWrongKey) {
		t.Errorf("SetActive(3): err = %v, want ErrWrongKey", err)
	}
	if _, err := r.Decrypt("gAAAA", 2); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Decrypt with version 2: err = %v, want ErrWrongKey", err)
	}
	r.Add(2, k1) // a reloaded key clears the mark
	if k, err := r.Key(2); k != k1 || err != nil {
		t.Errorf("Key(2) after Add = %p, %v", k, err)
	}
}

func TestKeyringDestroy(t *testing.T) {
	t.Parallel()
	r := NewKeyring()
	k := mustKey(t, specSecret)
	r.Add(1, k)
	if err := r.SetActive(1); err != nil {
		t.Fatal(err)
	}
	tok, _, err := r.Encrypt("x")
	if err != nil {
		t.Fatal(err)
	}
	r.Destroy()
	if _, err := k.Decrypt(tok); !errors.Is(err, ErrDestroyed) {
		t.Errorf("key after Keyring.Destroy: err = %v, want ErrDestroyed", err)
	}
	if _, _, err := r.Encrypt("x"); !errors.Is(err, ErrDestroyed) {
		t.Errorf("Encrypt: err = %v", err)
	}
	if _, err := r.Decrypt(tok, 1); !errors.Is(err, ErrDestroyed) {
		t.Errorf("Decrypt: err = %v", err)
	}
	if _, err := r.Key(1); !errors.Is(err, ErrDestroyed) {
		t.Errorf("Key: err = %v", err)
	}
	if _, _, err := r.Active(); !errors.Is(err, ErrDestroyed) {
		t.Errorf("Active: err = %v", err)
	}
}

func TestKeyringAddNilPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Add(1, nil) did not panic")
		}
	}()
	NewKeyring().Add(1, nil)
}

// TestKeyringConcurrent is for -race.
func TestKeyringConcurrent(t *testing.T) {
	t.Parallel()
	r := NewKeyring()
	k1, k2 := mustKey(t, specSecret), mustKey(t, otherSecret)
	r.Add(1, k1)
	r.Add(2, k2)
	if err := r.SetActive(1); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		wg.Go(func() {
			for range 20 {
				tok, v, err := r.Encrypt("payload")
				if err == nil {
					var p string
					p, err = r.Decrypt(tok, v)
					if err == nil && p != "payload" {
						err = errors.New("wrong plaintext")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			r.Add(i+3, k2)
			if err := r.SetActive(1 + i%2); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
