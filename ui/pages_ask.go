package ui

import (
	"context"
	"net/http"
	"time"
)

// askRequest and askAnswer mirror the agreed shape of answers.Request and
// answers.Answer (issue 10), so that wiring answers.Service in is a
// one-line adapter. The Ask page only ever asks with the Web scope.
type askRequest struct {
	OrgID       int64
	Question    string
	WorkspaceID string
	ChannelID   string
	Source      string // "web"
	AskedBy     string
	Since       time.Time
	Until       time.Time
}

type askAnswer struct {
	QuestionID int64
	Answered   bool // false: below the organization's confidence threshold
	Text       string
	Confidence int
	Sources    []askSource
}

type askSource struct {
	Title     string // "#general · 2026-11-03"
	Text      string
	Permalink string // the Slack message
}

// asker is the seam of answers.Service.Ask (issue 10): the Ask page asks
// through it; nil until that service is wired into app.App, and the page
// then says so instead of pretending.
type asker interface {
	Ask(ctx context.Context, req askRequest) (askAnswer, error)
}

// documentLister is the seam of the documents service (issue 13): nil
// until it is wired into app.App, and the Documents page then says so.
type documentLister interface {
	ListDocuments(ctx context.Context, orgID int64) ([]documentRow, error)
}

// documentRow is one document on the Documents page.
type documentRow struct {
	ID       int64
	Name     string
	Chunks   int
	Uploaded time.Time
}

// askPage is the Q&A page.
type askPage struct {
	layout
	Available  bool // an answers service is wired in
	Disabled   bool // web_qa_enabled is off
	Question   string
	Workspace  string
	Channel    string
	Since      string
	Until      string
	Workspaces []workspaceRow
	Answer     *askAnswer
	Errors     map[string]string
}

// showAskPage is the Ask page: the form with its filters and, with a
// question, the answer, its confidence and sources. Refused with a page
// when the organization turned web_qa_enabled off.
func (h *handler) showAskPage(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	s, err := h.app.Settings.Get(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !s.WebQAEnabled {
		h.answer(w, r, problem(http.StatusForbidden, "web_qa_disabled",
			"Asking in the browser is turned off for this organization (setting web_qa_enabled); ask in Slack with /ask, or ask an admin to turn it on."))
		return
	}
	q := r.URL.Query()
	pg := &askPage{layout: layout{Title: "Ask"}, Available: h.asker != nil, Question: q.Get("q"),
		Workspace: q.Get("workspace"), Channel: q.Get("channel"), Since: q.Get("since"), Until: q.Get("until"),
		Errors: map[string]string{}}
	list, err := h.app.Accounts.ListWorkspaces(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, ws := range list {
		pg.Workspaces = append(pg.Workspaces, workspaceRow{Workspace: ws})
	}
	if pg.Question == "" || h.asker == nil {
		h.render(w, r, http.StatusOK, "ask", pg)
		return
	}
	req := askRequest{OrgID: m.OrgID, Question: pg.Question, WorkspaceID: pg.Workspace, ChannelID: pg.Channel,
		Source: "web", AskedBy: p.actor()}
	req.Since = parseDay(pg.Errors, "since", pg.Since)
	req.Until = parseDay(pg.Errors, "until", pg.Until)
	if !req.Until.IsZero() {
		req.Until = req.Until.Add(24*time.Hour - time.Nanosecond) // the whole day
	}
	if len(pg.Errors) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "ask", pg)
		return
	}
	a, err := h.asker.Ask(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg.Answer = &a
	h.render(w, r, http.StatusOK, "ask", pg)
}

// parseDay reads a yyyy-mm-dd date field; "" is no bound.
func parseDay(errs map[string]string, name, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		errs[name] = "must be a date like 2026-11-27"
	}
	return t
}

// documentsPage lists the organization's documents.
type documentsPage struct {
	layout
	Available bool
	Documents []documentRow
}

// showDocumentsPage lists the documents, or says the documents service is
// not part of this build yet.
func (h *handler) showDocumentsPage(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	pg := &documentsPage{layout: layout{Title: "Documents"}, Available: h.documents != nil}
	if h.documents != nil {
		list, err := h.documents.ListDocuments(r.Context(), m.OrgID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		pg.Documents = list
	}
	h.render(w, r, http.StatusOK, "documents", pg)
}
