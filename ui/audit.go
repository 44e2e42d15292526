package ui

import (
	"net/http"
	"strconv"
	"time"

	"lore/storage"
)

type auditJSON struct {
	ID          int64          `json:"id"`
	WorkspaceID string         `json:"workspace_id,omitempty"`
	Actor       string         `json:"actor"`
	Action      string         `json:"action"`
	Outcome     string         `json:"outcome"`
	Detail      map[string]any `json:"detail"`
	CreatedAt   time.Time      `json:"created_at"`
}

// maxAuditEntries bounds one page of the audit log.
const maxAuditEntries = 500

// listAudit shows the organization's audit log, newest first: who stored,
// read, verified, migrated, rotated or deleted a credential, or changed a
// setting or a member, and how it went. Entries never hold a secret.
// Query: action, workspace_id, limit (1-500, default 100).
func (h *handler) listAudit(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	q := r.URL.Query()
	f := storage.AuditFilter{OrgID: m.OrgID, Action: q.Get("action"), WorkspaceID: q.Get("workspace_id"), Limit: 100}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditEntries {
			h.fail(w, r, invalidField("limit", "must be 1-500"))
			return
		}
		f.Limit = n
	}
	list, err := h.app.Audit.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]auditJSON, 0, len(list))
	for _, e := range list {
		out = append(out, auditJSON{ID: e.ID, WorkspaceID: e.WorkspaceID, Actor: e.Actor, Action: e.Action,
			Outcome: e.Outcome, Detail: e.Detail, CreatedAt: e.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}
