package ui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"lore/app/answers"
	"lore/storage"
)

// pageQuestion and askAnswer are what the Ask page asks and shows: the Web
// scope's share of answers.Request, and an answers.Answer with each source
// titled for people ("#deploys · Maya Chen · 2026-11-03").
type pageQuestion struct {
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

// asker is how the Ask page asks: answersAsker over app.App's answers
// service in the product, a stand-in in some page tests.
type asker interface {
	Ask(ctx context.Context, req pageQuestion) (askAnswer, error)
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
	if !s.Bool("web_qa_enabled") {
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
	req := pageQuestion{OrgID: m.OrgID, Question: pg.Question, WorkspaceID: pg.Workspace, ChannelID: pg.Channel,
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

// submitFeedback records the 👍 or 👎 of the Ask page's answer (the same
// Feedback as the API) and goes back to the Ask page, empty: going back to
// the answer's URL would ask (and log) the question a second time.
func (h *handler) submitFeedback(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	back := fmt.Sprintf("/organizations/%d/ask", m.OrgID)
	var helpful bool
	switch r.PostForm.Get("helpful") {
	case "true":
		helpful = true
	case "false":
	default:
		h.redirect(w, r, back, flash{"error", "Choose 👍 or 👎; nothing was recorded."})
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("question_id"), 10, 64) // the guard parsed it
	if err := h.app.Answers.Feedback(r.Context(), m.OrgID, id, helpful); err != nil {
		h.fail(w, r, err)
		return
	}
	msg := "Thanks: Lore noted that this answer did not help."
	if helpful {
		msg = "Thanks: Lore noted that this answer helped."
	}
	h.redirect(w, r, back, flash{"ok", msg})
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

// documentsPage lists the organization's documents, with the upload form
// for admins.
type documentsPage struct {
	layout
	Documents []storage.Document
	// Refused says why the last upload was not taken (type, size, uploads
	// disabled); the form shows it.
	Refused string
	// MaxBytes is the largest body an upload may have.
	MaxBytes int64
}

// MaxLabel is MaxBytes for people: "20 MiB".
func (p *documentsPage) MaxLabel() string { return sizeLabel(p.MaxBytes) }

// sizeLabel is a limit in bytes for people: "20 MiB", or "512 bytes".
func sizeLabel(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// showDocumentsPage lists the organization's documents.
func (h *handler) showDocumentsPage(w http.ResponseWriter, r *http.Request) {
	h.renderDocuments(w, r, http.StatusOK, "")
}

// renderDocuments shows the Documents page, with a refused upload's reason.
func (h *handler) renderDocuments(w http.ResponseWriter, r *http.Request, status int, refused string) {
	_, m := caller(r)
	list, err := h.app.Documents.List(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, "documents", &documentsPage{layout: layout{Title: "Documents"}, Documents: list, Refused: refused,
		MaxBytes: h.app.Config.DocumentLimit()})
}

// submitDocumentUpload receives a document through the same step as the
// API and goes to its extraction job's page; content the organization
// already has goes to that document. A refused file (its type, its size,
// uploads turned off, a malformed or stalled upload) is the form again,
// saying why.
func (h *handler) submitDocumentUpload(w http.ResponseWriter, r *http.Request) {
	got, err := h.receiveDocument(w, r)
	if err != nil {
		pr := h.problemOf(r, err)
		switch pr.status {
		case http.StatusRequestEntityTooLarge:
			h.renderDocuments(w, r, pr.status, "the file is larger than the limit of "+sizeLabel(h.app.Config.DocumentLimit()))
			return
		case http.StatusBadRequest, http.StatusForbidden, http.StatusRequestTimeout,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
			h.renderDocuments(w, r, pr.status, pr.message)
			return
		}
		h.answer(w, r, pr)
		return
	}
	if got.Unchanged {
		h.redirect(w, r, fmt.Sprintf("/documents/%d", got.Existing.ID), flash{"ok", unchangedMessage(got.Existing)})
		return
	}
	h.redirect(w, r, fmt.Sprintf("/jobs/%d", got.JobID), flash{"ok", "The document is uploaded; Lore is extracting its text."})
}

// documentPage is one document, its text chunk by chunk: answers link to
// #chunk-N.
type documentPage struct {
	layout
	Document storage.Document
	Chunks   []storage.DocumentChunk
}

// showDocumentPage shows a document of the caller's organization.
func (h *handler) showDocumentPage(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	id, _ := strconv.ParseInt(r.PathValue("document_id"), 10, 64)
	d, _, chunks, err := h.app.Documents.Document(r.Context(), m.OrgID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "document", &documentPage{layout: layout{Title: d.Title}, Document: d, Chunks: chunks})
}

// deleteDocumentPage confirms a document's deletion, naming what goes.
type deleteDocumentPage struct {
	layout
	Document storage.Document
}

// showDeleteDocument asks to confirm the deletion.
func (h *handler) showDeleteDocument(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	d, _, _, err := h.app.Documents.Document(r.Context(), m.OrgID, documentID(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "document_delete", &deleteDocumentPage{layout: layout{Title: "Delete " + d.Title}, Document: d})
}

// submitDeleteDocument deletes the document (the same Delete as the API)
// and goes back to the list.
func (h *handler) submitDeleteDocument(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	d, _, _, err := h.app.Documents.Document(r.Context(), m.OrgID, documentID(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.app.Documents.Delete(r.Context(), m.OrgID, d.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/organizations/%d/documents", m.OrgID), flash{"ok", fmt.Sprintf("%s (%s) is deleted.", d.Title, d.Filename)})
}

// answersAsker asks the answers service with the Web scope.
type answersAsker struct{ answers *answers.Service }

func (a answersAsker) Ask(ctx context.Context, q pageQuestion) (askAnswer, error) {
	ans, err := a.answers.Ask(ctx, answers.Request{OrgID: q.OrgID, Question: q.Question, Scope: answers.Web,
		WorkspaceID: q.WorkspaceID, ChannelID: q.ChannelID, Source: answers.SourceWeb, AskedBy: q.AskedBy,
		Since: q.Since, Until: q.Until})
	if err != nil {
		return askAnswer{}, err
	}
	out := askAnswer{QuestionID: ans.QuestionID, Answered: ans.Answered, Text: ans.Text, Confidence: ans.Confidence}
	for _, src := range ans.Sources {
		out.Sources = append(out.Sources, askSource{Title: sourceTitle(src), Text: src.Text, Permalink: src.Permalink})
	}
	return out, nil
}

// sourceTitle names a source for people: its channel, author and day, or
// a document's title.
func sourceTitle(src answers.Source) string {
	if src.Kind == answers.KindDocument {
		return src.Title
	}
	parts := []string{"#" + src.ChannelName}
	if src.UserName != "" {
		parts = append(parts, src.UserName)
	}
	if !src.PostedAt.IsZero() {
		parts = append(parts, src.PostedAt.UTC().Format(time.DateOnly))
	}
	return strings.Join(parts, " · ")
}
