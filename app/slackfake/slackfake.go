// Package slackfake stands in for Slack's Web API in tests: auth.test and
// apps.connections.open answer as Slack documents them, for the tokens a
// test declares; chat.postMessage, chat.postEphemeral and conversations.info
// answer as Slack does for the channels the bot is a member of; any other
// method answers what the test queues for it (pages of a cursor chain, say,
// read from ../shared/testdata/slack-api/); every call can be made to fail
// as Slack, a proxy or a network does, rate limits with any Retry-After
// included. It also serves response URLs (ResponseURL), recording what is
// posted to them and refusing them once used up, as Slack does.
//
// A test may also give it a workspace (AddChannel, Post, AddUser): then
// conversations.list, .history, .replies, .join and users.list answer from
// it in the shapes of ../shared/testdata/slack-api/, cursor-paged, history
// newest first, parents with reply_count and latest_reply; with Slack's
// tier buckets (Tier), 429s and 500s every few calls (Disturb), 15-message
// pages (CapPages) and channels the bot cannot read (FailChannel). Queued
// answers, errors and handlers still go first. EnableSocket adds a Socket
// Mode websocket in Slack's envelope format.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// Call is one request the Server received.
type Call struct {
	Method string     // "conversations.history"
	Form   url.Values // its parameters (query and form), e.g. cursor
	Token  string     // the token it carried
	At     time.Time
}

// Server is a fake Slack Web API.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	bots     map[string]Team // bot token → its workspace
	apps     map[string]bool // app-level tokens allowed to open Socket Mode
	revoked  map[string]bool // tokens answered with token_revoked
	mode     Mode
	calls    []Call
	onCall   func(method string)
	limited  map[string][]string // method → Retry-After values of the 429s to answer next
	errors   map[string]string   // method → the error field of every answer
	answers  map[string][]string // method → bodies to answer, in order
	handlers map[string]http.HandlerFunc
	members  map[string]bool // channel id → the bot is a member (conversations.info)
	posted   []Post          // chat.postMessage, chat.postEphemeral and response URL posts
	uses     map[string]int  // response URL name → posts answered so far
	ts       int             // the last message ts handed out
	model    *workspace      // channels, messages and users, once a test adds some
	socket   *socketServer
}

// Post is a message the Server was asked to post: by chat.postMessage or
// chat.postEphemeral (Method, with the form's channel, user, thread_ts,
// text and blocks), or to a response URL (Method "response_url", with
// ResponseURL and the JSON body's response_type, replace_original, text
// and blocks).
type Post struct {
	Method          string
	ResponseURL     string // the name given to ResponseURL
	Channel         string
	User            string // chat.postEphemeral's recipient
	ThreadTS        string
	ResponseType    string // "ephemeral" or "in_channel" (response URLs)
	ReplaceOriginal bool
	Text            string
	Blocks          string // the blocks as JSON
	Accepted        bool   // Slack answered ok (a used-up response URL does not)
}

// ResponseURLUses is how many times Slack accepts posts to one response URL.
const ResponseURLUses = 5

// New starts a fake Slack, closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{bots: map[string]Team{}, apps: map[string]bool{}, revoked: map[string]bool{},
		limited: map[string][]string{}, errors: map[string]string{}, answers: map[string][]string{},
		handlers: map[string]http.HandlerFunc{}, members: map[string]bool{}, uses: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
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

// RateLimit makes the next calls of method answer HTTP 429 with
// {"ok":false,"error":"ratelimited"}, one per value: the value is the
// Retry-After header, and "" sends none.
func (s *Server) RateLimit(method string, retryAfter ...string) {
	s.with(func() { s.limited[method] = append(s.limited[method], retryAfter...) })
}

// FailWith makes every later call of method answer {"ok":false,"error":text}
// with HTTP 200, whatever text is (a plain code, or a proxy's sentence).
func (s *Server) FailWith(method, text string) { s.with(func() { s.errors[method] = text }) }

// Answer queues bodies for method, answered in order with HTTP 200, one per
// call; once they are used up the method answers as if unknown. Pages of a
// cursor chain are answered this way, and Calls shows the cursors sent.
func (s *Server) Answer(method string, bodies ...string) {
	s.with(func() { s.answers[method] = append(s.answers[method], bodies...) })
}

// Handle makes h answer method, for what Answer cannot express.
func (s *Server) Handle(method string, h http.HandlerFunc) { s.with(func() { s.handlers[method] = h }) }

// Calls lists the methods called so far.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.Method
	}
	return out
}

// Requests lists the calls of method so far (every call when method is "").
func (s *Server) Requests(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// SetMember says whether the bot is a member of channel: conversations.info
// reports it, and chat.postMessage and chat.postEphemeral answer
// not_in_channel when it is not. Channels never set are not joined.
func (s *Server) SetMember(channel string, member bool) {
	s.with(func() { s.members[channel] = member })
}

// ResponseURL returns a response URL on this Server named name, as a slash
// command or an interaction carries one; posts to it are recorded (Posts)
// and answered ok ResponseURLUses times, then 404 used_url.
func (s *Server) ResponseURL(name string) string { return s.Server.URL + "/response/" + name }

// UseUp makes the response URL named name refuse every later post, as
// Slack does after 30 minutes or five uses.
func (s *Server) UseUp(name string) { s.with(func() { s.uses[name] = ResponseURLUses }) }

// Posts lists the messages posted so far, in order.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posted...)
}

func (s *Server) with(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if name, ok := strings.CutPrefix(r.URL.Path, "/response/"); ok {
		s.respond(w, r, name)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/link/") {
		s.serveSocket(w, r)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/")
	r.ParseForm()
	token := r.FormValue("token")
	if token == "" {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Form: r.Form, Token: token, At: time.Now()})
	mode, onCall := s.mode, s.onCall
	s.mu.Unlock()
	if onCall != nil {
		onCall(method)
	}
	if s.fail(w, r, mode) {
		return
	}
	s.mu.Lock()
	var retryAfter *string
	if q := s.limited[method]; len(q) > 0 {
		retryAfter, s.limited[method] = &q[0], q[1:]
	}
	errText, hasErr := s.errors[method]
	h := s.handlers[method]
	var body *string
	if q := s.answers[method]; len(q) > 0 && retryAfter == nil && !hasErr && h == nil {
		body, s.answers[method] = &q[0], q[1:]
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case retryAfter != nil:
		if *retryAfter != "" {
			w.Header().Set("Retry-After", *retryAfter)
		}
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
	case hasErr:
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, errText)
	case h != nil:
		h(w, r)
	case body != nil:
		io.WriteString(w, *body)
	case method == "auth.test":
		s.authTest(w, token)
	case method == "apps.connections.open":
		s.connectionsOpen(w, token)
	case method == "chat.postMessage" || method == "chat.postEphemeral":
		s.post(w, method, r.Form)
	case method == "conversations.info":
		s.conversationInfo(w, r.Form.Get("channel"))
	case s.serveWorkspace(w, r, method):
	default:
		io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

func (s *Server) authTest(w http.ResponseWriter, token string) {
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

func (s *Server) connectionsOpen(w http.ResponseWriter, token string) {
	s.mu.Lock()
	ok, revoked, socket := s.apps[token], s.revoked[token], s.socket != nil
	s.mu.Unlock()
	switch {
	case revoked:
		io.WriteString(w, `{"ok":false,"error":"token_revoked"}`)
	case ok && socket:
		fmt.Fprintf(w, `{"ok":true,"url":%q}`, s.socketURL())
	case ok:
		io.WriteString(w, `{"ok":true,"url":"wss://wss-primary.slack.com/link/?ticket=secret-ticket"}`)
	default:
		io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
	}
}

// post records a chat.postMessage or chat.postEphemeral and answers as
// Slack does: not_in_channel unless the bot is a member.
func (s *Server) post(w http.ResponseWriter, method string, form url.Values) {
	p := Post{Method: method, Channel: form.Get("channel"), User: form.Get("user"), ThreadTS: form.Get("thread_ts"),
		Text: form.Get("text"), Blocks: form.Get("blocks")}
	s.mu.Lock()
	p.Accepted = s.members[p.Channel]
	s.ts++
	ts := fmt.Sprintf("1700000000.%06d", s.ts)
	s.posted = append(s.posted, p)
	s.mu.Unlock()
	switch {
	case !p.Accepted:
		io.WriteString(w, `{"ok":false,"error":"not_in_channel"}`)
	case method == "chat.postEphemeral":
		fmt.Fprintf(w, `{"ok":true,"message_ts":%q}`, ts)
	default:
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, p.Channel, ts)
	}
}

func (s *Server) conversationInfo(w http.ResponseWriter, channel string) {
	s.mu.Lock()
	member, known := s.members[channel]
	s.mu.Unlock()
	if !known {
		io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
		return
	}
	fmt.Fprintf(w, `{"ok":true,"channel":{"id":%q,"name":%q,"is_channel":true,"is_member":%t}}`, channel, strings.ToLower(channel), member)
}

// respond records a post to a response URL and answers as Slack does: ok
// while it has uses left, then 404 used_url.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, name string) {
	var body struct {
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
	}
	raw, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || json.Unmarshal(raw, &body) != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	p := Post{Method: "response_url", ResponseURL: name, ResponseType: body.ResponseType, ReplaceOriginal: body.ReplaceOriginal,
		Text: body.Text, Blocks: string(body.Blocks)}
	s.mu.Lock()
	p.Accepted = s.uses[name] < ResponseURLUses
	if p.Accepted {
		s.uses[name]++
	}
	s.posted = append(s.posted, p)
	onCall := s.onCall
	s.mu.Unlock()
	if onCall != nil {
		onCall("response_url")
	}
	if !p.Accepted {
		http.Error(w, "used_url", http.StatusNotFound)
		return
	}
	io.WriteString(w, "ok")
}

// fail answers as the mode says; it returns false when the call should be
// answered normally.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, mode Mode) bool {
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
