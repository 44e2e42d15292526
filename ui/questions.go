package ui

import (
	"net/http"
	"strconv"

	"lore/app/answers"
)

// feedbackRequest is the body of POST /api/questions/{question_id}/feedback.
type feedbackRequest struct {
	Helpful *bool `json:"helpful"`
}

// saveFeedback records whether an answer helped.
func (h *handler) saveFeedback(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	var req feedbackRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Helpful == nil {
		h.fail(w, r, invalidField("helpful", "is required: true or false"))
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("question_id"), 10, 64) // the guard parsed it
	if err := h.app.Answers.Feedback(r.Context(), m.OrgID, id, *req.Helpful); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"question_id": id, "helpful": *req.Helpful})
}

// listQuestions lists the organization's questions, newest first;
// ?answered=false lists what the team asks that Lore cannot answer yet.
func (h *handler) listQuestions(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	var answered *bool
	if v := r.URL.Query().Get("answered"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			h.fail(w, r, invalidField("answered", "must be true or false"))
			return
		}
		answered = &b
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			h.fail(w, r, invalidField("limit", "must be 1-500"))
			return
		}
		limit = n
	}
	qs, err := h.app.Answers.ListQuestions(r.Context(), m.OrgID, answered, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]answers.LoggedQuestion{"questions": qs})
}
