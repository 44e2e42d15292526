package slackfake

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socketServer is the fake's Socket Mode endpoint: apps.connections.open
// hands out its URL, and it speaks Slack's envelopes (hello, events_api,
// slash_commands, interactive, disconnect) and pings as Slack does.
type socketServer struct {
	pingEvery time.Duration

	mu       sync.Mutex
	conns    []*websocket.Conn // open connections, newest last
	accepted int
	quiet    bool
	acks     []string
	next     int
	writeMu  sync.Mutex
}

// EnableSocket makes apps.connections.open answer this server's own
// websocket URL, which greets each connection with hello and pings it
// every pingEvery (Slack pings every few seconds; the client reconnects
// when pings stop).
func (s *Server) EnableSocket(pingEvery time.Duration) {
	s.with(func() { s.socket = &socketServer{pingEvery: pingEvery} })
}

func (s *Server) socketURL() string {
	return "ws" + strings.TrimPrefix(s.Server.URL, "http") + "/link/?ticket=secret-ticket&app_id=A0APP"
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ss := s.socket
	s.mu.Unlock()
	if ss == nil {
		http.NotFound(w, r)
		return
	}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ss.mu.Lock()
	ss.conns = append(ss.conns, conn)
	ss.accepted++
	n := len(ss.conns)
	ss.mu.Unlock()
	ss.write(conn, map[string]any{"type": "hello", "num_connections": n,
		"debug_info":      map[string]any{"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": "A0APP"}})
	done := make(chan struct{})
	go ss.ping(conn, done)
	defer func() {
		close(done)
		ss.remove(conn)
		conn.Close()
	}()
	for {
		var ack struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if err := conn.ReadJSON(&ack); err != nil {
			return
		}
		ss.mu.Lock()
		ss.acks = append(ss.acks, ack.EnvelopeID)
		ss.mu.Unlock()
	}
}

func (ss *socketServer) ping(conn *websocket.Conn, done <-chan struct{}) {
	t := time.NewTicker(ss.pingEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		ss.mu.Lock()
		quiet := ss.quiet
		ss.mu.Unlock()
		if !quiet {
			ss.writeMu.Lock()
			conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
			ss.writeMu.Unlock()
		}
	}
}

func (ss *socketServer) write(conn *websocket.Conn, v any) error {
	ss.writeMu.Lock()
	defer ss.writeMu.Unlock()
	return conn.WriteJSON(v)
}

func (ss *socketServer) remove(conn *websocket.Conn) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for i, c := range ss.conns {
		if c == conn {
			ss.conns = append(ss.conns[:i], ss.conns[i+1:]...)
			return
		}
	}
}

func (s *Server) sock() *socketServer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.socket == nil {
		panic("slackfake: EnableSocket first")
	}
	return s.socket
}

// send writes an envelope to the newest connection and returns its id.
func (s *Server) send(kind string, payload any) (string, error) {
	ss := s.sock()
	ss.mu.Lock()
	ss.next++
	id := fmt.Sprintf("env-%d", ss.next)
	var conn *websocket.Conn
	if len(ss.conns) > 0 {
		conn = ss.conns[len(ss.conns)-1]
	}
	ss.mu.Unlock()
	if conn == nil {
		return "", fmt.Errorf("slackfake: no socket connected")
	}
	return id, ss.write(conn, map[string]any{"envelope_id": id, "type": kind, "payload": payload,
		"accepts_response_payload": kind != "events_api", "retry_attempt": 0, "retry_reason": ""})
}

// SendEvent sends an Events API envelope carrying event (a message event,
// say) for team, and returns its envelope id.
func (s *Server) SendEvent(team string, event map[string]any) (string, error) {
	return s.send("events_api", map[string]any{"token": "verification-token", "team_id": team, "api_app_id": "A0APP",
		"event": event, "type": "event_callback", "event_id": fmt.Sprintf("Ev%d", time.Now().UnixNano()),
		"event_time": time.Now().Unix(), "authorizations": []map[string]any{{"team_id": team, "user_id": "U0BOT", "is_bot": true}}})
}

// SendCommand sends a slash command envelope.
func (s *Server) SendCommand(fields map[string]string) (string, error) {
	return s.send("slash_commands", fields)
}

// SendDisconnect sends Slack's disconnect envelope (reason "warning" or
// "refresh_requested") to the newest connection.
func (s *Server) SendDisconnect(reason string) error {
	ss := s.sock()
	ss.mu.Lock()
	var conn *websocket.Conn
	if len(ss.conns) > 0 {
		conn = ss.conns[len(ss.conns)-1]
	}
	ss.mu.Unlock()
	if conn == nil {
		return fmt.Errorf("slackfake: no socket connected")
	}
	return ss.write(conn, map[string]any{"type": "disconnect", "reason": reason,
		"debug_info": map[string]any{"host": "applink-fake"}})
}

// DropSockets closes every connection at once, without a close frame: a
// network drop.
func (s *Server) DropSockets() {
	ss := s.sock()
	ss.mu.Lock()
	conns := append([]*websocket.Conn(nil), ss.conns...)
	ss.mu.Unlock()
	for _, c := range conns {
		c.UnderlyingConn().Close()
	}
}

// QuietSockets stops (or restarts) the pings: a socket that went quiet.
func (s *Server) QuietSockets(quiet bool) {
	ss := s.sock()
	ss.mu.Lock()
	ss.quiet = quiet
	ss.mu.Unlock()
}

// SocketConnections is how many websocket connections were accepted so far.
func (s *Server) SocketConnections() int {
	ss := s.sock()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.accepted
}

// OpenSockets is how many websocket connections are open now.
func (s *Server) OpenSockets() int {
	ss := s.sock()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.conns)
}

// Acks lists the envelope ids acknowledged so far.
func (s *Server) Acks() []string {
	ss := s.sock()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]string(nil), ss.acks...)
}

// Acked tells whether the envelope id was acknowledged.
func (s *Server) Acked(id string) bool {
	for _, a := range s.Acks() {
		if a == id {
			return true
		}
	}
	return false
}
