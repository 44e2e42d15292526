package bot

import (
	"context"
	"log/slog"
	"strings"

	slackgo "github.com/slack-go/slack"
)

// Command handles a slash command (/ask, /askall) and returns the ack: the
// help for an empty command and the notice that commands are off come back
// at once; a question is acked with nothing (nil) and answered in the
// background, only to the asker, through the command's response_url. A
// command seen before (a retry) is acked with nothing and not answered again.
func (s *Service) Command(ctx context.Context, ws Conn, cmd slackgo.SlashCommand) *Reply {
	if cmd.TriggerID != "" && !s.firstTime("command:"+ws.WorkspaceID+":"+cmd.TriggerID) {
		return nil
	}
	var scope Scope
	var source string
	switch cmd.Command {
	case "/ask":
		scope, source = Channel, SourceAsk
	case "/askall":
		scope, source = Workspace, SourceAskAll
	default:
		return textReply("Lore answers /ask and /askall; " + cmd.Command + " is not one of its commands.")
	}
	enabled, err := s.commandsEnabled(ctx, ws.OrgID)
	if err != nil {
		s.logger.Error("slack command failed", "workspace_id", ws.WorkspaceID, slog.Any("error", err))
		return textReply(answerFailed)
	}
	if !enabled {
		return textReply(CommandsOff)
	}
	question := strings.TrimSpace(cmd.Text)
	if question == "" || strings.EqualFold(question, "help") {
		return textReply(help(cmd.Command))
	}
	s.background(cmd.Command, func(ctx context.Context) {
		s.answerCommand(ctx, ws, cmd, scope, source, question)
	})
	return nil
}

// answerCommand answers a command's question to the asker alone, with a
// Share button that posts the same answer in the channel.
func (s *Service) answerCommand(ctx context.Context, ws Conn, cmd slackgo.SlashCommand, scope Scope, source, question string) {
	var note string
	if s.isMember(ctx, ws, cmd.ChannelID) == notMember {
		note = "I'm not in #" + cmd.ChannelName + ", so I answered from what I have: invite @" + s.botName +
			" to #" + cmd.ChannelName + " so I can learn its history."
	}
	a, err := s.ask(ctx, Request{OrgID: ws.OrgID, Question: question, Scope: scope, WorkspaceID: ws.WorkspaceID,
		ChannelID: cmd.ChannelID, Source: source, AskedBy: "slack:" + cmd.UserID})
	if err != nil {
		s.logger.Error("answering a slack command failed", "workspace_id", ws.WorkspaceID, "channel_id", cmd.ChannelID,
			"command", cmd.Command, slog.Any("error", err))
		s.tellAsker(ctx, ws, cmd.ResponseURL, cmd.ChannelID, cmd.UserID, failureText(err), nil)
		return
	}
	id := s.remember(&share{orgID: ws.OrgID, workspaceID: ws.WorkspaceID, channelID: cmd.ChannelID, asker: cmd.UserID,
		question: question, responseURL: cmd.ResponseURL, answer: a, scope: scope})
	blocks := answerBlocks(a, view{asker: cmd.UserID, question: question, scope: scope, note: note, shareID: id})
	s.tellAsker(ctx, ws, cmd.ResponseURL, cmd.ChannelID, cmd.UserID, fallbackText(a), blocks)
}
