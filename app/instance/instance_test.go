package instance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lore/app/validation"
	"lore/app/vault"
	"lore/storage"
)

func newService(t *testing.T, env Env) (*Service, *storage.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, filepath.Join(t.TempDir(), "lore.db"), os.DirFS(filepath.Join("..", "..", "migrations")), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	material, err := vault.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := vault.ParseKey(material, vault.KDF{})
	if err != nil {
		t.Fatal(err)
	}
	ring := vault.NewKeyring()
	ring.Add(1, k)
	if err := ring.SetActive(1); err != nil {
		t.Fatal(err)
	}
	return New(st, ring, env), st
}

const key = "sk-live-0123456789abcdef"

func TestSetLLMStoresTheKeyEncryptedAndShowsItMasked(t *testing.T) {
	t.Parallel()
	s, st := newService(t, Env{})
	ctx := context.Background()
	if v, err := s.LLM(ctx); err != nil || v.Enabled || v.Source != "none" {
		t.Fatalf("before: %+v, %v", v, err)
	}
	if _, ok, err := s.Model(ctx); ok || err != nil {
		t.Fatalf("a model before any was set: %v %v", ok, err)
	}
	k, timeout := key, 7.0
	v, err := s.SetLLM(ctx, "user:1", LLMChange{BaseURL: "http://localhost:11434/v1/", Model: "llama3.1", APIKey: &k, TimeoutSeconds: &timeout})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Enabled || v.Source != "instance" || v.BaseURL != "http://localhost:11434/v1" || v.APIKey != "sk-…cdef" || v.TimeoutSeconds != 7 {
		t.Errorf("view %+v", v)
	}
	stored, err := st.InstanceLLM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stored.APIKeyEncrypted == "" || strings.Contains(stored.APIKeyEncrypted, key) || stored.EncryptionVersion != 1 {
		t.Errorf("stored %+v", stored)
	}
	m, ok, err := s.Model(ctx)
	if err != nil || !ok || m.APIKey != key || m.Model != "llama3.1" || m.Timeout != 7*time.Second {
		t.Errorf("model %v %v %v", m, ok, err)
	}
	if strings.Contains(m.String(), key) {
		t.Errorf("LLM prints its key: %s", m)
	}
	// no api_key keeps it; "" removes it
	if _, err := s.SetLLM(ctx, "user:1", LLMChange{BaseURL: "http://localhost:8081", Model: "qwen"}); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := s.Model(ctx); m.APIKey != key || m.Timeout != DefaultTimeout {
		t.Errorf("after a change without a key: %v", m)
	}
	empty := ""
	if _, err := s.SetLLM(ctx, "user:1", LLMChange{BaseURL: "http://localhost:8081", Model: "qwen", APIKey: &empty}); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := s.Model(ctx); m.APIKey != "" {
		t.Errorf("the key was not removed: %v", m)
	}
	entries, err := st.ListAudit(ctx, storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || entries[0].Action != "instance.llm.update" {
		t.Errorf("audit: %+v", entries)
	}
	for _, e := range entries {
		if strings.Contains(fmt.Sprint(e.Detail), key) {
			t.Errorf("the audit log holds the key: %s", e.Detail)
		}
	}
}

func TestSetLLMNamesBadFields(t *testing.T) {
	t.Parallel()
	s, _ := newService(t, Env{})
	zero, spaced := 0.0, " sk-x "
	for _, c := range []struct {
		change LLMChange
		field  string
	}{
		{LLMChange{BaseURL: "localhost:11434", Model: "m"}, "base_url"},
		{LLMChange{BaseURL: "ftp://x", Model: "m"}, "base_url"},
		{LLMChange{BaseURL: "http://user:pw@x", Model: "m"}, "base_url"},
		{LLMChange{BaseURL: "http://x"}, "model"},
		{LLMChange{BaseURL: "http://x", Model: "m", TimeoutSeconds: &zero}, "timeout_seconds"},
		{LLMChange{BaseURL: "http://x", Model: "m", APIKey: &spaced}, "api_key"},
	} {
		_, err := s.SetLLM(context.Background(), "user:1", c.change)
		var ve *validation.Error
		if !errors.As(err, &ve) || ve.Fields[c.field] == "" {
			t.Errorf("%+v: %v, want a problem with %s", c.change, err, c.field)
		}
	}
}

func TestEnvironmentWins(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := EnvFrom(func(k string) string {
		return map[string]string{"LORE_LLM_BASE_URL": "https://api.example.com/v1", "LORE_LLM_MODEL": "gpt-x",
			"LORE_LLM_API_KEY_FILE": file, "LORE_LLM_TIMEOUT": "3"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newService(t, env)
	ctx := context.Background()
	if _, err := s.SetLLM(ctx, "user:1", LLMChange{BaseURL: "http://localhost:11434", Model: "llama"}); err != nil {
		t.Fatal(err)
	}
	m, ok, err := s.Model(ctx)
	if err != nil || !ok || m.BaseURL != "https://api.example.com/v1" || m.Model != "gpt-x" || m.APIKey != key || m.Timeout != 3*time.Second {
		t.Errorf("model %v %v %v", m, ok, err)
	}
	v, err := s.LLM(ctx)
	if err != nil || v.Source != "environment" || v.APIKey != "sk-…cdef" || v.Stored == nil || v.Stored.BaseURL != "http://localhost:11434" {
		t.Errorf("view %+v %v", v, err)
	}
	for _, bad := range []map[string]string{
		{"LORE_LLM_BASE_URL": "nope", "LORE_LLM_MODEL": "m"},
		{"LORE_LLM_BASE_URL": "http://x"},
		{"LORE_LLM_MODEL": "m"},
		{"LORE_LLM_BASE_URL": "http://x", "LORE_LLM_MODEL": "m", "LORE_LLM_TIMEOUT": "soon"},
	} {
		if _, err := EnvFrom(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
