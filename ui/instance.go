package ui

import (
	"net/http"

	"lore/app/instance"
)

// showLLM returns the instance's model endpoint, its key masked.
func (h *handler) showLLM(w http.ResponseWriter, r *http.Request) {
	v, err := h.app.Instance.LLM(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// saveLLM replaces the instance's model endpoint: {base_url, model,
// api_key?, timeout_seconds?}; a missing api_key keeps the stored one, ""
// removes it, and an empty base_url turns the model off.
func (h *handler) saveLLM(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	var c instance.LLMChange
	if err := decodeJSON(r, &c); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.app.Instance.SetLLM(r.Context(), p.actor(), c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
