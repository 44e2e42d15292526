package backfill

import (
	"context"
	"errors"
	"log/slog"
	gosync "sync"
	"time"

	"lore/app/slack"
	"lore/storage"
)

// SocketsOptions tune Sockets; the zero value is the production setup.
type SocketsOptions struct {
	// Refresh is how often the workspaces' credentials are read for
	// connections to start, restart (the credentials changed) or stop
	// (deleted, or no longer valid). Default 5 s.
	Refresh time.Duration
	// Retry is how long a workspace whose connection could not start waits
	// before it is tried again with unchanged credentials. Default 1 min.
	Retry time.Duration
	// Socket tunes each connection.
	Socket slack.SocketOptions
	// Skip, when set, names the workspaces that open no socket although
	// their credentials are valid: those in HTTP mode, whose events arrive
	// at Lore's events endpoint (which hands them to Handler).
	Skip func(ctx context.Context, workspaceID string) bool
}

// Sockets is the Socket Mode runtime: one connection per workspace with
// valid credentials, each handing its envelopes to the live capture and to
// every handler added with Handle (the commands). Run it in the process
// that holds the data directory's lock (lore serve): Slack splits events
// between connections.
type Sockets struct {
	s    *Service
	opts SocketsOptions

	mu       gosync.Mutex
	handlers []slack.SocketHandler
	conns    map[string]*socketConn // by workspace
	started  bool
}

type socketConn struct {
	version string
	cancel  context.CancelFunc
	done    chan struct{}
	ended   time.Time // when it stopped on its own; zero while it runs
}

// Sockets returns the runtime over the service's workspaces.
func (s *Service) Sockets(opts SocketsOptions) *Sockets {
	if opts.Refresh <= 0 {
		opts.Refresh = 5 * time.Second
	}
	if opts.Retry <= 0 {
		opts.Retry = time.Minute
	}
	if opts.Socket.Logger == nil {
		opts.Socket.Logger = s.logger
	}
	return &Sockets{s: s, opts: opts, handlers: []slack.SocketHandler{s.Live()}, conns: map[string]*socketConn{}}
}

// Handle adds h to the handlers every connection's envelopes go to; call
// it before Run.
func (m *Sockets) Handle(h slack.SocketHandler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		panic("backfill: Sockets.Handle after Run")
	}
	m.handlers = append(m.handlers, h)
}

// Handler is every handler the connections hand envelopes to, as one: the
// HTTP events and commands endpoints of a workspace in HTTP mode give it
// what arrives there, so that both transports take the same path.
func (m *Sockets) Handler() slack.SocketHandler {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slack.SocketHandlers(m.handlers...)
}

// Run keeps the connections in step with the stored credentials until ctx
// ends, then stops them all and returns.
func (m *Sockets) Run(ctx context.Context) {
	m.mu.Lock()
	m.started = true
	m.mu.Unlock()
	t := time.NewTicker(m.opts.Refresh)
	defer t.Stop()
	for {
		if err := m.refresh(ctx); err != nil && ctx.Err() == nil {
			m.s.logger.Warn("socket mode: could not read the workspaces' credentials", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			m.stopAll()
			return
		case <-t.C:
		}
	}
}

// Connected lists the workspaces whose connection is running.
func (m *Sockets) Connected() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for ws, c := range m.conns {
		if c.ended.IsZero() {
			out = append(out, ws)
		}
	}
	return out
}

func (m *Sockets) refresh(ctx context.Context) error {
	targets, err := m.s.store.ListSocketTargets(ctx)
	if err != nil {
		return err
	}
	want := map[string]storage.SocketTarget{}
	for _, t := range targets {
		if m.opts.Skip == nil || !m.opts.Skip(ctx, t.WorkspaceID) {
			want[t.WorkspaceID] = t
		}
	}
	m.mu.Lock()
	var stop []*socketConn
	for ws, c := range m.conns {
		t, ok := want[ws]
		if !ok || t.Version != c.version {
			stop = append(stop, c) // deleted, invalid or changed: a changed one starts again below
			delete(m.conns, ws)
		}
	}
	m.mu.Unlock()
	for _, c := range stop {
		c.cancel()
		<-c.done
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for ws, t := range want {
		c, ok := m.conns[ws]
		if ok && (c.ended.IsZero() || m.s.opts.Now().Sub(c.ended) < m.opts.Retry) {
			continue
		}
		m.conns[ws] = m.start(ctx, t)
	}
	return nil
}

// start runs one workspace's connection.
func (m *Sockets) start(parent context.Context, t storage.SocketTarget) *socketConn {
	ctx, cancel := context.WithCancel(parent)
	c := &socketConn{version: t.Version, cancel: cancel, done: make(chan struct{})}
	handler := slack.SocketHandlers(m.handlers...)
	go func() {
		defer close(c.done)
		err := m.connect(ctx, t, handler)
		m.mu.Lock()
		c.ended = m.s.opts.Now()
		m.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			m.s.logger.Warn("socket mode stopped", "workspace_id", t.WorkspaceID, slog.Any("error", err))
		}
	}()
	return c
}

func (m *Sockets) connect(ctx context.Context, t storage.SocketTarget, h slack.SocketHandler) error {
	conn, err := m.s.creds.Connect(ctx, "socket:"+t.WorkspaceID, t.OrgID, t.WorkspaceID)
	if err != nil {
		return err
	}
	ws := slack.SocketWorkspace{OrgID: t.OrgID, WorkspaceID: t.WorkspaceID, BotUserID: t.BotUserID, API: conn.Slack}
	opts := m.opts.Socket
	opts.OnConnect = func(reconnect bool) {
		if reconnect {
			m.catchUp(ctx, t)
		}
	}
	err = slack.RunSocket(ctx, ws, h, opts)
	var e *slack.Error
	if errors.As(err, &e) && e.TokenRejected() {
		if rerr := m.s.creds.Rejected(context.WithoutCancel(ctx), conn, e.Code); rerr != nil {
			m.s.logger.Error("could not mark the credentials invalid", "workspace_id", t.WorkspaceID, slog.Any("error", rerr))
		}
	}
	return err
}

// catchUp queues a short backfill of the covered channels after a
// reconnect, for what arrived while no socket listened.
func (m *Sockets) catchUp(ctx context.Context, t storage.SocketTarget) {
	_, err := m.s.enqueue(ctx, Params{OrgID: t.OrgID, WorkspaceID: t.WorkspaceID, CatchUp: true})
	var running *RunningError
	switch {
	case errors.As(err, &running):
		// The backfill running now reads what was missed.
	case err != nil && ctx.Err() == nil:
		m.s.logger.Warn("socket mode: no catch-up backfill after the reconnect", "workspace_id", t.WorkspaceID, slog.Any("error", err))
	}
}

func (m *Sockets) stopAll() {
	m.mu.Lock()
	conns := m.conns
	m.conns = map[string]*socketConn{}
	m.mu.Unlock()
	for _, c := range conns {
		c.cancel()
		<-c.done
	}
}
