package answers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"lore/app/instance"
	"lore/app/settings"
)

// Models tells which model endpoint to ask, if any: instance.Service.
type Models interface {
	Model(ctx context.Context) (instance.LLM, bool, error)
}

// maxModelReply bounds the model's reply read, in bytes.
const maxModelReply = 1 << 20

// lengthWords is how long the model is asked to answer, per ai_response_length.
var lengthWords = map[string]string{
	"concise":  "Answer in one or two sentences.",
	"balanced": "Answer in a short paragraph.",
	"detailed": "Answer thoroughly, in a few paragraphs if needed, with the context around the answer.",
}

// toneWords is the register the model is asked for, per ai_tone.
var toneWords = map[string]string{
	"professional": "Write in a clear, professional tone.",
	"casual":       "Write in a friendly, casual tone.",
	"technical":    "Write in a precise, technical tone; keep commands, names and numbers exact.",
}

// chatRequest and chatResponse are the parts of OpenAI's chat completions
// API that Lore uses; Ollama, llama.cpp and hosted services speak it.
type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	Temperature float64       `json:"temperature"`
	Stream      bool          `json:"stream"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatResponse struct {
	Choices []struct {
		Message chatMessage `json:"message"`
	} `json:"choices"`
}

// prompt builds the messages: the system prompt carries the rules, the tone,
// the length and the organization's custom prompt; the user message the
// question and the numbered sources, nothing from outside the question's scope.
func prompt(question string, srcs []Source, set settings.Settings) []chatMessage {
	var sys strings.Builder
	sys.WriteString("You answer questions for a team from its own Slack history and documents. " +
		"Use only the numbered sources given; if they do not answer the question, say so. " +
		"Cite the sources you use as [1], [2] right after the sentence they support. Never cite a number that is not given. ")
	sys.WriteString(toneWords[set.String("ai_tone")] + " " + lengthWords[set.String("ai_response_length")])
	if custom := strings.TrimSpace(set.String("custom_system_prompt")); custom != "" {
		sys.WriteString("\n\nThe team's own instructions:\n" + custom)
	}
	var user strings.Builder
	user.WriteString("Question: " + question + "\n\nSources:\n")
	for i, s := range srcs {
		if s.Kind == KindDocument {
			fmt.Fprintf(&user, "[%d] document %q, part %d:\n%s\n\n", i+1, s.Title, s.Position+1, s.Text)
			continue
		}
		fmt.Fprintf(&user, "[%d] %s in #%s, %s:\n%s\n\n", i+1, s.UserName, s.ChannelName, s.PostedAt.Format("2 Jan 2006"), s.Text)
	}
	return []chatMessage{{Role: "system", Content: sys.String()}, {Role: "user", Content: user.String()}}
}

// chatURL is the completions endpoint under a base URL given with or
// without its /v1.
func chatURL(base string) string {
	base = strings.TrimRight(base, "/")
	if strings.HasSuffix(base, "/v1") {
		return base + "/chat/completions"
	}
	return base + "/v1/chat/completions"
}

// askModel asks the model to answer from the sources, within the
// endpoint's timeout, and returns its text with invented citations removed.
func (s *Service) askModel(ctx context.Context, m instance.LLM, question string, srcs []Source, set settings.Settings) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()
	body, err := json.Marshal(chatRequest{Model: m.Model, Messages: prompt(question, srcs, set), Temperature: 0.2})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, chatURL(m.BaseURL), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if m.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+m.APIKey)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("no reply within %s", m.Timeout)
		}
		// the URL is in the error, the key is not (it travels in a header)
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the endpoint answered HTTP %d", resp.StatusCode)
	}
	var cr chatResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxModelReply)).Decode(&cr); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("no reply within %s", m.Timeout)
		}
		return "", fmt.Errorf("the reply is not a chat completion: %w", err)
	}
	if len(cr.Choices) == 0 {
		return "", errors.New("the reply has no choices")
	}
	text := strings.TrimSpace(keepCitations(cr.Choices[0].Message.Content, len(srcs)))
	if text == "" {
		return "", errors.New("the reply is empty")
	}
	return text, nil
}

// citation is a citation mark, "[3]", with the space before it.
var citation = regexp.MustCompile(`\s?\[(\d+)\]`)

// keepCitations removes the citations that name no source (a model may
// invent [7] with five sources).
func keepCitations(text string, n int) string {
	return citation.ReplaceAllStringFunc(text, func(c string) string {
		i, err := strconv.Atoi(strings.Trim(strings.TrimSpace(c), "[]"))
		if err != nil || i < 1 || i > n {
			return ""
		}
		return c
	})
}

// withSources appends the numbered sources the model's citations refer to.
func withSources(text string, srcs []Source) string {
	var b strings.Builder
	b.WriteString(text + "\n\nSources:")
	for i, s := range srcs {
		if s.Kind == KindDocument {
			fmt.Fprintf(&b, "\n[%d] %s, part %d", i+1, s.Title, s.Position+1)
			continue
		}
		fmt.Fprintf(&b, "\n[%d] %s in #%s, %s: %s", i+1, s.UserName, s.ChannelName, s.PostedAt.Format("2 Jan 2006"), s.Permalink)
	}
	return b.String()
}
