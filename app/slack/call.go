package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	slackgo "github.com/slack-go/slack"
)

// maxAnswer bounds one answer Call reads: a history page of 999 messages
// with their blocks is a few megabytes.
const maxAnswer = 64 << 20

// Call calls a Web API method with the bot token, paced and retried after
// a 429 as every call of the API is, and decodes Slack's answer into out.
// It is for answers Lore decodes into its own types: slack-go's decoding
// of messages refuses some block types Slack sends (rich_text_list inside
// an attachment's blocks), which would stop a backfill at that message.
// Its errors are those slack-go's calls return, so Classify sorts them.
func (a *API) Call(ctx context.Context, method string, params url.Values, out any) error {
	form := params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+method, strings.NewReader(form))
	if err != nil {
		return fmt.Errorf("slack: %s: %w", method, err)
	}
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(form)), nil }
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.doer.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return &slackgo.RateLimitedError{RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), a.doer.c.now())}
	case resp.StatusCode != http.StatusOK:
		return slackgo.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	var head struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return err
	}
	if !head.OK {
		return slackgo.SlackErrorResponse{Err: head.Error}
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(out); err != nil {
		return err
	}
	return nil
}
