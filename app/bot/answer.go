package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"lore/app/validation"
	"lore/storage"
)

// Texts the bot answers with.
const (
	CommandsOff  = "Lore's commands are turned off for this workspace."
	answerFailed = "Sorry, I could not answer that just now. Please try again in a moment."
)

// help is the short help an empty command answers.
func help(command string) string {
	return "*" + command + " QUESTION* asks Lore about your team's Slack history.\n" +
		"• `/ask` looks in this channel only (also a private one).\n" +
		"• `/askall` looks in every public channel and this one.\n" +
		"• Mention @lore in a thread to ask about that thread, or send it a direct message.\n" +
		"Example: `" + command + " how do we deploy the website?`"
}

// ask asks the Answerer and checks the answer against the request's scope:
// a source outside it (another channel for /ask, another private channel
// for the rest, another workspace, a document) would show what the asker may
// not see, so then the text, which may quote it, is not shown either and
// only the sources within the scope are.
func (s *Service) ask(ctx context.Context, r Request) (Answer, error) {
	if n := utf8.RuneCountInString(r.Question); n > MaxQuestionLength {
		r.Question = string([]rune(r.Question)[:MaxQuestionLength])
	}
	a, err := s.answerer.Ask(ctx, r)
	if err != nil {
		return Answer{}, err
	}
	kept := a.Sources[:0:0]
	dropped := 0
	for _, src := range a.Sources {
		ok, err := s.inScope(ctx, r, src)
		if err != nil {
			return Answer{}, err
		}
		if ok {
			kept = append(kept, src)
		} else {
			dropped++
		}
	}
	if dropped > 0 {
		s.logger.Error("the answers service returned sources outside the question's scope; they are not shown",
			"workspace_id", r.WorkspaceID, "channel_id", r.ChannelID, "source", r.Source, "dropped", dropped)
		a.Answered, a.Text = false, ""
	}
	a.Sources = kept
	return a, nil
}

// inScope tells whether a source may be shown for r.
func (s *Service) inScope(ctx context.Context, r Request, src Source) (bool, error) {
	if (src.Kind != "" && src.Kind != KindMessage) || src.WorkspaceID != r.WorkspaceID {
		return false, nil
	}
	if src.ChannelID == r.ChannelID {
		return true, nil
	}
	if r.Scope == Channel {
		return false, nil
	}
	ch, err := s.store.Channel(ctx, src.WorkspaceID, src.ChannelID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("bot: scope check: %w", err)
	}
	return !ch.Private, nil
}

// failureText is what the asker reads when asking failed.
func failureText(err error) string {
	var ve *validation.Error
	if errors.As(err, &ve) {
		for _, problem := range ve.Fields {
			return "I could not take that question: it " + problem + "."
		}
	}
	return answerFailed
}

// membership is whether the bot is in a channel, as far as Slack says.
type membership int

const (
	memberUnknown membership = iota
	member
	notMember
)

// membershipTTL is how long Slack's answer about the bot's membership of a
// channel is reused: conversations.info allows about 50 calls a minute per
// workspace, and a burst of commands must not wait for it.
const membershipTTL = 10 * time.Minute

type knownMembership struct {
	m  membership
	at time.Time
}

// forgetMembership drops what Slack said of the bot's membership of channel:
// someone joined or left it, perhaps the bot.
func (s *Service) forgetMembership(ws Conn, channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.members, ws.WorkspaceID+":"+channel)
}

// isMember asks Slack whether the bot is in channel, at most once per
// membershipTTL; a channel Slack does not show the bot (a private one it was
// never invited to) is not joined.
func (s *Service) isMember(ctx context.Context, ws Conn, channel string) membership {
	if strings.HasPrefix(channel, "D") {
		return member
	}
	key := ws.WorkspaceID + ":" + channel
	s.mu.Lock()
	known, ok := s.members[key]
	s.mu.Unlock()
	if ok && s.now().Sub(known.at) < membershipTTL {
		return known.m
	}
	info, err := ws.API.GetConversationInfoContext(ctx, &slackgo.GetConversationInfoInput{ChannelID: channel})
	var se slackgo.SlackErrorResponse
	m := memberUnknown
	switch {
	case err == nil && info.IsMember:
		m = member
	case err == nil, errors.As(err, &se) && (se.Err == "channel_not_found" || se.Err == "not_in_channel"):
		m = notMember
	default:
		s.logger.Debug("could not tell whether the bot is in a channel", "workspace_id", ws.WorkspaceID, "channel_id", channel, "error", err)
		return memberUnknown
	}
	s.mu.Lock()
	if len(s.members) >= maxShares {
		clear(s.members)
	}
	s.members[key] = knownMembership{m: m, at: s.now()}
	s.mu.Unlock()
	return m
}
