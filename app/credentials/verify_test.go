package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lore/app/slack"
	"lore/app/slackfake"
	"lore/storage/secret"

	"github.com/slack-go/slack/slacktest"
)

func TestVerifyAgainstSlacktest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := slacktest.NewTestServer()
	srv.Start()
	t.Cleanup(srv.Stop)
	e := newEnv(t, srv.GetAPIURL(), nil)
	e.addWorkspace(t, "T024BE7LD") // slacktest's team
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T024BE7LD", good); err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.Verify(ctx, "user:1", e.org, "T024BE7LD")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Valid || r.TeamID != "T024BE7LD" || r.Team == "" || r.BotUserID == "" || r.Error != "" {
		t.Fatalf("Verify = %+v", r)
	}
	rec := e.record(t, "T024BE7LD")
	if !rec.IsValid || rec.BotUserID != r.BotUserID || rec.TeamName != r.Team || rec.LastVerifiedAt.IsZero() {
		t.Errorf("record after Verify: %+v", rec)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		creds secret.Slack
		mode  string // fakeSlack mode; "closed" for no server at all
		want  Result
		// wantErr is a substring of the error when Slack cannot answer.
		wantErr string
	}{
		{name: "valid", creds: good,
			want: Result{Valid: true, Team: "Acme", TeamID: "T0123ABCD", TeamURL: "https://acme.slack.com/", BotUserID: "U0BOT", AppTokenChecked: true}},
		{name: "bot token revoked", creds: secret.Slack{BotToken: revokedBot, AppToken: good.AppToken, SigningSecret: good.SigningSecret},
			want: Result{Error: "token_revoked"}},
		{name: "bot token unknown", creds: secret.Slack{BotToken: "xoxb-0000000000-0000000000-UnknownToken", AppToken: good.AppToken, SigningSecret: good.SigningSecret},
			want: Result{Error: "invalid_auth"}},
		{name: "app token revoked", creds: secret.Slack{BotToken: good.BotToken, AppToken: revokedApp, SigningSecret: good.SigningSecret},
			want: Result{Team: "Acme", TeamID: "T0123ABCD", TeamURL: "https://acme.slack.com/", BotUserID: "U0BOT", AppTokenChecked: true, Error: "app_token: token_revoked"}},
		{name: "token of another workspace", creds: secret.Slack{BotToken: otherWorkspaceBot, AppToken: good.AppToken, SigningSecret: good.SigningSecret},
			want: Result{Team: "Other", TeamID: "T0OTHER", AppTokenChecked: true, Error: "wrong_workspace"}},
		{name: "unreachable", creds: good, mode: "closed", wantErr: "could not reach Slack: "},
		{name: "server error", creds: good, mode: "500", wantErr: "could not reach Slack: HTTP 500"},
		{name: "rate limited", creds: good, mode: "429", wantErr: "rate limiting Lore; retry after 30s"},
		{name: "timeout", creds: good, mode: "slow", wantErr: "could not reach Slack: no answer in time"},
		{name: "not slack", creds: good, mode: "html", wantErr: "the reply was not Slack's API"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fake := newFakeSlack(t)
			url := fake.URL()
			if tt.mode == "closed" {
				url = closedURL(t)
			}
			e := newEnv(t, url, nil)
			if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", tt.creds); err != nil {
				t.Fatal(err)
			}
			before := e.record(t, "T0123ABCD")
			fake.SetMode(slackfake.Mode(tt.mode))

			r, err := e.svc.Verify(ctx, "user:1", e.org, "T0123ABCD")
			after := e.record(t, "T0123ABCD")
			audit := e.audit(t, ActionVerify)
			if len(audit) != 1 {
				t.Fatalf("audit rows = %+v, want 1", audit)
			}
			for _, s := range secretNeedles(tt.creds) {
				if err != nil && strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains a secret", err)
				}
			}

			if tt.wantErr != "" {
				if !errors.Is(err, ErrSlackUnavailable) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Verify error = %v, want ErrSlackUnavailable with %q", err, tt.wantErr)
				}
				if after != before {
					t.Errorf("Slack unavailable changed the record:\n%+v\n%+v", before, after)
				}
				if audit[0].Outcome != "slack_unavailable" {
					t.Errorf("audit outcome = %q", audit[0].Outcome)
				}
				var ue *UnavailableError
				if tt.mode == "429" && (!errors.As(err, &ue) || ue.RetryAfter != 30*time.Second) {
					t.Errorf("429: RetryAfter not reported: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r != tt.want {
				t.Errorf("Verify = %+v\nwant   %+v", r, tt.want)
			}
			if after.IsValid != tt.want.Valid {
				t.Errorf("is_valid = %v, want %v", after.IsValid, tt.want.Valid)
			}
			if tt.want.Valid {
				if !after.LastVerifiedAt.Equal(now) || after.BotUserID != "U0BOT" || after.TeamName != "Acme" || after.TeamURL != "https://acme.slack.com/" {
					t.Errorf("record after a valid verification: %+v", after)
				}
				if audit[0].Outcome != "valid" {
					t.Errorf("audit outcome = %q", audit[0].Outcome)
				}
			} else {
				if !after.LastVerifiedAt.Equal(now) || after.TeamName != before.TeamName || after.BotUserID != before.BotUserID {
					t.Errorf("a rejection must record is_valid=false as of now and nothing else: %+v", after)
				}
				if audit[0].Outcome != "invalid" || audit[0].Detail["reason"] != tt.want.Error {
					t.Errorf("audit = %+v", audit[0])
				}
			}
		})
	}
}

func TestVerifyChecksAppTokenOnlyWhenPresent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := newFakeSlack(t)
	e := newEnv(t, fake.URL(), nil)
	e.seedPlaintext(t, "T0123ABCD", legacyB) // no app token: an HTTP-mode install
	r, err := e.svc.Verify(ctx, "system", e.org, "T0123ABCD")
	if err != nil || !r.Valid {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
	if calls := fake.Calls(); strings.Join(calls, ",") != "auth.test" {
		t.Errorf("calls = %v, want auth.test only", calls)
	}
}

func TestVerifyWithoutCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, closedURL(t), nil)
	if _, err := e.svc.Verify(context.Background(), "user:1", e.org, "T0123ABCD"); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("Verify = %v, want ErrNoCredentials", err)
	}
}

// TestVerifyDoesNotVouchForReplacedCredentials: credentials stored while a
// verification waits on Slack must not be marked as verified by it.
func TestVerifyDoesNotVouchForReplacedCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	slack := newFakeSlack(t)
	e := newEnv(t, slack.URL(), nil)
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	replacement := secret.Slack{BotToken: revokedBot, AppToken: revokedApp, SigningSecret: good.SigningSecret}
	slack.OnCall(func(method string) {
		if method == "apps.connections.open" { // the check of the old tokens is half-way
			if _, err := e.svc.Store(ctx, "user:2", e.org, "T0123ABCD", replacement); err != nil {
				t.Error(err)
			}
		}
	})

	_, err := e.svc.Verify(ctx, "user:1", e.org, "T0123ABCD")
	if !errors.Is(err, ErrReplaced) {
		t.Fatalf("Verify while the credentials changed: %v, want ErrReplaced", err)
	}
	rec := e.record(t, "T0123ABCD")
	if !rec.LastVerifiedAt.IsZero() || rec.BotUserID != "" {
		t.Fatalf("the replaced credentials were recorded as verified: %+v", rec)
	}
	got, err := e.svc.Get(ctx, "user:1", e.org, "T0123ABCD")
	if err != nil || got != replacement {
		t.Fatalf("the replacement was lost: %v", err)
	}
}

// TestStoreStartsNotVerified: stored credentials are "not verified" until
// Verify runs, also when they replace credentials that were verified.
func TestStoreStartsNotVerified(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, newFakeSlack(t).URL(), nil)
	status := func(when string, want Status) {
		t.Helper()
		v, err := e.svc.View(ctx, "user:1", e.org, "T0123ABCD")
		if err != nil || v.Status != want || v.IsValid != (want == StatusValid) {
			t.Fatalf("%s: View = %+v, %v; want status %s", when, v, err, want)
		}
	}
	status("before storing", StatusNotConfigured)
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	status("after storing", StatusNotVerified)
	if r, err := e.svc.Verify(ctx, "user:1", e.org, "T0123ABCD"); err != nil || !r.Valid {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
	status("after verifying", StatusValid)
	replacement := secret.Slack{BotToken: revokedBot, AppToken: good.AppToken, SigningSecret: good.SigningSecret}
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", replacement); err != nil {
		t.Fatal(err)
	}
	status("after storing over verified ones", StatusNotVerified)
	if r, err := e.svc.Verify(ctx, "user:1", e.org, "T0123ABCD"); err != nil || r.Valid {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
	status("after a rejection", StatusInvalid)
}

// TestVerifySparesAppsConnectionsOpen: apps.connections.open (Tier 1, shared
// with Socket Mode) is called only for credentials not verified as valid,
// or when asked; a second call within the minute is paced.
func TestVerifySparesAppsConnectionsOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := newFakeSlack(t)
	e := newEnv(t, fake.URL(), nil)
	now := time.Now()
	client, err := slack.New(slack.Options{APIURL: fake.URL(), Now: func() time.Time { return now },
		Sleep: func(context.Context, time.Duration) error { t.Error("Verify slept"); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(e.store, e.keys, e.svc.logger, Options{Slack: client})
	if err != nil {
		t.Fatal(err)
	}
	opens := func() int { return len(fake.Requests("apps.connections.open")) }
	verify := func(want Result, opts ...VerifyOption) {
		t.Helper()
		r, err := svc.Verify(ctx, "user:1", e.org, "T0123ABCD", opts...)
		if err != nil || r.Valid != want.Valid || r.AppTokenChecked != want.AppTokenChecked || r.Error != want.Error {
			t.Fatalf("Verify = %+v, %v; want %+v", r, err, want)
		}
	}

	if _, err := svc.Store(ctx, "user:1", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	verify(Result{Valid: true, AppTokenChecked: true})
	verify(Result{Valid: true}) // verified as valid: the app-level token is not asked about again
	if n := opens(); n != 1 {
		t.Fatalf("apps.connections.open called %d times, want 1", n)
	}
	if a := e.audit(t, ActionVerify); len(a) != 2 || a[0].Detail["app_token_checked"] != false {
		t.Errorf("audit = %+v, want the last verification to say the app token was not checked", a)
	}

	// Asked within the minute: paced, an answer to retry later, nothing sent.
	_, err = svc.Verify(ctx, "user:1", e.org, "T0123ABCD", WithAppTokenCheck())
	var ue *UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrSlackUnavailable) || ue.RetryAfter != time.Minute {
		t.Fatalf("Verify with WithAppTokenCheck within a minute: %v, want paced with RetryAfter 1m", err)
	}
	now = now.Add(time.Minute)
	verify(Result{Valid: true, AppTokenChecked: true}, WithAppTokenCheck())

	// New credentials are checked in full; a rejection keeps them checked in full.
	replacement := secret.Slack{BotToken: good.BotToken, AppToken: revokedApp, SigningSecret: good.SigningSecret}
	if _, err := svc.Store(ctx, "user:1", e.org, "T0123ABCD", replacement); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	verify(Result{AppTokenChecked: true, Error: "app_token: token_revoked"})
	now = now.Add(time.Minute)
	verify(Result{AppTokenChecked: true, Error: "app_token: token_revoked"})
	if n := opens(); n != 4 {
		t.Errorf("apps.connections.open called %d times, want 4", n)
	}
}
