package ui

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"lore/app/apptest"
)

// send sends a request with the given cookie and extra headers.
func send(t testing.TB, h http.Handler, method, path, body string, cookie *http.Cookie, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if cookie != nil {
		r.AddCookie(cookie)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func sessionCookieOf(t testing.TB, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", sessionCookie, w.Header()["Set-Cookie"])
	return nil
}

func TestSignupLoginLogout(t *testing.T) {
	t.Parallel()
	a := apptest.Open(t)
	h := New(a, os.DirFS("static"), os.DirFS("templates"))

	w := signupFrom(t, h, "127.0.0.1:40000", "127.0.0.1:8080", "")
	me := decodeBody[meResponse](t, w, http.StatusCreated)
	if me.User.Email != "first@example.com" || !me.User.InstanceOwner || len(me.Organizations) != 1 ||
		me.Organizations[0].Name != "Acme" || me.Organizations[0].Role != "owner" {
		t.Fatalf("signup answered %+v", me)
	}
	c := sessionCookieOf(t, w)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" || c.MaxAge <= 0 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", c)
	}

	w = send(t, h, "GET", "/api/me", "", c)
	if got := decodeBody[meResponse](t, w, http.StatusOK); got.User.ID != me.User.ID {
		t.Fatalf("me with cookie = %+v", got)
	}

	e := wantError(t, send(t, h, "POST", "/api/auth/signup", `{"email":"second@example.com","password":"second-password","organization_name":"B"}`, nil),
		http.StatusForbidden, "signup_closed")
	if !strings.Contains(e.Error.Message, "closed") {
		t.Fatalf("message %q", e.Error.Message)
	}

	w = send(t, h, "POST", "/api/auth/logout", "", c)
	if w.Code != http.StatusNoContent || sessionCookieOf(t, w).MaxAge >= 0 {
		t.Fatalf("logout: %d, cookie %v", w.Code, w.Header()["Set-Cookie"])
	}
	wantError(t, send(t, h, "GET", "/api/me", "", c), http.StatusUnauthorized, "unauthenticated")

	wantError(t, send(t, h, "POST", "/api/auth/login", `{"email":"first@example.com","password":"wrong-password"}`, nil),
		http.StatusUnauthorized, "login_failed")
	w = send(t, h, "POST", "/api/auth/login", `{"email":"first@example.com","password":"first-password"}`, nil)
	decodeBody[meResponse](t, w, http.StatusOK)
	c2 := sessionCookieOf(t, w)
	if c2.Value == c.Value {
		t.Fatal("login reused the revoked session token")
	}
	if w := send(t, h, "GET", "/api/me", "", c2); w.Code != http.StatusOK {
		t.Fatalf("me after login: %d %s", w.Code, w.Body)
	}
}

func TestSessionCookieSecureOverTLS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := httptest.NewRequest("POST", "/api/auth/login", strings.NewReader(`{"email":"member-a@example.com","password":"`+testPassword+`"}`))
	r.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if c := sessionCookieOf(t, w); !c.Secure || !c.HttpOnly {
		t.Fatalf("cookie over TLS %+v: want Secure and HttpOnly", c)
	}
}

func TestLoginRateLimitAnswers429(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Failures from one address slow that account there, with a growing wait.
	var w *httptest.ResponseRecorder
	for range 10 {
		w = send(t, f.h, "POST", "/api/auth/login", `{"email":"member-a@example.com","password":"nope-nope"}`, nil)
		if w.Code != http.StatusUnauthorized {
			break
		}
	}
	e := wantError(t, w, http.StatusTooManyRequests, "rate_limited")
	secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || secs < 1 || secs > 900 {
		t.Fatalf("Retry-After %q, want whole seconds", w.Header().Get("Retry-After"))
	}
	if !strings.Contains(e.Error.Message, "try again in "+strconv.Itoa(secs)+" s") {
		t.Fatalf("message %q does not say when", e.Error.Message)
	}
	// another account from the same address is not slowed by this one
	w = send(t, f.h, "POST", "/api/auth/login", `{"email":"admin-a@example.com","password":"`+testPassword+`"}`, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("another account: %d %s", w.Code, w.Body)
	}
}

// fixtureEmails are the fixture's accounts: failures spread over them reach
// the per-address limit without waiting on the per-account one.
var fixtureEmails = []string{"owner-a@example.com", "admin-a@example.com", "member-a@example.com", "owner-b@example.com"}

// login posts a login from peer (the TCP address) with extra headers.
func login(t testing.TB, h http.Handler, email, password, peer string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", "/api/auth/login", strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`))
	r.RemoteAddr = peer
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestLoginLimitsBehindATrustedProxy: behind the reverse proxy the README
// documents, every request comes from the proxy's address; with the proxy
// trusted, limits count each client by X-Forwarded-For (or Forwarded), so
// one client's failures, or someone guessing an admin's password, do not
// keep anyone else out.
func TestLoginLimitsBehindATrustedProxy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.app.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32"), netip.MustParsePrefix("fd00::/8")}
	h := New(f.app, os.DirFS("static"), os.DirFS("templates"))
	const proxy = "10.0.0.2:51000"

	// A client floods failures over many accounts until its address is refused.
	for i := range 20 {
		wantError(t, login(t, h, fixtureEmails[i%4], "wrong-password", proxy, "X-Forwarded-For", "203.0.113.5"), http.StatusUnauthorized, "login_failed")
	}
	wantError(t, login(t, h, "member-a@example.com", testPassword, proxy, "X-Forwarded-For", "203.0.113.5"), http.StatusTooManyRequests, "rate_limited")
	// Another client behind the same proxy signs in.
	if w := login(t, h, "member-a@example.com", testPassword, proxy, "X-Forwarded-For", "198.51.100.9"); w.Code != http.StatusOK {
		t.Fatalf("another client behind the proxy: %d %s", w.Code, w.Body)
	}
	// A client cannot pose as another by sending its own X-Forwarded-For: the
	// proxy appends the real address, and the walk from the right stops there.
	if w := login(t, h, "member-a@example.com", testPassword, proxy, "X-Forwarded-For", "198.51.100.9, 203.0.113.5"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("a forged hop before the real one: %d %s, want 429", w.Code, w.Body)
	}

	// Someone guessing the admin's password from one client keeps the admin,
	// at another, out no more than anyone else.
	for range 12 {
		login(t, h, "admin-a@example.com", "guess-guess", proxy, "Forwarded", `for="[2001:db8:66::1]:4711";proto=https`)
	}
	wantError(t, login(t, h, "admin-a@example.com", testPassword, proxy, "Forwarded", `for="[2001:db8:66::1]:4711"`), http.StatusTooManyRequests, "rate_limited")
	if w := login(t, h, "admin-a@example.com", testPassword, proxy, "Forwarded", "for=192.0.2.44"); w.Code != http.StatusOK {
		t.Fatalf("the admin at another client: %d %s", w.Code, w.Body)
	}
}

// TestForwardedHeadersFromUntrustedPeersAreIgnored: anyone can send
// X-Forwarded-For; from a peer that is not a trusted proxy it changes
// nothing, so rotating it does not escape the per-address limit.
func TestForwardedHeadersFromUntrustedPeersAreIgnored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.app.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")}
	h := New(f.app, os.DirFS("static"), os.DirFS("templates"))
	for i := range 20 {
		login(t, h, fixtureEmails[i%4], "wrong-password", "192.0.2.77:4000", "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
	}
	wantError(t, login(t, h, "member-a@example.com", testPassword, "192.0.2.77:4000", "X-Forwarded-For", "198.51.100.200"), http.StatusTooManyRequests, "rate_limited")
}

func TestPasswordChangeRevokesSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	login := func() *http.Cookie {
		w := send(t, f.h, "POST", "/api/auth/login", `{"email":"member-a@example.com","password":"`+testPassword+`"}`, nil)
		return sessionCookieOf(t, w)
	}
	c1, c2 := login(), login()
	wantError(t, send(t, f.h, "POST", "/api/me/password", `{"current_password":"wrong","new_password":"new-password-1"}`, c1),
		http.StatusUnprocessableEntity, "invalid_request")
	w := send(t, f.h, "POST", "/api/me/password", `{"current_password":"`+testPassword+`","new_password":"new-password-1"}`, c1)
	if w.Code != http.StatusNoContent {
		t.Fatalf("change password: %d %s", w.Code, w.Body)
	}
	fresh := sessionCookieOf(t, w)
	for _, c := range []*http.Cookie{c1, c2} {
		wantError(t, send(t, f.h, "GET", "/api/me", "", c), http.StatusUnauthorized, "unauthenticated")
	}
	if w := send(t, f.h, "GET", "/api/me", "", fresh); w.Code != http.StatusOK {
		t.Fatalf("fresh session: %d", w.Code)
	}
	// API tokens are not sessions: they stay until revoked.
	if w := f.do(t, "GET", "/api/me", f.memberA.Token, ""); w.Code != http.StatusOK {
		t.Fatalf("token after password change: %d", w.Code)
	}
}

func TestCrossOriginProtection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := send(t, f.h, "POST", "/api/auth/login", `{"email":"owner-a@example.com","password":"`+testPassword+`"}`, nil)
	c := sessionCookieOf(t, w)
	body := `{"name":"from a page"}`

	// A cookie-authenticated request from another site is refused, and changes nothing.
	wantError(t, send(t, f.h, "POST", "/api/tokens", body, c, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden, "cross_origin")
	wantError(t, send(t, f.h, "POST", "/api/tokens", body, c, "Origin", "https://evil.example"), http.StatusForbidden, "cross_origin")
	// A login from another site too (login CSRF).
	wantError(t, send(t, f.h, "POST", "/api/auth/login", `{"email":"owner-a@example.com","password":"`+testPassword+`"}`, nil,
		"Sec-Fetch-Site", "cross-site"), http.StatusForbidden, "cross_origin")
	tokens, _ := f.app.Store.ListAPITokens(context.Background(), f.ownerA.ID)
	if len(tokens) != 1 {
		t.Fatalf("%d tokens: a cross-site request made one", len(tokens))
	}
	// Same origin passes; safe methods pass whatever the origin.
	if w := send(t, f.h, "POST", "/api/tokens", body, c, "Sec-Fetch-Site", "same-origin"); w.Code != http.StatusCreated {
		t.Fatalf("same-origin: %d %s", w.Code, w.Body)
	}
	if w := send(t, f.h, "GET", "/api/me", "", c, "Sec-Fetch-Site", "cross-site"); w.Code != http.StatusOK {
		t.Fatalf("cross-site GET: %d", w.Code)
	}
	// Bearer requests are not cookie-based: unaffected.
	if w := send(t, f.h, "POST", "/api/tokens", body, nil, "Authorization", "Bearer "+f.ownerA.Token, "Sec-Fetch-Site", "cross-site"); w.Code != http.StatusCreated {
		t.Fatalf("Bearer cross-site: %d %s", w.Code, w.Body)
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		remote, xff, forwarded, want string
	}{
		{"192.0.2.7:5000", "", "", "192.0.2.7"},
		{"[2001:db8:1:2:aaaa::1]:443", "", "", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb:cccc::9]:80", "", "", "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.7]:5000", "", "", "192.0.2.7"},
		{"not-an-address", "", "", "not-an-address"},
		// an untrusted peer's headers are ignored
		{"192.0.2.7:5000", "198.51.100.1", "for=198.51.100.2", "192.0.2.7"},
		// a trusted peer: the first untrusted hop from the right
		{"10.1.1.1:5000", "198.51.100.1", "", "198.51.100.1"},
		{"10.1.1.1:5000", "203.0.113.9, 198.51.100.1, 10.2.2.2", "", "198.51.100.1"},
		{"[::1]:5000", "2001:db8:5:6::7", "", "2001:db8:5:6::/64"},
		{"127.0.0.1:5000", "198.51.100.1:6000", "", "198.51.100.1"},
		{"127.0.0.1:5000", "[2001:db8::1]:6000", "", "2001:db8::/64"},
		// every hop trusted: the leftmost
		{"10.1.1.1:5000", "10.3.3.3, 10.2.2.2", "", "10.3.3.3"},
		// a hop that is not an address: the client is the trusted hop after it
		{"10.1.1.1:5000", "garbage, 10.2.2.2", "", "10.2.2.2"},
		{"10.1.1.1:5000", "unknown", "", "10.1.1.1"},
		// Forwarded, when there is no X-Forwarded-For
		{"10.1.1.1:5000", "", `for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"`, "2001:db8:cafe::/64"},
		{"10.1.1.1:5000", "", `For="198.51.100.3:80", for=10.9.9.9`, "198.51.100.3"},
		{"10.1.1.1:5000", "", `for=_hidden, for=10.9.9.9`, "10.9.9.9"},
		{"10.1.1.1:5000", "198.51.100.1", "for=192.0.2.60", "198.51.100.1"},
	} {
		r := httptest.NewRequest("POST", "/api/auth/login", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if tc.forwarded != "" {
			r.Header.Set("Forwarded", tc.forwarded)
		}
		if got := clientAddr(r, trusted); got != tc.want {
			t.Errorf("clientAddr(%s, XFF %q, Forwarded %q) = %s, want %s", tc.remote, tc.xff, tc.forwarded, got, tc.want)
		}
	}
	// Several X-Forwarded-For lines are one list, in order.
	r := httptest.NewRequest("POST", "/api/auth/login", nil)
	r.RemoteAddr = "10.1.1.1:5000"
	r.Header.Add("X-Forwarded-For", "203.0.113.9")
	r.Header.Add("X-Forwarded-For", "198.51.100.1, 10.2.2.2")
	if got := clientAddr(r, trusted); got != "198.51.100.1" {
		t.Errorf("two header lines: %s, want 198.51.100.1", got)
	}
}

// TestBehindATLSProxy: with an https public URL (a proxy terminating TLS)
// the cookie is Secure over the proxy's plain HTTP, and a browser request
// whose Origin is the public URL passes cross-origin protection even when
// the proxy rewrites Host.
func TestBehindATLSProxy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.app.Config.PublicURL = "https://lore.example.com"
	h := New(f.app, os.DirFS("static"), os.DirFS("templates"))

	r := httptest.NewRequest("POST", "http://127.0.0.1:8080/api/auth/login", strings.NewReader(`{"email":"member-a@example.com","password":"`+testPassword+`"}`))
	r.Header.Set("Origin", "https://lore.example.com")
	r.Header.Set("Sec-Fetch-Site", "cross-site") // as the browser sees it, Host differing from Origin
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("login through the proxy: %d %s", w.Code, w.Body)
	}
	if c := sessionCookieOf(t, w); !c.Secure {
		t.Fatalf("cookie behind an https public URL %+v: want Secure", c)
	}

	r = httptest.NewRequest("POST", "http://127.0.0.1:8080/api/auth/login", strings.NewReader(`{"email":"member-a@example.com","password":"`+testPassword+`"}`))
	r.Header.Set("Origin", "https://evil.example")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	wantError(t, w, http.StatusForbidden, "cross_origin")
}

// signupFrom posts the first signup from peer to host, with the given token.
func signupFrom(t testing.TB, h http.Handler, peer, host, token string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	body := `{"email":"first@example.com","password":"first-password","organization_name":"Acme"`
	if token != "" {
		body += `,"setup_token":"` + token + `"`
	}
	r := httptest.NewRequest("POST", "http://"+host+"/api/auth/signup", strings.NewReader(body+"}"))
	r.RemoteAddr = peer
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestSignupFromThisMachineNeedsNoToken: the default address is loopback,
// and there the first signup is open.
func TestSignupFromThisMachineNeedsNoToken(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ peer, host string }{
		{"127.0.0.1:40000", "127.0.0.1:8080"},
		{"[::1]:40000", "localhost:8080"},
		{"127.0.0.1:40000", "[::1]:8080"},
	} {
		h := New(apptest.Open(t), os.DirFS("static"), os.DirFS("templates"))
		if w := signupFrom(t, h, c.peer, c.host, ""); w.Code != http.StatusCreated {
			t.Fatalf("signup from %s to %s: %d %s", c.peer, c.host, w.Code, w.Body)
		}
	}
}

// TestSignupFromElsewhereNeedsTheSetupToken: whoever reaches the port first
// from another machine does not own the instance; the admin, who has the
// token lore serve printed, does.
func TestSignupFromElsewhereNeedsTheSetupToken(t *testing.T) {
	t.Parallel()
	a := apptest.Open(t)
	a.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	h := New(a, os.DirFS("static"), os.DirFS("templates"))
	token, err := a.Accounts.SetupToken(context.Background())
	if err != nil || token == "" {
		t.Fatalf("SetupToken = %q, %v", token, err)
	}
	const remote, host = "192.0.2.10:40000", "lore.example.com"
	e := wantError(t, signupFrom(t, h, remote, host, ""), http.StatusForbidden, "setup_token_required")
	if !strings.Contains(e.Error.Message, "setup token") {
		t.Fatalf("message %q does not say what is needed", e.Error.Message)
	}
	wantError(t, signupFrom(t, h, remote, host, token+"x"), http.StatusForbidden, "setup_token_invalid")
	// Not from this machine either: a loopback proxy forwarding someone
	// (trusted, or not: then its X-Forwarded-For shows it is a proxy), and a
	// page of another site whose name resolves to 127.0.0.1 (DNS rebinding).
	wantError(t, signupFrom(t, h, "127.0.0.1:40000", host, "", "X-Forwarded-For", "203.0.113.5"), http.StatusForbidden, "setup_token_required")
	wantError(t, signupFrom(t, h, "[::1]:40000", "localhost:8080", "", "Forwarded", "for=203.0.113.5"), http.StatusForbidden, "setup_token_required")
	wantError(t, signupFrom(t, h, "127.0.0.1:40000", "evil.example:8080", ""), http.StatusForbidden, "setup_token_required")

	if w := signupFrom(t, h, remote, host, token); w.Code != http.StatusCreated {
		t.Fatalf("signup with the token: %d %s", w.Code, w.Body)
	}
	// Once a user exists the token opens nothing.
	wantError(t, signupFrom(t, h, remote, host, token), http.StatusForbidden, "signup_closed")
	if now, _ := a.Accounts.SetupToken(context.Background()); now != "" {
		t.Fatalf("SetupToken after the first user = %q", now)
	}
}
