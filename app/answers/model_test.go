package answers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"lore/app/instance"
	"lore/app/testlog"
)

// fakeModel is a local OpenAI-compatible chat endpoint: it records what it
// was asked and replies as reply says.
type fakeModel struct {
	mu       gosync.Mutex
	requests []chatRequest
	auth     []string
	reply    func(w http.ResponseWriter)
}

func (f *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	var req chatRequest
	json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	f.reply(w)
}

func says(text string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": text}}}})
	}
}

// models configures one endpoint.
type models struct{ llm instance.LLM }

func (m models) Model(context.Context) (instance.LLM, bool, error) { return m.llm, true, nil }

const testAPIKey = "sk-test-0123456789abcdef"

func modelEnv(t *testing.T, reply func(w http.ResponseWriter), timeout time.Duration) (*env, *fakeModel, *testlog.Buffer) {
	t.Helper()
	fake := &fakeModel{reply: reply}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	var logs testlog.Buffer
	e := newLoggedEnv(t, Options{Models: models{instance.LLM{BaseURL: srv.URL, Model: "test-model", APIKey: testAPIKey, Timeout: timeout}}},
		slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if _, err := e.store.CreateWorkspace(context.Background(), e.orgID, "T1", "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	e.history(t, "T1", testChannels, testHistory)
	return e, fake, &logs
}

func TestModelCitationsKeptInventedDropped(t *testing.T) {
	t.Parallel()
	e, fake, logs := modelEnv(t, says("The runbooks moved to Notion [1], from Confluence [2]. See also [7] and [0]."), 5*time.Second)
	prompt := "Answer like a pirate."
	e.setSettings(t, map[string]any{"ai_tone": "technical", "ai_response_length": "detailed", "custom_system_prompt": prompt})
	a := e.ask(t, Request{Question: "Where are the runbooks?"})
	if a.Model != "test-model" || !a.Answered {
		t.Fatalf("answer %+v: want the model's", a)
	}
	if !strings.Contains(a.Text, "Notion [1]") || !strings.Contains(a.Text, "Confluence [2]") || strings.Contains(a.Text, "[7]") || strings.Contains(a.Text, "[0]") {
		t.Errorf("citations: %q", a.Text)
	}
	if !strings.Contains(a.Text, a.Sources[0].Permalink) {
		t.Errorf("the answer does not list its sources: %q", a.Text)
	}
	if len(fake.requests) != 1 {
		t.Fatalf("%d requests", len(fake.requests))
	}
	req := fake.requests[0]
	sys, user := req.Messages[0].Content, req.Messages[1].Content
	if req.Model != "test-model" || !strings.Contains(sys, prompt) || !strings.Contains(sys, toneWords["technical"]) ||
		!strings.Contains(sys, lengthWords["detailed"]) || !strings.Contains(sys, "[1]") {
		t.Errorf("system prompt: %q", sys)
	}
	if !strings.Contains(user, "Where are the runbooks?") || !strings.Contains(user, "[1] Cy Later in #eng") || strings.Contains(user, "bluefalcon") {
		t.Errorf("user prompt: %q", user)
	}
	if fake.auth[0] != "Bearer "+testAPIKey {
		t.Errorf("Authorization %q", fake.auth[0])
	}
	if strings.Contains(logs.String(), testAPIKey) {
		t.Errorf("the key is in the log: %s", logs)
	}
}

func TestModelFailuresFallBackToExtractive(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		reply   func(w http.ResponseWriter)
		timeout time.Duration
		reason  string
	}{
		"timeout":  {func(w http.ResponseWriter) { time.Sleep(2 * time.Second); says("too late [1]")(w) }, 200 * time.Millisecond, "no reply within 200ms"},
		"error":    {func(w http.ResponseWriter) { http.Error(w, "overloaded "+testAPIKey, http.StatusServiceUnavailable) }, 5 * time.Second, "HTTP 503"},
		"empty":    {says("   [9]  "), 5 * time.Second, "the reply is empty"},
		"not json": {func(w http.ResponseWriter) { w.Write([]byte("<html>")) }, 5 * time.Second, "not a chat completion"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, _, logs := modelEnv(t, c.reply, c.timeout)
			start := time.Now()
			a := e.ask(t, Request{Question: "Where are the runbooks?"})
			if a.Model != "" || !a.Answered || !strings.HasPrefix(a.Text, tones["professional"].intro) || !strings.Contains(a.Text, "Notion") {
				t.Errorf("answer %+v: want the extractive one", a)
			}
			if name == "timeout" && time.Since(start) > 1500*time.Millisecond {
				t.Errorf("the timeout did not cut the wait: %s", time.Since(start))
			}
			if !strings.Contains(logs.String(), "answering extractively") || !strings.Contains(logs.String(), c.reason) {
				t.Errorf("the log does not say why (%s): %s", c.reason, logs)
			}
			if strings.Contains(logs.String(), testAPIKey) {
				t.Errorf("the key is in the log: %s", logs)
			}
		})
	}
}

func TestModelNotAskedBelowThreshold(t *testing.T) {
	t.Parallel()
	e, fake, _ := modelEnv(t, says("Made up [1]"), 5*time.Second)
	e.setSettings(t, map[string]any{"confidence_threshold": 100})
	a := e.ask(t, Request{Question: "Where are the billing runbooks kept?"})
	if a.Answered || a.Model != "" || len(fake.requests) != 0 || !strings.HasPrefix(a.Text, NotConfident) {
		t.Errorf("answer %+v after %d model requests", a, len(fake.requests))
	}
}

func TestKeepCitations(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"A [1] B [2] C [3].": "A [1] B [2] C.",
		"[0]x [12]":          "x",
		"no citations":       "no citations",
		"A[2][1]":            "A[2][1]",
	} {
		if got := keepCitations(in, 2); got != want {
			t.Errorf("keepCitations(%q) = %q, want %q", in, got, want)
		}
	}
}
