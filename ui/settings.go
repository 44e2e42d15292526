package ui

import (
	"encoding/json"
	"net/http"
)

// showSettings returns all of the organization's settings.
func (h *handler) showSettings(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	s, err := h.app.Settings.Get(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// saveSettings changes the settings present in the body (a JSON object) and
// returns them all. Every wrong field is named in one 422, and then nothing
// is saved.
func (h *handler) saveSettings(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	var patch map[string]json.RawMessage
	if err := decodeJSON(r, &patch); err != nil {
		h.fail(w, r, err)
		return
	}
	if patch == nil {
		h.fail(w, r, &requestError{status: http.StatusBadRequest, code: "invalid_json", message: "the request body must be a JSON object"})
		return
	}
	s, err := h.app.Settings.Patch(r.Context(), m.OrgID, p.actor(), patch)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}
