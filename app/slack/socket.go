package slack

import (
	"context"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
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
// interaction's response_url. Each call runs in a goroutine of its own,
// with a context that ends when the connection is stopped for good; a
// handler logs its own failures (there is no one to return them to).
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
