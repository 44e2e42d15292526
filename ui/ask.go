package ui

import (
	"net/http"
	"time"

	"lore/app/answers"
)

// askRequest is the body of POST /api/organizations/{org_id}/ask.
type askRequest struct {
	Question    string `json:"question"`
	WorkspaceID string `json:"workspace_id"`
	ChannelID   string `json:"channel_id"`
	Since       string `json:"since"` // RFC 3339, or a date (2026-11-01, UTC midnight)
	Until       string `json:"until"`
}

// parseBound reads since or until; "" is no bound.
func parseBound(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, invalidField(field, "must be a date (2026-11-01) or an RFC 3339 time (2026-11-01T09:00:00Z)")
}

// askResponse is an answer as the API returns it.
type askResponse struct {
	QuestionID int64         `json:"question_id"`
	Answered   bool          `json:"answered"`
	Answer     string        `json:"answer"`
	Confidence int           `json:"confidence"`
	Sources    []askedSource `json:"sources"`
}

type askedSource struct {
	Kind        string    `json:"kind"`
	WorkspaceID string    `json:"workspace_id,omitempty"`
	ChannelID   string    `json:"channel_id,omitempty"`
	ChannelName string    `json:"channel_name,omitempty"`
	TS          string    `json:"ts,omitempty"`
	ThreadTS    string    `json:"thread_ts,omitempty"`
	UserName    string    `json:"user_name,omitempty"`
	PostedAt    time.Time `json:"posted_at"`
	Text        string    `json:"text"`
	Permalink   string    `json:"permalink,omitempty"`
	DocumentID  int64     `json:"document_id,omitempty"`
	Title       string    `json:"title,omitempty"`
	Score       float64   `json:"score"`
}

// ask answers a question from the organization's public channels and
// documents, optionally within one workspace, one channel or a time range.
func (h *handler) ask(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	var req askRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ar := answers.Request{OrgID: m.OrgID, Question: req.Question, Scope: answers.Web, WorkspaceID: req.WorkspaceID,
		ChannelID: req.ChannelID, Source: answers.SourceWeb, AskedBy: p.actor()}
	var err error
	if ar.Since, err = parseBound("since", req.Since); err != nil {
		h.fail(w, r, err)
		return
	}
	if ar.Until, err = parseBound("until", req.Until); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.app.Answers.Ask(r.Context(), ar)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp := askResponse{QuestionID: a.QuestionID, Answered: a.Answered, Answer: a.Text, Confidence: a.Confidence,
		Sources: make([]askedSource, 0, len(a.Sources))}
	for _, s := range a.Sources {
		resp.Sources = append(resp.Sources, askedSource{Kind: s.Kind, WorkspaceID: s.WorkspaceID, ChannelID: s.ChannelID,
			ChannelName: s.ChannelName, TS: s.TS, ThreadTS: s.ThreadTS, UserName: s.UserName, PostedAt: s.PostedAt,
			Text: s.Text, Permalink: s.Permalink, DocumentID: s.DocumentID, Title: s.Title, Score: s.Score})
	}
	writeJSON(w, http.StatusOK, resp)
}
