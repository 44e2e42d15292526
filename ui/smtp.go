package ui

import (
	"net/http"

	"lore/app/notify"
)

// showSMTP returns the SMTP settings in force and where they come from
// (environment, instance or none), the password masked.
func (h *handler) showSMTP(w http.ResponseWriter, r *http.Request) {
	v, err := h.app.Notify.Settings(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// saveSMTP stores the instance's SMTP settings; every wrong field is named
// in one 422, and then nothing is saved. While the environment sets a
// server, the answer's source says that one stays in force.
func (h *handler) saveSMTP(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	var in notify.Input
	if err := decodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.app.Notify.SaveSettings(r.Context(), p.actor(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
