package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var tokenSecret = regexp.MustCompile(`<code id="new-token-secret">(lore_[A-Za-z0-9_-]+)</code>`)

// TestAccountPageForEachRole: every signed-in user has the page, with their
// own tokens only and a label on every field; signed out, the login page.
func TestAccountPageForEachRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, u := range []testUser{f.ownerA, f.adminA, f.memberA, f.ownerB} {
		b := newBrowser(t, f.h)
		b.signIn(u.Email)
		page := wantPage(t, b.get("/account"), http.StatusOK)
		wantLabels(t, page)
		if !strings.Contains(page, u.Email) || !strings.Contains(page, `action="/account/tokens"`) || !strings.Contains(page, `action="/account/password"`) ||
			!strings.Contains(page, `href="/account"`) {
			t.Fatalf("account page of %s: %s", u.Email, page)
		}
		tokens, _ := f.app.Accounts.ListTokens(context.Background(), u.ID)
		if len(tokens) != 1 || strings.Count(page, `action="/account/tokens/`) != 1 || !strings.Contains(page, tokens[0].Prefix+"…") {
			t.Fatalf("%s: tokens listed: %s", u.Email, page)
		}
		if strings.Contains(page, u.Token) || tokenSecret.MatchString(page) {
			t.Fatalf("%s: a token's secret is on the page", u.Email)
		}
	}
	wantDenied(t, "/account", newBrowser(t, f.h).get("/account"), http.StatusUnauthorized, "")
}

// TestAccountPageTokens: a token created on the page shows its secret on
// the page after the redirect, once, to its creator only, and the secret
// works; it never travels in a cookie. A bad name is the form again with
// the name kept; a revoked token is refused; another user's is the 404
// page; a cross-site post creates nothing.
func TestAccountPageTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	b := newBrowser(t, f.h)
	b.signIn(f.memberA.Email)

	page := wantPage(t, b.post("/account/tokens", url.Values{"name": {"  "}}), http.StatusUnprocessableEntity)
	if !strings.Contains(page, `id="token-name-error"`) || !strings.Contains(page, "Name is required") {
		t.Fatalf("an empty name: %s", page)
	}
	long := strings.Repeat("n", 101)
	if page := wantPage(t, b.post("/account/tokens", url.Values{"name": {long}}), http.StatusUnprocessableEntity); !strings.Contains(page, `value="`+long+`"`) {
		t.Fatalf("the name typed is not kept: %s", page)
	}
	wantPage(t, b.post("/account/tokens", url.Values{"name": {"evil"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), http.StatusForbidden)
	if tokens, _ := f.app.Accounts.ListTokens(ctx, f.memberA.ID); len(tokens) != 1 {
		t.Fatalf("refused posts created tokens: %+v", tokens)
	}

	w := b.post("/account/tokens", url.Values{"name": {"backup script"}})
	for _, c := range w.Result().Cookies() {
		if strings.HasPrefix(c.Value, "lore_") {
			t.Fatalf("a cookie holds the secret: %s", c)
		}
	}
	stolen := *b.cookies[onceSecretCookie]
	loc, w := b.follow(w)
	page = wantPage(t, w, http.StatusOK)
	m := tokenSecret.FindStringSubmatch(page)
	if loc != "/account#new-token" || m == nil || !strings.Contains(page, "The token backup script is created.") {
		t.Fatalf("after creating: %s %s", loc, page)
	}
	secret := m[1]
	if me := f.do(t, "GET", "/api/me", secret, ""); me.Code != http.StatusOK || !strings.Contains(me.Body.String(), f.memberA.Email) {
		t.Fatalf("the secret shown does not sign in: %d %s", me.Code, me.Body)
	}
	// Shown once: a reload, or the held cookie sent again, shows no secret.
	if page := wantPage(t, b.get("/account"), http.StatusOK); strings.Contains(page, secret) || tokenSecret.MatchString(page) {
		t.Fatal("the secret is shown a second time")
	}
	b.cookies[onceSecretCookie] = &stolen
	if page := wantPage(t, b.get("/account"), http.StatusOK); strings.Contains(page, secret) {
		t.Fatal("the secret is shown again for its cookie")
	}

	// Another user holding the key of a secret waiting for its view gets
	// nothing, and the secret still reaches its creator.
	w = b.post("/account/tokens", url.Values{"name": {"second"}})
	key := *b.cookies[onceSecretCookie]
	other := newBrowser(t, f.h)
	other.signIn(f.adminA.Email)
	other.cookies[onceSecretCookie] = &key
	if page := wantPage(t, other.get("/account"), http.StatusOK); tokenSecret.MatchString(page) {
		t.Fatal("another user was shown the secret")
	}
	if _, w := b.follow(w); !tokenSecret.MatchString(wantPage(t, w, http.StatusOK)) {
		t.Fatal("the creator lost the secret to another user's attempt")
	}

	// Revoke: the list says so, and the token is refused.
	tokens, _ := f.app.Accounts.ListTokens(ctx, f.memberA.ID)
	var id int64
	for _, tk := range tokens {
		if tk.Name == "backup script" {
			id = tk.ID
		}
	}
	revoke := fmt.Sprintf("/account/tokens/%d/revoke", id)
	wantPage(t, other.post(revoke, url.Values{}), http.StatusNotFound)
	wantPage(t, b.post(revoke, url.Values{}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), http.StatusForbidden)
	if me := f.do(t, "GET", "/api/me", secret, ""); me.Code != http.StatusOK {
		t.Fatalf("a refused revoke revoked: %d", me.Code)
	}
	loc, w = b.follow(b.post(revoke, url.Values{}))
	page = wantPage(t, w, http.StatusOK)
	if loc != "/account#tokens" || !strings.Contains(page, "The token backup script is revoked") || strings.Contains(page, `action="`+revoke+`"`) {
		t.Fatalf("after revoking: %s %s", loc, page)
	}
	wantError(t, f.do(t, "GET", "/api/me", secret, ""), http.StatusUnauthorized, "unauthenticated")
	wantPage(t, b.post(revoke, url.Values{}), http.StatusNotFound)
}

// TestOnceSecretsExpire: a secret not viewed within onceSecretTTL is not
// shown, and is forgotten.
func TestOnceSecretsExpire(t *testing.T) {
	t.Parallel()
	o := newOnceSecrets()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	key := o.put(now, onceSecret{userID: 1, Name: "a", Secret: "lore_x"})
	if _, ok := o.take(now.Add(onceSecretTTL), key, 1); ok {
		t.Fatal("an expired secret was shown")
	}
	key = o.put(now, onceSecret{userID: 1, Name: "b", Secret: "lore_y"})
	o.put(now.Add(2*onceSecretTTL), onceSecret{userID: 2, Name: "c", Secret: "lore_z"})
	if len(o.byKey) != 1 {
		t.Fatalf("expired secrets are kept: %d held", len(o.byKey))
	}
	if _, ok := o.take(now, key, 1); ok {
		t.Fatal("a forgotten secret was shown")
	}
}

// TestAccountPagePassword: a refused change gives the form again with the
// problem beside its field and nothing typed in it; a good one signs out
// every other browser and keeps this one signed in, with a flash.
func TestAccountPagePassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	b.signIn(f.memberA.Email)
	elsewhere := newBrowser(t, f.h)
	elsewhere.signIn(f.memberA.Email)

	for _, c := range []struct {
		form url.Values
		id   string
		want string
	}{
		{url.Values{"current_password": {"wrong-password-7"}, "new_password": {"next-password-7"}, "new_password_confirm": {"next-password-7"}},
			"password-current-error", "Current password is wrong"},
		{url.Values{"current_password": {testPassword}, "new_password": {"short7"}, "new_password_confirm": {"short7"}},
			"password-new-error", "New password must be at least 8 characters"},
		{url.Values{"current_password": {testPassword}, "new_password": {"next-password-7"}, "new_password_confirm": {"next-pasword-7"}},
			"password-confirm-error", "does not match the new password"},
	} {
		page := wantPage(t, b.post("/account/password", c.form), http.StatusUnprocessableEntity)
		if !strings.Contains(page, `id="`+c.id+`"`) || !strings.Contains(page, c.want) {
			t.Errorf("%v: the page lacks %q beside its field: %s", c.form, c.want, page)
		}
		for _, typed := range []string{"wrong-password-7", "next-password-7", "short7", "next-pasword-7", testPassword} {
			if strings.Contains(page, typed) {
				t.Fatalf("%v: the page holds the typed %q", c.form, typed)
			}
		}
		wantLabels(t, page)
	}
	good := url.Values{"current_password": {testPassword}, "new_password": {"next-password-7"}, "new_password_confirm": {"next-password-7"}}
	wantPage(t, b.post("/account/password", good, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), http.StatusForbidden)
	if w := elsewhere.get("/account"); w.Code != http.StatusOK {
		t.Fatalf("refused changes signed out another browser: %d", w.Code)
	}

	loc, w := b.follow(b.post("/account/password", good))
	if page := wantPage(t, w, http.StatusOK); loc != "/account" || !strings.Contains(page, "Your password is changed.") {
		t.Fatalf("after the change: %s %s", loc, page)
	}
	if w := elsewhere.get("/account"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Fatalf("another browser is still signed in: %d", w.Code)
	}
	again := newBrowser(t, f.h)
	if w := again.post("/login", url.Values{"email": {f.memberA.Email}, "password": {"next-password-7"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("the new password does not sign in: %d", w.Code)
	}
}
