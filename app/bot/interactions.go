package bot

import (
	"context"
	"log/slog"

	slackgo "github.com/slack-go/slack"
)

// Interaction handles a click on an answer's buttons and returns the ack
// (always nothing: the outcome is posted). "Share in channel" posts, for
// everyone in the channel and attributed to the asker, exactly the answer
// the asker was shown, never a new one: through the command's response_url,
// or when that is spent, chat.postMessage (which needs the bot in the
// channel). 👍 and 👎 record feedback on the question. A click seen before
// is not handled again.
func (s *Service) Interaction(ctx context.Context, ws Conn, cb slackgo.InteractionCallback) *Reply {
	if cb.Type != slackgo.InteractionTypeBlockActions {
		return nil
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if act == nil || !s.firstTime("action:"+ws.WorkspaceID+":"+cb.TriggerID+":"+act.ActionID+":"+act.ActionTs) {
			continue
		}
		switch act.ActionID {
		case ActionShare:
			id := act.Value
			s.background("share", func(ctx context.Context) { s.shareAnswer(ctx, ws, cb, id) })
		case ActionHelpful, ActionUnhelpful:
			id, helpful := act.Value, act.ActionID == ActionHelpful
			s.background("feedback", func(ctx context.Context) { s.recordFeedback(ctx, ws, cb, id, helpful) })
		}
	}
	return nil
}

// shareAnswer posts the asker's answer in the channel and marks the
// asker's copy as shared.
func (s *Service) shareAnswer(ctx context.Context, ws Conn, cb slackgo.InteractionCallback, id string) {
	sh, ok := s.claim(id, ws.WorkspaceID, cb.User.ID)
	if !ok {
		s.tellClicker(ctx, cb, "This answer can no longer be shared (answers can be shared for 30 minutes, once, by who asked). Ask again to share a new one.")
		return
	}
	blocks := answerBlocks(sh.answer, view{asker: sh.asker, question: sh.question, scope: sh.scope})
	text := fallbackText(sh.answer)
	err := s.postResponse(ctx, sh.responseURL, Reply{ResponseType: slackgo.ResponseTypeInChannel, Text: text, Blocks: blocks})
	if err != nil {
		s.logger.Debug("sharing through the response URL failed; posting instead", "workspace_id", ws.WorkspaceID, slog.Any("error", err))
		err = s.post(ctx, ws, sh.channelID, "", text, blocks)
	}
	if err != nil {
		s.unclaim(id)
		s.logger.Warn("could not share an answer", "workspace_id", ws.WorkspaceID, "channel_id", sh.channelID, slog.Any("error", err))
		s.tellClicker(ctx, cb, "I couldn't share it: invite @"+s.botName+" to this channel, then press Share again.")
		return
	}
	mine := answerBlocks(sh.answer, view{asker: sh.asker, question: sh.question, scope: sh.scope, shareID: id, shared: true,
		note: "Shared in this channel."})
	if err := s.postResponse(ctx, cb.ResponseURL, Reply{ReplaceOriginal: true, Text: text, Blocks: mine}); err != nil {
		s.logger.Debug("could not mark the asker's answer as shared", slog.Any("error", err))
	}
}

// claim returns the share of id for sharing by user in workspace, and marks
// it shared so that a second click cannot post it twice.
func (s *Service) claim(id, workspaceID, user string) (*share, bool) {
	sh, ok := s.lookup(id)
	if !ok || sh.workspaceID != workspaceID || sh.asker != user {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh.shared {
		return nil, false
	}
	sh.shared = true
	return sh, true
}

// unclaim lets a share that could not be posted be tried again.
func (s *Service) unclaim(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh, ok := s.shares[id]; ok {
		sh.shared = false
	}
}

// recordFeedback records a 👍 or 👎 on the question of share id.
func (s *Service) recordFeedback(ctx context.Context, ws Conn, cb slackgo.InteractionCallback, id string, helpful bool) {
	sh, ok := s.lookup(id)
	if !ok || sh.workspaceID != ws.WorkspaceID || sh.asker != cb.User.ID {
		s.tellClicker(ctx, cb, "This answer is too old for feedback; thanks all the same.")
		return
	}
	if s.feedback != nil && sh.answer.QuestionID != 0 {
		if err := s.feedback.Feedback(ctx, sh.orgID, sh.answer.QuestionID, helpful); err != nil {
			s.logger.Error("could not record feedback", "workspace_id", ws.WorkspaceID, slog.Any("error", err))
			s.tellClicker(ctx, cb, answerFailed)
			return
		}
	}
	s.tellClicker(ctx, cb, "Thanks, noted.")
}

// tellClicker shows whoever clicked a short message only they see.
func (s *Service) tellClicker(ctx context.Context, cb slackgo.InteractionCallback, text string) {
	if err := s.postResponse(ctx, cb.ResponseURL, Reply{ResponseType: slackgo.ResponseTypeEphemeral, Text: text}); err != nil {
		s.logger.Debug("could not answer a click", slog.Any("error", err))
	}
}
