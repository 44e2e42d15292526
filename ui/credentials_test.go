package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"lore/app"
	"lore/app/accounts"
	"lore/app/credentials"
	"lore/app/keys"
	"lore/app/slackfake"
	"lore/app/testlog"
	"lore/app/vault"
	"lore/storage"
	"lore/storage/secret"
)

const (
	testBotToken      = "xoxb-1234567890-0987654321-GoodBotTokenQ7vZ9f3a"
	testAppToken      = "xapp-1-A0GOOD0APP-1234567890123-5d8e2f4a6c7b9d1e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d"
	testSigningSecret = "8f2b0c6d1e4a7f9b3c5d2e8a1f0b6c4d"
	testRevokedBot    = "xoxb-5555555555-6666666666-RevokedBotTokenXYZ"
)

var credSecrets = []string{testBotToken, testAppToken, testSigningSecret, testRevokedBot,
	"GoodBotTokenQ7vZ", "5d8e2f4a6c7b9d1e3f5a", "3c5d2e8a1f0b", "RevokedBotToken"}

// fakeSlackAPI is a fake Slack where the test tokens are good and the
// revoked bot token is revoked.
func fakeSlackAPI(t *testing.T) *slackfake.Server {
	t.Helper()
	f := slackfake.New(t)
	f.AddBot(testBotToken, slackfake.Acme)
	f.AddApp(testAppToken)
	f.Revoke(testRevokedBot)
	return f
}

type credEnv struct {
	app     *app.App
	handler http.Handler
	logs    *testlog.Buffer
	admin   string // API tokens
	member  string
	outside string
	adminID int64
}

func newCredEnv(t *testing.T, slackURL string) *credEnv {
	t.Helper()
	ctx := context.Background()
	logs := &testlog.Buffer{}
	logger := slog.New(slog.NewMultiHandler(
		slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	key, err := vault.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a, err := app.Open(ctx, app.Config{DataDir: dir, Keys: keys.Source{Key: key, DataDir: dir}, SlackAPIURL: slackURL},
		os.DirFS("../migrations"), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.Accounts = accounts.New(a.Store, logger, accounts.WithHashParams(accounts.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))

	e := &credEnv{app: a, handler: New(a, os.DirFS("static"), os.DirFS("templates")), logs: logs}
	user := func(email, org, role string) (int64, int64, string) {
		u, o, err := a.Accounts.AddUser(ctx, accounts.NewUser{Email: email, Password: "correct horse battery staple", OrgName: org, Role: role}, "cli")
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := a.Accounts.CreateToken(ctx, u.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		return u.ID, o.ID, secret
	}
	var org int64
	e.adminID, org, e.admin = user("admin@acme.test", "Acme", storage.RoleAdmin)
	_, _, e.member = user("member@acme.test", "Acme", storage.RoleMember)
	_, _, e.outside = user("owner@other.test", "Other", storage.RoleOwner)
	if _, err := a.Store.CreateWorkspace(ctx, org, "T0123ABCD", "Acme"); err != nil {
		t.Fatal(err)
	}
	return e
}

// do sends a request as the holder of token ("" for nobody) and returns the
// status and body, checking that the body holds no secret.
func (e *credEnv) do(t *testing.T, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	raw := rec.Body.String()
	for _, s := range credSecrets {
		if strings.Contains(raw, s) || strings.Contains(rec.Header().Get("Location"), s) {
			t.Errorf("%s %s: the response holds a secret: %s", method, path, raw)
		}
	}
	var out map[string]any
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			t.Fatalf("%s %s: %d %q is not JSON: %v", method, path, rec.Code, raw, err)
		}
	}
	return rec.Code, out
}

func credErrCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

var credGoodBody = map[string]string{"bot_token": testBotToken, "app_token": testAppToken, "signing_secret": testSigningSecret}

func TestCredentialsAPIFlow(t *testing.T) {
	t.Parallel()
	slack := fakeSlackAPI(t)
	e := newCredEnv(t, slack.URL())
	const path = "/api/workspaces/T0123ABCD/credentials"

	code, body := e.do(t, e.admin, "GET", path, nil)
	if code != 200 || body["configured"] != false || body["bot_token"] != "" {
		t.Fatalf("GET before storing: %d %v", code, body)
	}

	code, body = e.do(t, e.admin, "POST", path, credGoodBody)
	if code != 200 {
		t.Fatalf("POST: %d %v", code, body)
	}
	want := map[string]any{
		"workspace_id": "T0123ABCD", "configured": true, "bot_token": "xoxb-…9f3a", "app_token": secret.Mask(testAppToken),
		"signing_secret": secret.Mask(testSigningSecret), "credentials_encrypted": true, "encryption_version": float64(1),
		"status": "not_verified", "is_valid": false, "last_verified_at": nil, "bot_user_id": "",
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("POST %s = %#v, want %#v", k, body[k], v)
		}
	}

	code, body = e.do(t, e.admin, "POST", path+"/verify", nil)
	if code != 200 || body["valid"] != true || body["team"] != "Acme" || body["team_id"] != "T0123ABCD" ||
		body["bot_user_id"] != "U0BOT" || body["app_token_checked"] != true || body["error"] != "" {
		t.Fatalf("verify: %d %v", code, body)
	}
	if code, body = e.do(t, e.admin, "POST", path+"/verify", nil); code != 200 || body["valid"] != true || body["app_token_checked"] != false {
		t.Fatalf("second verify: %d %v, want valid without asking about the app-level token again", code, body)
	}
	if code, body = e.do(t, e.admin, "POST", path+"/verify?check_app_token=maybe", nil); code != 422 {
		t.Fatalf("verify?check_app_token=maybe: %d %v, want 422", code, body)
	}
	code, body = e.do(t, e.admin, "GET", path, nil)
	if code != 200 || body["status"] != "valid" || body["is_valid"] != true || body["bot_user_id"] != "U0BOT" || body["last_verified_at"] == nil || body["bot_token"] != "xoxb-…9f3a" {
		t.Fatalf("GET after verify: %d %v", code, body)
	}

	if code, body = e.do(t, e.admin, "DELETE", path, nil); code != 204 {
		t.Fatalf("DELETE: %d %v", code, body)
	}
	if code, body = e.do(t, e.admin, "GET", path, nil); code != 200 || body["configured"] != false || body["bot_token"] != "" || body["status"] != "not_configured" {
		t.Fatalf("GET after DELETE: %d %v", code, body)
	}
	if code, body = e.do(t, e.admin, "POST", path+"/verify", nil); code != 409 || credErrCode(body) != "no_credentials" {
		t.Fatalf("verify after DELETE: %d %v", code, body)
	}

	audit, err := e.app.Store.ListAudit(context.Background(), storage.AuditFilter{WorkspaceID: "T0123ABCD"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "credentials.") {
			seen[a.Action] = true
			if a.Actor != accounts.Actor(e.adminID) {
				t.Errorf("audit %s actor = %q, want the admin", a.Action, a.Actor)
			}
		}
	}
	for _, action := range []string{credentials.ActionStore, credentials.ActionView, credentials.ActionVerify, credentials.ActionDelete} {
		if !seen[action] {
			t.Errorf("no audit row for %s", action)
		}
	}
	for _, s := range credSecrets {
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("the logs hold a secret")
		}
	}
}

func TestStoreCredentialsValidation(t *testing.T) {
	t.Parallel()
	e := newCredEnv(t, fakeSlackAPI(t).URL())
	code, body := e.do(t, e.admin, "POST", "/api/workspaces/T0123ABCD/credentials",
		map[string]string{"bot_token": testAppToken, "app_token": testAppToken, "signing_secret": "not-hex"})
	if code != 422 || credErrCode(body) != "invalid_credentials" {
		t.Fatalf("POST: %d %v", code, body)
	}
	fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
	if len(fields) != 2 || !strings.HasPrefix(fields["bot_token"].(string), "must start with xoxb-") ||
		fields["signing_secret"] != "must be 32 hexadecimal characters" {
		t.Errorf("fields = %v", fields)
	}
	code, body = e.do(t, e.admin, "POST", "/api/workspaces/T0123ABCD/credentials", map[string]any{"bot_token": 5})
	if code != 422 {
		t.Errorf("wrong type: %d %v", code, body)
	}
	code, body = e.do(t, e.admin, "POST", "/api/workspaces/T0123ABCD/credentials", map[string]any{"bot_token": testBotToken, "token": testBotToken})
	if code != 422 {
		t.Errorf("unknown field: %d %v", code, body)
	}
}

func TestCredentialsAccess(t *testing.T) {
	t.Parallel()
	e := newCredEnv(t, fakeSlackAPI(t).URL())
	if code, body := e.do(t, e.admin, "POST", "/api/workspaces/T0123ABCD/credentials", credGoodBody); code != 200 {
		t.Fatalf("POST: %d %v", code, body)
	}
	for _, method := range []string{"GET", "POST", "DELETE"} {
		for _, tt := range []struct {
			who, token, path string
			want             int
		}{
			{"nobody", "", "/api/workspaces/T0123ABCD/credentials", 401},
			{"member", e.member, "/api/workspaces/T0123ABCD/credentials", 403},
			{"another organization", e.outside, "/api/workspaces/T0123ABCD/credentials", 404},
			{"admin, unknown workspace", e.admin, "/api/workspaces/T0NOPE/credentials", 404},
		} {
			var body any
			if method == "POST" {
				body = credGoodBody
			}
			if code, out := e.do(t, tt.token, method, tt.path, body); code != tt.want {
				t.Errorf("%s %s as %s: %d %v, want %d", method, tt.path, tt.who, code, out, tt.want)
			}
		}
	}
	if code, out := e.do(t, e.member, "POST", "/api/workspaces/T0123ABCD/credentials/verify", nil); code != 403 {
		t.Errorf("verify as member: %d %v", code, out)
	}
	// Nothing the others tried changed the admin's credentials.
	got, err := e.app.Credentials.Get(context.Background(), "test", credOrg(t, e), "T0123ABCD")
	if err != nil || got.BotToken != testBotToken {
		t.Errorf("credentials changed: %v", err)
	}
}

func credOrg(t *testing.T, e *credEnv) int64 {
	t.Helper()
	org, err := e.app.Store.WorkspaceOrg(context.Background(), "T0123ABCD")
	if err != nil {
		t.Fatal(err)
	}
	return org
}

func TestVerifyCredentialsRejectedAndUnreachable(t *testing.T) {
	t.Parallel()
	slack := fakeSlackAPI(t)
	e := newCredEnv(t, slack.URL())
	const path = "/api/workspaces/T0123ABCD/credentials"
	revoked := map[string]string{"bot_token": testRevokedBot, "app_token": testAppToken, "signing_secret": testSigningSecret}
	if code, body := e.do(t, e.admin, "POST", path, revoked); code != 200 {
		t.Fatalf("POST: %d %v", code, body)
	}
	code, body := e.do(t, e.admin, "POST", path+"/verify", nil)
	if code != 200 || body["valid"] != false || body["error"] != "token_revoked" {
		t.Fatalf("verify revoked: %d %v", code, body)
	}
	if _, body = e.do(t, e.admin, "GET", path, nil); body["is_valid"] != false {
		t.Errorf("is_valid after a revoked verify = %v", body["is_valid"])
	}

	// Slack goes away: 502, and the recorded state stays.
	slack.Close()
	code, body = e.do(t, e.admin, "POST", path+"/verify", nil)
	msg, _ := body["error"].(map[string]any)["message"].(string)
	if code != 502 || credErrCode(body) != "slack_unavailable" || !strings.HasPrefix(msg, "could not reach Slack: ") {
		t.Fatalf("verify unreachable: %d %v", code, body)
	}
	if _, body = e.do(t, e.admin, "GET", path, nil); body["is_valid"] != false || body["configured"] != true {
		t.Errorf("state after an unreachable verify: %v", body)
	}
}

// TestCredentialsWithAnUnusableKey: when the configured key does not open
// the stored secrets, the state is still shown, and what needs the key is a
// 503 naming the key (never a bare 500).
func TestCredentialsWithAnUnusableKey(t *testing.T) {
	t.Parallel()
	slack := fakeSlackAPI(t)
	e := newCredEnv(t, slack.URL())
	const path = "/api/workspaces/T0123ABCD/credentials"
	if code, body := e.do(t, e.admin, "POST", path, credGoodBody); code != 200 {
		t.Fatalf("POST: %d %v", code, body)
	}
	e.app.Keyring.MarkUnavailable(1, errors.New("ENCRYPTION_KEY does not match key version 1 used by 1 workspace"))

	code, body := e.do(t, e.admin, "GET", path, nil)
	if code != 200 || body["configured"] != true || body["credentials_encrypted"] != true || body["bot_token"] != "" ||
		!strings.Contains(fmt.Sprint(body["key_problem"]), "key version 1") {
		t.Fatalf("GET with an unusable key: %d %v", code, body)
	}
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", path, credGoodBody},
		{"POST", path + "/verify", nil},
	} {
		code, body := e.do(t, e.admin, c.method, c.path, c.body)
		if code != http.StatusServiceUnavailable || credErrCode(body) != "key_unavailable" {
			t.Errorf("%s %s with an unusable key: %d %v, want 503 key_unavailable", c.method, c.path, code, body)
		}
	}
}
