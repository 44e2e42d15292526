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
	writeJSON(w, http.StatusOK, a)
}
