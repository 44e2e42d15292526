package bot

import (
	"context"
	"log/slog"
	"regexp"
	"strings"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxThreadContext is how many of a thread's messages lend a mention their
// context.
const maxThreadContext = 20

// Event handles an Events API event. An @mention and a direct message to
// the bot are questions, answered in the background (a mention in its
// thread, or in a new thread under it; a direct message in that
// conversation, like /askall from no channel); direct messages are never
// handed on, so never indexed. Every other event goes to the live message
// path (Options.Live): the way of HTTP mode, whose events arrive only here.
// An event seen before (Slack's retry) is not handled again. It returns
// only after the handing on, and at once for questions.
func (s *Service) Event(ctx context.Context, ws Conn, ev slackevents.EventsAPIEvent) error {
	if s.question(ws, ev) || s.live == nil {
		return nil
	}
	s.live.Event(ctx, ws, ev)
	return nil
}

// question takes the events that are the bot's own (a mention, a direct
// message, the bot joining or leaving a channel) and tells whether the
// event was a question or a repeat, which goes no further. Over Socket
// Mode the connection's live capture has every event already, so the
// socket handler asks only this.
func (s *Service) question(ws Conn, ev slackevents.EventsAPIEvent) bool {
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
		if !s.firstTime("event:" + ws.WorkspaceID + ":" + cb.EventID) {
			return true
		}
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" || e.User == "" {
			return true // another bot's mention: no conversation between bots
		}
		s.background("mention", func(ctx context.Context) { s.answerMention(ctx, ws, e) })
		return true
	case *slackevents.MemberJoinedChannelEvent:
		s.forgetMembership(ws, e.Channel) // the bot may have been invited
	case *slackevents.MemberLeftChannelEvent:
		s.forgetMembership(ws, e.Channel)
	case *slackevents.MessageEvent:
		if e.ChannelType == "im" {
			if e.SubType == "" && e.BotID == "" && e.User != "" {
				s.background("dm", func(ctx context.Context) { s.answerDirect(ctx, ws, e) })
			}
			return true
		}
	}
	return false
}

// mentionPattern is a user mention as Slack writes it: <@U123> or <@U123|name>.
var mentionPattern = regexp.MustCompile(`<@[A-Z0-9]+(\|[^>]*)?>`)

// questionOf is a mention's or message's text without the mentions of the bot.
func questionOf(text string) string {
	return strings.TrimSpace(mentionPattern.ReplaceAllString(text, " "))
}

// answerMention answers a mention visibly in its thread, with the thread's
// earlier messages as the question's context; outside a thread, in a new
// thread under the mention. It looks where /askall does.
func (s *Service) answerMention(ctx context.Context, ws Conn, e *slackevents.AppMentionEvent) {
	thread := e.ThreadTimeStamp
	if thread == "" {
		thread = e.TimeStamp
	}
	question := questionOf(e.Text)
	if e.ThreadTimeStamp != "" && e.ThreadTimeStamp != e.TimeStamp {
		question = withContext(question, s.threadContext(ctx, ws, e.Channel, e.ThreadTimeStamp, e.TimeStamp))
	}
	s.answerVisibly(ctx, ws, e.Channel, thread, e.User, question, SourceMention)
}

// answerDirect answers a direct message in its conversation (in its thread
// if it is in one), from the public channels only: the conversation itself
// is never indexed.
func (s *Service) answerDirect(ctx context.Context, ws Conn, e *slackevents.MessageEvent) {
	s.answerVisibly(ctx, ws, e.Channel, e.ThreadTimeStamp, e.User, questionOf(e.Text), SourceDM)
}

// answerVisibly answers a mention or a direct message with a message in
// channel (and thread), after the same checks as a command.
func (s *Service) answerVisibly(ctx context.Context, ws Conn, channel, thread, user, question, source string) {
	text, blocks := "", []slackgo.Block(nil)
	enabled, err := s.commandsEnabled(ctx, ws.OrgID)
	switch {
	case err != nil:
		s.logger.Error("answering in slack failed", "workspace_id", ws.WorkspaceID, slog.Any("error", err))
		text = answerFailed
	case !enabled:
		text = CommandsOff
	case question == "":
		text = help("/ask")
	default:
		a, err := s.ask(ctx, Request{OrgID: ws.OrgID, Question: question, Scope: Workspace, WorkspaceID: ws.WorkspaceID,
			ChannelID: channel, Source: source, AskedBy: "slack:" + user})
		if err != nil {
			s.logger.Error("answering in slack failed", "workspace_id", ws.WorkspaceID, "channel_id", channel,
				"source", source, slog.Any("error", err))
			text = failureText(err)
			break
		}
		text, blocks = fallbackText(a), answerBlocks(a, view{scope: Workspace})
	}
	if err := s.post(ctx, ws, channel, thread, text, blocks); err != nil {
		s.logger.Warn("could not answer in slack", "workspace_id", ws.WorkspaceID, "channel_id", channel, slog.Any("error", err))
	}
}

// threadContext is the text of a thread's messages before the mention at
// ts, oldest first, without the bot's own; "" when Slack cannot say.
func (s *Service) threadContext(ctx context.Context, ws Conn, channel, thread, ts string) string {
	msgs, _, _, err := ws.API.GetConversationRepliesContext(ctx, &slackgo.GetConversationRepliesParameters{
		ChannelID: channel, Timestamp: thread, Limit: maxThreadContext})
	if err != nil {
		s.logger.Warn("could not read a thread for its context", "workspace_id", ws.WorkspaceID, "channel_id", channel, slog.Any("error", err))
		return ""
	}
	var parts []string
	for _, m := range msgs {
		if m.Timestamp == ts || m.BotID != "" || m.SubType != "" {
			continue
		}
		if t := questionOf(m.Text); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "\n")
}

// withContext adds a thread's context after the question, cut so that the
// whole fits MaxQuestionLength.
func withContext(question, context string) string {
	if context == "" {
		return question
	}
	room := MaxQuestionLength - len([]rune(question)) - 2
	if room <= 0 {
		return question
	}
	return strings.TrimSpace(question + "\n\n" + cut(context, room))
}
