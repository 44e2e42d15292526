package bot

import (
	"fmt"
	"strings"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"
)

// The action ids of the answer's buttons; their value is the share id.
const (
	ActionShare     = "lore_share"
	ActionHelpful   = "lore_helpful"
	ActionUnhelpful = "lore_unhelpful"
)

// Limits of what an answer shows, within Block Kit's (3000 characters a
// section, 50 blocks a message).
const (
	maxSources     = 5
	maxAnswerChars = 2800
	maxExcerpt     = 280
)

// view is how an answer is shown: to whom, for what scope, with which note
// and buttons.
type view struct {
	asker    string // Slack user id of who asked
	question string
	scope    Scope
	note     string // e.g. the invitation to add the bot to the channel
	shareID  string // "": no buttons
	shared   bool   // the asker's copy after sharing: no Share button
}

// scopeLabel says where a question looked.
func scopeLabel(sc Scope) string {
	switch sc {
	case Channel:
		return "this channel"
	case Workspace:
		return "the public channels and this conversation"
	}
	return "the public channels"
}

// answerBlocks renders an answer: who asked what, the answer (or that there
// is no confident one), its confidence and scope, the sources as permalinks
// with channel, author and date, a note, and the buttons.
func answerBlocks(a Answer, v view) []slackgo.Block {
	var blocks []slackgo.Block
	if v.asker != "" {
		blocks = append(blocks, contextBlock(fmt.Sprintf("<@%s> asked: %s", v.asker, escape(cut(v.question, 300)))))
	}
	text := escape(a.Text)
	if !a.Answered || strings.TrimSpace(a.Text) == "" {
		text = "I couldn't find a confident answer in " + scopeLabel(v.scope) + "."
		if len(a.Sources) > 0 {
			text += " These are the nearest messages:"
		}
	}
	blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(cut(text, maxAnswerChars)), nil, nil))
	blocks = append(blocks, contextBlock(fmt.Sprintf("Confidence: %d%% · searched %s", a.Confidence, scopeLabel(v.scope))))
	for i, src := range a.Sources {
		if i == maxSources {
			break
		}
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(sourceLine(src)), nil, nil))
	}
	if v.note != "" {
		blocks = append(blocks, contextBlock(v.note))
	}
	if v.shareID != "" {
		var buttons []slackgo.BlockElement
		if !v.shared {
			share := slackgo.NewButtonBlockElement(ActionShare, v.shareID, plain("Share in channel"))
			share.Style = slackgo.StylePrimary
			buttons = append(buttons, share)
		}
		buttons = append(buttons,
			slackgo.NewButtonBlockElement(ActionHelpful, v.shareID, plain("👍 Helpful")),
			slackgo.NewButtonBlockElement(ActionUnhelpful, v.shareID, plain("👎 Not helpful")))
		blocks = append(blocks, slackgo.NewActionBlock("lore_answer", buttons...))
	}
	return blocks
}

// fallbackText is the message's text for notifications and clients without
// blocks.
func fallbackText(a Answer) string {
	if !a.Answered || a.Text == "" {
		return "I couldn't find a confident answer."
	}
	return cut(a.Text, 300)
}

// sourceLine is one source: the channel linked to the message, the author,
// the date, and an excerpt.
func sourceLine(src Source) string {
	where := "#" + escape(src.ChannelName)
	if src.ChannelName == "" {
		where = "<#" + src.ChannelID + ">"
	}
	if src.Permalink != "" && !strings.ContainsAny(src.Permalink, "<>| ") {
		where = "<" + src.Permalink + "|" + where + ">"
	}
	line := "*" + where + "*"
	if src.UserName != "" {
		line += " · " + escape(src.UserName)
	}
	if !src.PostedAt.IsZero() {
		line += " · " + src.PostedAt.UTC().Format("Jan 2, 2006")
	}
	if ex := strings.Join(strings.Fields(src.Text), " "); ex != "" {
		line += "\n>" + escape(cut(ex, maxExcerpt))
	}
	return line
}

// escape makes text safe in mrkdwn: Slack reads &, < and > as markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// cut shortens s to at most n characters, with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func mrkdwn(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, false)
}

func plain(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, s, true, false)
}

func contextBlock(s string) *slackgo.ContextBlock {
	return slackgo.NewContextBlock("", mrkdwn(s))
}

// textReply is a plain message only the asker sees.
func textReply(text string) *Reply {
	return &Reply{ResponseType: slackgo.ResponseTypeEphemeral, Text: text}
}
