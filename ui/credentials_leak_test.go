package ui

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"lore/storage"
)

// TestSlackErrorTextNeverPassesOn: a Slack (or a proxy) whose error field
// echoes a token without its xoxb-/xapp- prefix, which no token-shaped
// masking catches. Neither the API's answer, nor the log, nor the audit log
// may hold that piece: only Slack's plain codes are passed on.
func TestSlackErrorTextNeverPassesOn(t *testing.T) {
	t.Parallel()
	botPiece := strings.TrimPrefix(testBotToken, "xoxb-")
	appPiece := strings.TrimPrefix(testAppToken, "xapp-")
	for _, tt := range []struct {
		name, method, text, piece string
	}{
		{"bot token echoed by auth.test", "auth.test", "invalid_auth: " + botPiece, botPiece},
		{"app token echoed by apps.connections.open", "apps.connections.open", "invalid token " + appPiece, appPiece},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := fakeSlackAPI(t)
			e := newCredEnv(t, fake.URL())
			const path = "/api/workspaces/T0123ABCD/credentials"
			if code, body := e.do(t, e.admin, "POST", path, credGoodBody); code != 200 {
				t.Fatalf("POST: %d %v", code, body)
			}
			fake.FailWith(tt.method, tt.text)

			code, body := e.do(t, e.admin, "POST", path+"/verify", nil)
			answer, _ := json.Marshal(body)
			if code != 502 || credErrCode(body) != "slack_unavailable" || !strings.Contains(string(answer), "unexpected answer from Slack (HTTP 200)") {
				t.Fatalf("verify: %d %s, want 502 saying the answer was unexpected", code, answer)
			}
			audit, err := e.app.Store.ListAudit(context.Background(), storage.AuditFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := json.Marshal(audit)
			if !strings.Contains(string(rows), "slack_unavailable") {
				t.Fatalf("no audit row of the failed verification: %s", rows)
			}
			for where, out := range map[string]string{"the answer": string(answer), "the log": e.logs.String(), "the audit log": string(rows)} {
				for _, piece := range []string{tt.piece, tt.piece[len(tt.piece)/2:]} {
					if strings.Contains(out, piece) {
						t.Errorf("%s holds Slack's echo of a token %q:\n%s", where, piece, out)
					}
				}
			}
		})
	}
}

// TestRetryAfterIsBounded: the wait Slack asks for reaches the client as a
// Retry-After of at most 15 minutes, and a nonsense one as the default.
func TestRetryAfterIsBounded(t *testing.T) {
	t.Parallel()
	for slackSays, want := range map[string]string{"99999999999": "30", "3600": "900", "-1": "30", "soon": "30", "20": "20"} {
		t.Run(slackSays, func(t *testing.T) {
			t.Parallel()
			fake := fakeSlackAPI(t)
			e := newCredEnv(t, fake.URL())
			const path = "/api/workspaces/T0123ABCD/credentials"
			if code, body := e.do(t, e.admin, "POST", path, credGoodBody); code != 200 {
				t.Fatalf("POST: %d %v", code, body)
			}
			fake.RateLimit("auth.test", slackSays)
			req := httptest.NewRequest("POST", path+"/verify", nil)
			req.Header.Set("Authorization", "Bearer "+e.admin)
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, req)
			if rec.Code != 502 || rec.Header().Get("Retry-After") != want {
				t.Errorf("Slack's Retry-After %q: %d with Retry-After %q, want 502 with %q (%s)",
					slackSays, rec.Code, rec.Header().Get("Retry-After"), want, rec.Body)
			}
		})
	}
}
