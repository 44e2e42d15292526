package ui

import (
	"log/slog"
	"net/http"
)

type healthResponse struct {
	Status        string `json:"status"`
	SchemaVersion int64  `json:"schema_version"`
}

// health answers 200 when the database answers, for probes and the startup test.
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	v, err := h.app.Store.SchemaVersion(r.Context())
	if err != nil {
		h.logger.Error("health check failed", slog.Any("error", err))
		writeJSON(w, http.StatusServiceUnavailable, healthResponse{Status: "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, healthResponse{Status: "ok", SchemaVersion: v})
}
