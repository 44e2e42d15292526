package ui

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"lore/app/keys"
)

type healthResponse struct {
	Status        string `json:"status"`
	SchemaVersion int64  `json:"schema_version"`
	// Message says where to look when the status is "degraded": the
	// problems themselves (which key, which file) stay in the server log,
	// since this endpoint answers anyone.
	Message string `json:"message,omitempty"`
	// Details are facts for an operator that are not faults, kept minimal
	// for the same reason: key_rotation_due once the active key is older
	// than the rotation advice (90 days); wal_bytes and wal_max_bytes, the
	// write-ahead log's size now and the largest since the start.
	Details map[string]any `json:"details,omitempty"`
}

// health answers 200 when the database answers, for probes and the startup test.
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	v, err := h.app.Store.SchemaVersion(r.Context())
	if err != nil {
		h.logger.Error("health check failed", slog.Any("error", err))
		writeJSON(w, http.StatusServiceUnavailable, healthResponse{Status: "unavailable"})
		return
	}
	wal := h.app.Store.WAL()
	resp := healthResponse{Status: "ok", SchemaVersion: v,
		Details: map[string]any{"wal_bytes": wal.Bytes, "wal_max_bytes": wal.MaxBytes}}
	if n := len(h.app.Warnings); n > 0 {
		resp.Status = "degraded"
		resp.Message = fmt.Sprintf("Lore runs with %d problem(s) found at startup; the server log names them", n)
	}
	if due, err := keys.RotationDue(r.Context(), h.app.Store, time.Now()); err != nil {
		h.logger.Warn("health check: key age", slog.Any("error", err))
	} else if due {
		resp.Details["key_rotation_due"] = true
	}
	writeJSON(w, http.StatusOK, resp)
}
