package slackfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Channel is a channel of the fake's workspace.
type Channel struct {
	ID, Name string
	Private  bool
	Archived bool
	Member   bool // the bot is in it: history answers not_in_channel otherwise
}

// Message is a message of the fake's workspace, answered in Slack's shape.
type Message struct {
	TS, User, Text string
	ThreadTS       string // set on replies (and on a parent once it has some)
	Subtype        string // "thread_broadcast" for a reply also sent to the channel
	EditedTS       string
}

// User is a member of the fake's workspace, as users.list answers it.
type User struct {
	ID, Name, RealName, DisplayName string
	Bot, Deleted                    bool
}

// workspace is the content conversations.list, .history, .replies, .join
// and users.list answer from, once a test adds a channel or a user.
type workspace struct {
	channels map[string]*Channel
	messages map[string]map[string]*Message // channel → ts → message
	users    []User
	pageCap  int               // history pages hold at most this many messages (0: Slack's 999)
	chanErr  map[string]string // channel → the error its history and replies answer
	buckets  map[string]*bucket
	every    map[string]disturbance
	counts   map[string]int // calls per method, for the disturbances
	served   map[string]int // calls answered with data, per method
}

// disturbance makes every n-th call of a method fail: a 429 (with
// Retry-After: 1) or a 500.
type disturbance struct{ every429, every500 int }

// bucket is a tier's budget: perMinute calls a minute, burst at once, as
// Slack counts them per method and workspace.
type bucket struct {
	rate   float64 // tokens a second
	burst  float64
	tokens float64
	last   time.Time
}

func (b *bucket) take(now time.Time) (ok bool, wait time.Duration) {
	b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

func (s *Server) ws() *workspace {
	if s.model == nil {
		s.model = &workspace{channels: map[string]*Channel{}, messages: map[string]map[string]*Message{},
			chanErr: map[string]string{}, buckets: map[string]*bucket{}, every: map[string]disturbance{},
			counts: map[string]int{}, served: map[string]int{}}
	}
	return s.model
}

// AddChannel adds (or replaces) a channel of the workspace.
func (s *Server) AddChannel(c Channel) {
	s.with(func() {
		w := s.ws()
		w.channels[c.ID] = &c
		if w.messages[c.ID] == nil {
			w.messages[c.ID] = map[string]*Message{}
		}
	})
}

// AddUser adds a member of the workspace.
func (s *Server) AddUser(u User) { s.with(func() { s.ws().users = append(s.ws().users, u) }) }

// Post adds a message to a channel: a reply when m.ThreadTS names another
// message, which becomes its thread's parent.
func (s *Server) Post(channelID string, m Message) {
	s.with(func() {
		w := s.ws()
		if w.messages[channelID] == nil {
			w.messages[channelID] = map[string]*Message{}
		}
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			if p := w.messages[channelID][m.ThreadTS]; p != nil {
				p.ThreadTS = p.TS
			}
		}
		w.messages[channelID][m.TS] = &m
	})
}

// Edit changes a message's text, as an edit in Slack does.
func (s *Server) Edit(channelID, ts, text string) {
	s.with(func() {
		if m := s.ws().messages[channelID][ts]; m != nil {
			m.Text, m.EditedTS = text, fmt.Sprintf("%d.000000", time.Now().Unix())
		}
	})
}

// Delete removes a message, as a deletion in Slack does.
func (s *Server) Delete(channelID, ts string) {
	s.with(func() { delete(s.ws().messages[channelID], ts) })
}

// CapPages makes history pages hold at most n messages, whatever limit
// asks: 15 is Slack's cap for commercially distributed apps.
func (s *Server) CapPages(n int) { s.with(func() { s.ws().pageCap = n }) }

// FailChannel makes the channel's history and replies answer code
// (not_in_channel, channel_not_found, …); "" stops it.
func (s *Server) FailChannel(channelID, code string) {
	s.with(func() {
		if code == "" {
			delete(s.ws().chanErr, channelID)
		} else {
			s.ws().chanErr[channelID] = code
		}
	})
}

// Tier limits method to perMinute calls a minute with burst at once, as
// Slack's tiers do: a call past the budget answers 429 with the whole
// seconds until the next call is allowed as Retry-After.
func (s *Server) Tier(method string, perMinute, burst int) {
	s.with(func() {
		s.ws().buckets[method] = &bucket{rate: float64(perMinute) / 60, burst: float64(burst), tokens: float64(burst), last: time.Now()}
	})
}

// Disturb makes every every429-th call of method answer 429 (Retry-After:
// 1) and every every500-th an HTTP 500; 0 turns either off.
func (s *Server) Disturb(method string, every429, every500 int) {
	s.with(func() { s.ws().every[method] = disturbance{every429, every500} })
}

// Served is how many calls of method were answered with data (not a 429,
// a 500 or an error).
func (s *Server) Served(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.model == nil {
		return 0
	}
	return s.model.served[method]
}

// ServeWorkspace answers r from the workspace, as the fake does when no
// handler is set: for a Handle that changes only some calls.
func (s *Server) ServeWorkspace(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if !s.serveWorkspace(w, r, strings.TrimPrefix(r.URL.Path, "/")) {
		io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

// workspaceMethods are the methods the workspace answers.
var workspaceMethods = map[string]bool{
	"conversations.list": true, "conversations.history": true, "conversations.replies": true,
	"conversations.join": true, "conversations.info": true, "users.list": true,
}

// serveWorkspace answers a workspace method; it returns false when the
// fake has no workspace content.
func (s *Server) serveWorkspace(w http.ResponseWriter, r *http.Request, method string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.model
	if ws == nil || !workspaceMethods[method] {
		return false
	}
	ws.counts[method]++
	n := ws.counts[method]
	if b := ws.buckets[method]; b != nil {
		if ok, wait := b.take(time.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
			return true
		}
	}
	d := ws.every[method]
	switch {
	case d.every429 > 0 && n%d.every429 == 0:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		return true
	case d.every500 > 0 && n%d.every500 == 0:
		http.Error(w, "<html>oops</html>", http.StatusInternalServerError)
		return true
	}
	var body any
	var code string
	switch method {
	case "conversations.list":
		body = ws.list(r)
	case "conversations.join", "conversations.info":
		body, code = ws.join(r, method == "conversations.join")
	case "conversations.history":
		body, code = ws.history(r)
	case "conversations.replies":
		body, code = ws.replies(r)
	case "users.list":
		body = ws.usersList(r)
	}
	if code != "" {
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, code)
		return true
	}
	ws.served[method]++
	json.NewEncoder(w).Encode(body)
	return true
}

func cursorFor(i int) string {
	return base64.StdEncoding.EncodeToString([]byte("next:" + strconv.Itoa(i)))
}

func cursorIndex(c string) int {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0
	}
	i, _ := strconv.Atoi(strings.TrimPrefix(string(b), "next:"))
	return i
}

func limitOf(r *http.Request, def, most int) int {
	n, err := strconv.Atoi(r.FormValue("limit"))
	if err != nil || n <= 0 {
		n = def
	}
	return min(n, most)
}

// page cuts items at the request's cursor and limit, with Slack's
// has_more and response_metadata.next_cursor.
func page[T any](items []T, r *http.Request, limit int) (out []T, next string) {
	from := min(cursorIndex(r.FormValue("cursor")), len(items))
	to := min(from+limit, len(items))
	if to < len(items) {
		next = cursorFor(to)
	}
	return items[from:to], next
}

func channelJSON(c *Channel) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "name_normalized": c.Name, "is_channel": !c.Private,
		"is_group": c.Private, "is_im": false, "is_mpim": false, "is_private": c.Private, "is_archived": c.Archived,
		"is_general": false, "is_member": c.Member, "is_shared": false, "is_ext_shared": false, "is_org_shared": false,
		"created": 1449252889, "creator": "U061F7AUR", "num_members": 4, "unlinked": 0,
		"previous_names": []string{}, "pending_shared": []string{},
		"topic": map[string]any{"value": "", "creator": "", "last_set": 0}, "purpose": map[string]any{"value": "", "creator": "", "last_set": 0}}
}

func (ws *workspace) list(r *http.Request) any {
	types := r.FormValue("types")
	if types == "" {
		types = "public_channel"
	}
	var all []*Channel
	for _, c := range ws.channels {
		switch {
		case c.Archived && r.FormValue("exclude_archived") == "true":
		case c.Private && (!strings.Contains(types, "private_channel") || !c.Member): // a bot sees the private channels it is in
		case !c.Private && !strings.Contains(types, "public_channel"):
		default:
			all = append(all, c)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	got, next := page(all, r, limitOf(r, 100, 1000))
	out := []map[string]any{}
	for _, c := range got {
		out = append(out, channelJSON(c))
	}
	return map[string]any{"ok": true, "channels": out, "response_metadata": map[string]any{"next_cursor": next}}
}

func (ws *workspace) join(r *http.Request, join bool) (any, string) {
	c := ws.channels[r.FormValue("channel")]
	switch {
	case c == nil:
		return nil, "channel_not_found"
	case join && c.Archived:
		return nil, "is_archived"
	case join && c.Private && !c.Member:
		return nil, "method_not_supported_for_channel_type"
	}
	if join {
		c.Member = true
	}
	return map[string]any{"ok": true, "channel": channelJSON(c)}, ""
}

// readable is the error a channel's history or replies answer, if any.
func (ws *workspace) readable(id string) string {
	if code := ws.chanErr[id]; code != "" {
		return code
	}
	c := ws.channels[id]
	switch {
	case c == nil:
		return "channel_not_found"
	case !c.Member:
		return "not_in_channel"
	}
	return ""
}

// messageJSON is a message as history and replies show it: a parent with
// its thread's counts, a reply with its parent's user.
func (ws *workspace) messageJSON(ch string, m *Message) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "user": m.User, "text": m.Text}
	if m.Subtype != "" {
		out["subtype"] = m.Subtype
	}
	if m.EditedTS != "" {
		out["edited"] = map[string]any{"user": m.User, "ts": m.EditedTS}
	}
	if m.ThreadTS == "" {
		return out
	}
	out["thread_ts"] = m.ThreadTS
	if m.ThreadTS != m.TS {
		if p := ws.messages[ch][m.ThreadTS]; p != nil {
			out["parent_user_id"] = p.User
		}
		return out
	}
	replies := ws.replyTS(ch, m.TS)
	out["reply_count"] = len(replies)
	out["reply_users_count"] = 1
	out["reply_users"] = []string{m.User}
	out["is_locked"] = false
	out["subscribed"] = false
	if len(replies) > 0 {
		out["latest_reply"] = replies[len(replies)-1]
	}
	return out
}

// replyTS lists a thread's replies, oldest first.
func (ws *workspace) replyTS(ch, threadTS string) []string {
	var out []string
	for ts, m := range ws.messages[ch] {
		if m.ThreadTS == threadTS && ts != threadTS {
			out = append(out, ts)
		}
	}
	sort.Strings(out)
	return out
}

func (ws *workspace) history(r *http.Request) (any, string) {
	ch := r.FormValue("channel")
	if code := ws.readable(ch); code != "" {
		return nil, code
	}
	oldest, latest := r.FormValue("oldest"), r.FormValue("latest")
	inclusive := r.FormValue("inclusive") == "true" || r.FormValue("inclusive") == "1"
	var ts []string
	for t, m := range ws.messages[ch] {
		if m.ThreadTS != "" && m.ThreadTS != t && m.Subtype != "thread_broadcast" {
			continue // a reply: only conversations.replies shows it
		}
		if oldest != "" && (t < oldest || (!inclusive && t == oldest)) {
			continue
		}
		if latest != "" && (t > latest || (!inclusive && t == latest)) {
			continue
		}
		ts = append(ts, t)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ts))) // newest first
	limit := limitOf(r, 100, 999)
	if ws.pageCap > 0 {
		limit = min(limit, ws.pageCap)
	}
	got, next := page(ts, r, limit)
	msgs := []map[string]any{}
	for _, t := range got {
		msgs = append(msgs, ws.messageJSON(ch, ws.messages[ch][t]))
	}
	return map[string]any{"ok": true, "messages": msgs, "has_more": next != "", "pin_count": 0,
		"response_metadata": map[string]any{"next_cursor": next}}, ""
}

func (ws *workspace) replies(r *http.Request) (any, string) {
	ch := r.FormValue("channel")
	if code := ws.readable(ch); code != "" {
		return nil, code
	}
	parent := ws.messages[ch][r.FormValue("ts")]
	if parent == nil {
		return nil, "thread_not_found"
	}
	got, next := page(ws.replyTS(ch, parent.TS), r, limitOf(r, 100, 1000))
	// Slack answers the parent first on every page.
	msgs := []map[string]any{ws.messageJSON(ch, parent)}
	for _, t := range got {
		msgs = append(msgs, ws.messageJSON(ch, ws.messages[ch][t]))
	}
	return map[string]any{"ok": true, "messages": msgs, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}}, ""
}

func (ws *workspace) usersList(r *http.Request) any {
	got, next := page(ws.users, r, limitOf(r, 100, 1000))
	members := []map[string]any{}
	for _, u := range got {
		members = append(members, map[string]any{"id": u.ID, "team_id": "T0123ABCD", "name": u.Name, "deleted": u.Deleted,
			"real_name": u.RealName, "is_bot": u.Bot, "is_admin": false, "is_owner": false, "is_app_user": false,
			"tz": nil, "updated": 1502138686, "color": "9f69e7",
			"profile": map[string]any{"real_name": u.RealName, "display_name": u.DisplayName, "team": "T0123ABCD"}})
	}
	return map[string]any{"ok": true, "members": members, "cache_ts": 1498777272,
		"response_metadata": map[string]any{"next_cursor": next}}
}
