package bot

import (
	"context"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// SocketHandler is the Service as the Socket Mode runtime calls it: the
// runtime acknowledges every envelope itself before handing it on, so a
// reply the ack would have carried (the help, "commands are off") is posted
// through the command's response_url instead. Its methods are those of the
// runtime's slack.SocketHandler.
type SocketHandler struct{ s *Service }

// SocketHandler returns the Service's handler of Socket Mode envelopes.
func (s *Service) SocketHandler() SocketHandler { return SocketHandler{s: s} }

// Command handles a slash command that came over the socket.
func (h SocketHandler) Command(ctx context.Context, ws Conn, cmd slackgo.SlashCommand) {
	if reply := h.s.Command(ctx, ws, cmd); reply != nil {
		if err := h.s.postResponse(ctx, cmd.ResponseURL, *reply); err != nil {
			h.s.logger.Warn("could not answer a slack command", "workspace_id", ws.WorkspaceID, "error", err.Error())
		}
	}
}

// Event takes the bot's own events of an Events API envelope that came over
// the socket (mentions, direct messages, the bot's joins); the connection's
// live capture stores the rest.
func (h SocketHandler) Event(_ context.Context, ws Conn, ev slackevents.EventsAPIEvent) {
	h.s.question(ws, ev)
}

// Interaction handles a click that came over the socket.
func (h SocketHandler) Interaction(ctx context.Context, ws Conn, cb slackgo.InteractionCallback) {
	if reply := h.s.Interaction(ctx, ws, cb); reply != nil {
		if err := h.s.postResponse(ctx, cb.ResponseURL, *reply); err != nil {
			h.s.logger.Warn("could not answer a slack click", "workspace_id", ws.WorkspaceID, "error", err.Error())
		}
	}
}
