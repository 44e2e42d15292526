package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	slackgo "github.com/slack-go/slack"
)

// Reply is a message for Slack: what a transport acks with at once (the
// body of the HTTP answer, or a Socket Mode ack's payload; nil acks with
// nothing), and what is posted to a response URL.
type Reply struct {
	ResponseType    string          `json:"response_type,omitempty"` // ephemeral or in_channel
	ReplaceOriginal bool            `json:"replace_original"`
	Text            string          `json:"text"`
	Blocks          []slackgo.Block `json:"blocks,omitempty"`
}

// postResponse posts msg to a response URL of a command or a click. Slack
// answers 404 once the URL is used up (five posts) or expired (30 minutes).
func (s *Service) postResponse(ctx context.Context, responseURL string, msg Reply) error {
	if !s.allowedResponseURL(responseURL) {
		return fmt.Errorf("bot: response URL %q is not Slack's", responseURL)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("bot: response: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("bot: response: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("bot: response URL: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bot: response URL answered %d %q", resp.StatusCode, answer)
	}
	return nil
}

// tellAsker shows the asker a message only they see: through the response
// URL, or when that fails, chat.postEphemeral (which needs the bot in the
// channel).
func (s *Service) tellAsker(ctx context.Context, ws Conn, responseURL, channel, user, text string, blocks []slackgo.Block) {
	err := s.postResponse(ctx, responseURL, Reply{ResponseType: slackgo.ResponseTypeEphemeral, Text: text, Blocks: blocks})
	if err == nil {
		return
	}
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slackgo.MsgOptionBlocks(blocks...))
	}
	if _, err2 := ws.API.PostEphemeralContext(ctx, channel, user, opts...); err2 != nil {
		s.logger.Warn("could not show an answer in Slack", "workspace_id", ws.WorkspaceID, "channel_id", channel,
			"response_url_error", err.Error(), "error", err2.Error())
	}
}

// post posts a visible message in a channel or thread through the Web API.
func (s *Service) post(ctx context.Context, ws Conn, channel, threadTS, text string, blocks []slackgo.Block) error {
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slackgo.MsgOptionBlocks(blocks...))
	}
	if threadTS != "" {
		opts = append(opts, slackgo.MsgOptionTS(threadTS))
	}
	if _, _, err := ws.API.PostMessageContext(ctx, channel, opts...); err != nil {
		return fmt.Errorf("bot: chat.postMessage in %s: %w", channel, err)
	}
	return nil
}
