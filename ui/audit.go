package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"lore/app/validation"
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

// auditFilter reads the audit log's filters from a query, the API's and the
// audit page's alike: action, actor ("user:12", "cli"), workspace_id, since
// and until (RFC 3339, or a date: since from its start, until through its
// end), before (an entry id: the entries older than it, for the next page)
// and limit (1-500, default 100). Every bad one is named in one
// validation error.
func auditFilter(orgID int64, q url.Values) (storage.AuditFilter, error) {
	f := storage.AuditFilter{OrgID: orgID, Action: strings.TrimSpace(q.Get("action")), Actor: strings.TrimSpace(q.Get("actor")),
		WorkspaceID: q.Get("workspace_id"), Limit: 100}
	fields := map[string]string{}
	var ok bool
	if f.Since, ok = auditBound(q.Get("since"), false); !ok {
		fields["since"] = badBound
	}
	if f.Until, ok = auditBound(q.Get("until"), true); !ok {
		fields["until"] = badBound
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) && fields["until"] == "" {
		fields["until"] = "must be after since"
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			fields["before"] = "must be an entry id (a positive integer)"
		}
		f.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditEntries {
			fields["limit"] = "must be 1-500"
		}
		f.Limit = n
	}
	if len(fields) > 0 {
		return storage.AuditFilter{}, &validation.Error{Code: "invalid_request", Message: "some filters are invalid", Fields: fields}
	}
	return f, nil
}

// auditBound reads since or until; "" is no bound (the zero time), and
// false says v is no time. A date is UTC midnight, and for until the
// midnight after it, so that until=2026-11-30 keeps that day.
func auditBound(v string, until bool) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, false
	}
	if until {
		t = t.AddDate(0, 0, 1)
	}
	return t, true
}

// badBound is what a since or until that is no time is told.
const badBound = "must be a date (2026-11-01) or an RFC 3339 time (2026-11-01T09:00:00Z)"

// listAudit shows the organization's audit log, newest first: who stored,
// read, verified, migrated, rotated or deleted a credential, or changed a
// setting or a member, and how it went. Entries never hold a secret.
// Query: see auditFilter.
func (h *handler) listAudit(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	f, err := auditFilter(m.OrgID, r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
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
