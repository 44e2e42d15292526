package slack

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	gosync "sync"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// SocketWorkspace is the workspace a Socket Mode envelope came from, with
// the API of the connection it came on: a handler answers through it (or
// through a command's response_url) and never reads credentials itself.
type SocketWorkspace struct {
	OrgID       int64
	WorkspaceID string
	BotUserID   string // the bot's own user id, to tell its messages and mentions apart
	API         *API
}

// SocketHandler is what handles the envelopes of a workspace's one Socket
// Mode connection (live capture, the commands, mentions and buttons share
// it). The runtime acknowledges every envelope at once, before any handler
// runs, so a handler never holds Slack's three seconds: it answers later,
// through ws.API (chat.postMessage, chat.postEphemeral) or a command's or
// interaction's response_url. Events come one at a time, in the order
// Slack sent them (an edit must not overtake its message), so an Event
// with slow work to do (answering a mention) starts a goroutine of its
// own; each Command and Interaction runs in a goroutine of its own. The
// context ends when the connection is stopped for good; a handler logs its
// own failures (there is no one to return them to).
//
// The same methods take the events and commands of a workspace in HTTP
// mode, which arrive at Lore's HTTP endpoints instead of a socket.
type SocketHandler interface {
	// Event is an Events API envelope: message events, channel changes,
	// app_mention, member_joined_channel, ….
	Event(ctx context.Context, ws SocketWorkspace, ev slackevents.EventsAPIEvent)
	// Command is a slash command (/ask, /askall).
	Command(ctx context.Context, ws SocketWorkspace, cmd slackgo.SlashCommand)
	// Interaction is a button, shortcut or modal callback.
	Interaction(ctx context.Context, ws SocketWorkspace, cb slackgo.InteractionCallback)
}

// SocketHandlers is one SocketHandler that hands every envelope to each of
// hs in turn: live capture and the commands each take what is theirs and
// ignore the rest.
func SocketHandlers(hs ...SocketHandler) SocketHandler { return socketHandlers(hs) }

type socketHandlers []SocketHandler

func (hs socketHandlers) Event(ctx context.Context, ws SocketWorkspace, ev slackevents.EventsAPIEvent) {
	for _, h := range hs {
		h.Event(ctx, ws, ev)
	}
}

func (hs socketHandlers) Command(ctx context.Context, ws SocketWorkspace, cmd slackgo.SlashCommand) {
	for _, h := range hs {
		h.Command(ctx, ws, cmd)
	}
}

func (hs socketHandlers) Interaction(ctx context.Context, ws SocketWorkspace, cb slackgo.InteractionCallback) {
	for _, h := range hs {
		h.Interaction(ctx, ws, cb)
	}
}

// NoSocketHandler ignores every envelope; embed it to implement only some
// of SocketHandler's methods.
type NoSocketHandler struct{}

// Event ignores ev.
func (NoSocketHandler) Event(context.Context, SocketWorkspace, slackevents.EventsAPIEvent) {}

// Command ignores cmd.
func (NoSocketHandler) Command(context.Context, SocketWorkspace, slackgo.SlashCommand) {}

// Interaction ignores cb.
func (NoSocketHandler) Interaction(context.Context, SocketWorkspace, slackgo.InteractionCallback) {}

// SocketOptions tune RunSocket; the zero value is the production setup.
type SocketOptions struct {
	// PingTimeout is how long the socket may go without Slack's ping
	// before it counts as dead and is reconnected. Default 30 s.
	PingTimeout time.Duration
	// Backoff is the first wait after a connection could not be made
	// again, doubled (with jitter) up to MaxBackoff. Defaults 2 s and 5 min.
	Backoff, MaxBackoff time.Duration
	// OnConnect runs after each connection Slack greets with hello;
	// reconnect is false for the first. The backfill's catch-up hangs here.
	OnConnect func(reconnect bool)
	// Logger gets the connection's life; nil logs nothing.
	Logger *slog.Logger
}

// RunSocket runs ws's one Socket Mode connection until ctx ends (then it
// returns ctx's error) or Slack rejects the app-level token (an *Error
// whose TokenRejected is true). It acknowledges every envelope at once,
// then hands it to h in a goroutine of its own. A dropped connection, a
// socket with no ping for PingTimeout, and Slack's disconnect envelope
// (refresh_requested, warning) are each followed by a new connection;
// apps.connections.open goes through ws.API's pacing, so reconnects stay
// within its Tier 1 (about one a minute) whatever happens.
func RunSocket(ctx context.Context, ws SocketWorkspace, h SocketHandler, opts SocketOptions) error {
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = 30 * time.Second
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 2 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("workspace_id", ws.WorkspaceID)
	var handlers gosync.WaitGroup
	defer handlers.Wait()
	// Events go through one queue, in order; its worker outlives the
	// reconnects, so that none is lost between connections.
	events := make(chan socketmode.Event, 256)
	defer close(events)
	handlers.Go(func() {
		for evt := range events {
			dispatch(ctx, ws, h, evt)
		}
	})
	connections := 0
	for failures := 0; ; {
		client := socketmode.New(ws.API.Client, socketmode.OptionPingInterval(opts.PingTimeout),
			socketmode.OptionLog(log.New(io.Discard, "", 0)))
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- client.RunContext(runCtx) }()
		err := func() error {
			for {
				select {
				case err := <-done:
					return err
				case evt := <-client.Events:
					switch evt.Type {
					case socketmode.EventTypeConnected:
						failures = 0
						if info, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
							logger.Info("socket mode connected", "connection", info.ConnectionCount)
						}
						if opts.OnConnect != nil {
							go opts.OnConnect(connections > 0)
						}
						connections++
					case socketmode.EventTypeConnectionError:
						logger.Warn("socket mode could not connect; slack-go tries again", "reason", Classify(connectionError(evt)).Error())
					case socketmode.EventTypeEventsAPI:
						if evt.Request != nil {
							client.Ack(*evt.Request) // at once: Slack redelivers what is not acked in 3 s
						}
						select {
						case events <- evt:
						case <-ctx.Done():
						}
					case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
						if evt.Request != nil {
							client.Ack(*evt.Request)
						}
						handlers.Go(func() { dispatch(ctx, ws, h, evt) })
					case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage:
						logger.Warn("socket mode envelope not understood", "type", evt.Type)
					}
				}
			}
		}()
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var e *Error
		if errors.As(Classify(err), &e) && e.TokenRejected() {
			logger.Warn("slack rejected the app-level token; socket mode stops", "reason", e.Error())
			return e
		}
		wait := min(opts.Backoff<<min(failures, 20), opts.MaxBackoff)
		wait += time.Duration(rand.Int64N(int64(wait)/2 + 1))
		failures++
		logger.Warn("socket mode stopped; reconnecting", "reason", Classify(err).Error(), "wait", wait)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func connectionError(evt socketmode.Event) error {
	if e, ok := evt.Data.(*slackgo.ConnectionErrorEvent); ok {
		return e.ErrorObj
	}
	return errors.New("connection error")
}

// dispatch hands one acknowledged envelope to its handler method.
func dispatch(ctx context.Context, ws SocketWorkspace, h SocketHandler, evt socketmode.Event) {
	switch data := evt.Data.(type) {
	case slackevents.EventsAPIEvent:
		h.Event(ctx, ws, data)
	case slackgo.SlashCommand:
		h.Command(ctx, ws, data)
	case slackgo.InteractionCallback:
		h.Interaction(ctx, ws, data)
	}
}
