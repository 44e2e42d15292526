// Package slackfake stands in for Slack's Web API in tests: auth.test and
// apps.connections.open answer as Slack documents them, for the tokens a
// test declares, and can be made to fail as Slack or a network does.
package slackfake

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Team is the workspace a bot token belongs to, as auth.test reports it.
type Team struct {
	ID, Name, URL, BotUserID string
}

// Acme is the workspace the tests' good tokens belong to.
var Acme = Team{ID: "T0123ABCD", Name: "Acme", URL: "https://acme.slack.com/", BotUserID: "U0BOT"}

// Mode makes every call fail one way.
type Mode string

// The failures a Server can be set to.
const (
	Normal      Mode = ""
	ServerError Mode = "500"  // HTTP 500 with an HTML page
	RateLimited Mode = "429"  // HTTP 429 with Retry-After: 30
	Slow        Mode = "slow" // no answer for 5 s (or until the client gives up)
	NotSlack    Mode = "html" // 200 with an HTML page, as a captive portal
)

// Server is a fake Slack Web API.
type Server struct {
	*httptest.Server
	mu      sync.Mutex
	bots    map[string]Team // bot token → its workspace
	apps    map[string]bool // app-level tokens allowed to open Socket Mode
	revoked map[string]bool // tokens answered with token_revoked
	mode    Mode
	calls   []string
	onCall  func(method string)
}

// New starts a fake Slack, closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{bots: map[string]Team{}, apps: map[string]bool{}, revoked: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth.test", s.authTest)
	mux.HandleFunc("POST /apps.connections.open", s.connectionsOpen)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// URL is the API base URL with the trailing slash slack-go needs.
func (s *Server) URL() string { return s.Server.URL + "/" }

// AddBot makes token a working bot token of team.
func (s *Server) AddBot(token string, team Team) { s.with(func() { s.bots[token] = team }) }

// AddApp makes token a working app-level token.
func (s *Server) AddApp(token string) { s.with(func() { s.apps[token] = true }) }

// Revoke makes Slack answer token_revoked for token.
func (s *Server) Revoke(token string) { s.with(func() { s.revoked[token] = true }) }

// SetMode makes every later call fail as m says (Normal: answer).
func (s *Server) SetMode(m Mode) { s.with(func() { s.mode = m }) }

// OnCall runs f as each call arrives, before it is answered.
func (s *Server) OnCall(f func(method string)) { s.with(func() { s.onCall = f }) }

// Calls lists the methods called so far.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *Server) with(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *Server) authTest(w http.ResponseWriter, r *http.Request) {
	if s.fail(w, r, "auth.test") {
		return
	}
	token := r.FormValue("token")
	if token == "" {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	s.mu.Lock()
	team, ok := s.bots[token]
	revoked := s.revoked[token]
	s.mu.Unlock()
	switch {
	case token == "":
		io.WriteString(w, `{"ok":false,"error":"not_authed"}`)
	case revoked:
		io.WriteString(w, `{"ok":false,"error":"token_revoked"}`)
	case ok:
		fmt.Fprintf(w, `{"ok":true,"url":%q,"team":%q,"user":"lore","team_id":%q,"user_id":%q,"bot_id":"B1"}`,
			team.URL, team.Name, team.ID, team.BotUserID)
	default:
		io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
	}
}

func (s *Server) connectionsOpen(w http.ResponseWriter, r *http.Request) {
	if s.fail(w, r, "apps.connections.open") {
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	ok, revoked := s.apps[token], s.revoked[token]
	s.mu.Unlock()
	switch {
	case revoked:
		io.WriteString(w, `{"ok":false,"error":"token_revoked"}`)
	case ok:
		io.WriteString(w, `{"ok":true,"url":"wss://wss-primary.slack.com/link/?ticket=secret-ticket"}`)
	default:
		io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
	}
}

// fail records the call, runs the OnCall hook and answers as the mode says;
// it returns false when the call should be answered normally.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, method string) bool {
	s.mu.Lock()
	s.calls = append(s.calls, method)
	mode, onCall := s.mode, s.onCall
	s.mu.Unlock()
	if onCall != nil {
		onCall(method)
	}
	switch mode {
	case ServerError:
		http.Error(w, "<html>oops</html>", http.StatusInternalServerError)
	case RateLimited:
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	case Slow:
		io.Copy(io.Discard, r.Body) // so that the server notices the client hanging up
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	case NotSlack:
		io.WriteString(w, "<html>captive portal</html>")
	default:
		return false
	}
	return true
}

// ClosedURL is the API URL of a server that no longer listens: Slack
// unreachable.
func ClosedURL(t testing.TB) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL + "/"
	s.Close()
	return u
}
