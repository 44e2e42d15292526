package ui

import (
	"net/http"
	"strings"
	"testing"

	"lore/app/instance"
)

func TestInstanceLLM(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const key = "sk-live-0123456789abcdef"
	w := f.do(t, "PUT", "/api/instance/llm", f.ownerA.Token,
		`{"base_url": "http://localhost:11434/v1", "model": "llama3.1", "api_key": "`+key+`", "timeout_seconds": 10}`)
	v := decodeBody[instance.LLMView](t, w, http.StatusOK)
	if !v.Enabled || v.APIKey != "sk-…cdef" || v.Model != "llama3.1" || strings.Contains(w.Body.String(), key) {
		t.Errorf("PUT: %s", w.Body)
	}
	w = f.do(t, "GET", "/api/instance/llm", f.ownerA.Token, "")
	if v := decodeBody[instance.LLMView](t, w, http.StatusOK); v.APIKey != "sk-…cdef" || strings.Contains(w.Body.String(), key) {
		t.Errorf("GET: %s", w.Body)
	}
	e := wantError(t, f.do(t, "PUT", "/api/instance/llm", f.ownerA.Token, `{"base_url": "localhost", "model": ""}`),
		http.StatusUnprocessableEntity, "invalid_llm")
	if e.Error.Fields["base_url"] == "" {
		t.Errorf("fields %v", e.Error.Fields)
	}
	wantError(t, f.do(t, "PUT", "/api/instance/llm", f.ownerA.Token, `{"base_url": "http://x", "model": "m", "apikey": "k"}`),
		http.StatusUnprocessableEntity, "invalid_request")
	wantError(t, f.do(t, "GET", "/api/instance/llm", f.adminA.Token, ""), http.StatusForbidden, "forbidden")
}
