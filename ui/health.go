package ui

import (
	"log/slog"
	"net/http"
)

type healthResponse struct {
	Status        string `json:"status"`
	SchemaVersion int64  `json:"schema_version"`
	// Warnings name what works only in part, such as secrets the configured
	// key cannot open; the status is "degraded" while there are any.
	Warnings []string `json:"warnings,omitempty"`
}

// health answers 200 when the database answers, for probes and the startup test.
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	v, err := h.app.Store.SchemaVersion(r.Context())
	if err != nil {
		h.logger.Error("health check failed", slog.Any("error", err))
		writeJSON(w, http.StatusServiceUnavailable, healthResponse{Status: "unavailable"})
		return
	}
	status := "ok"
	if len(h.app.Warnings) > 0 {
		status = "degraded"
	}
	writeJSON(w, http.StatusOK, healthResponse{Status: status, SchemaVersion: v, Warnings: h.app.Warnings})
}
