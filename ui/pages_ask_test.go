package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"lore/storage"
)

// fakeAsker stands in for answers.Service in tests of the Ask page; it
// keeps the requests it got.
type fakeAsker struct {
	answer askAnswer
	got    []pageQuestion
}

func (f *fakeAsker) Ask(_ context.Context, req pageQuestion) (askAnswer, error) {
	f.got = append(f.got, req)
	return f.answer, nil
}

// withAsker rebuilds the fixture's handler with an answers seam.
func (f *fixture) withAsker(t *testing.T, a asker) {
	t.Helper()
	h, err := newHandler(f.app, os.DirFS("static"), os.DirFS("templates"))
	if err != nil {
		t.Fatal(err)
	}
	h.asker = a
	f.h = h.middleware(h.routes())
}

// TestAskPageWithTheAnswersService: the page asks the real answers service;
// with no history stored it says honestly that it found nothing, and the
// question is logged as unanswered.
func TestAskPageWithTheAnswersService(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	b.signIn(f.memberA.Email)
	page := wantPage(t, b.get(fmt.Sprintf("/organizations/%d/ask?q=where+is+the+deploy+doc", f.orgA.ID)), http.StatusOK)
	if strings.Contains(page, "not available in this build yet") || !strings.Contains(page, "I couldn't find a confident answer") {
		t.Fatalf("Ask with nothing stored: %s", page)
	}
	unanswered := false
	qs, err := f.app.Answers.ListQuestions(context.Background(), f.orgA.ID, &unanswered, 10)
	if err != nil || len(qs) != 1 || qs[0].Question != "where is the deploy doc" {
		t.Fatalf("logged questions %+v %v", qs, err)
	}
}

// TestDocumentPages: the Documents page lists the organization's documents,
// and a document's page shows its text chunk by chunk, each under the
// anchor answers link to; another organization's member gets the 404 page.
func TestDocumentPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d, _, err := f.app.Store.PutDocument(context.Background(), storage.NewDocument{OrgID: f.orgA.ID, Title: "Ingest Runbook",
		Filename: "Runbook.pdf", Type: "pdf", Pages: 4, Words: 9, Chunks: []storage.DocumentChunk{
			{Position: 0, Section: "Overview", Page: 1, PageEnd: 1, Text: "The ingest worker reads the queue."},
			{Position: 1, Section: "Restarting ingest", Page: 4, PageEnd: 4, Text: "Restart the worker with systemctl."}}})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, f.h)
	b.signIn(f.memberA.Email)
	page := wantPage(t, b.get(fmt.Sprintf("/organizations/%d/documents", f.orgA.ID)), http.StatusOK)
	if !strings.Contains(page, fmt.Sprintf(`href="/documents/%d"`, d.ID)) || !strings.Contains(page, "Ingest Runbook") {
		t.Fatalf("documents page: %s", page)
	}
	page = wantPage(t, b.get(fmt.Sprintf("/documents/%d", d.ID)), http.StatusOK)
	if !strings.Contains(page, `id="chunk-1"`) || !strings.Contains(page, "Restarting ingest") || !strings.Contains(page, "p. 4") ||
		!strings.Contains(page, "Restart the worker with systemctl.") {
		t.Fatalf("document page: %s", page)
	}
	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	wantPage(t, other.get(fmt.Sprintf("/documents/%d", d.ID)), http.StatusNotFound)
}

func TestAskPageAnswers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fake := &fakeAsker{answer: askAnswer{QuestionID: 7, Answered: true, Text: "Deploys go out on Tuesdays.", Confidence: 82,
		Sources: []askSource{{Title: "#deploys · 2026-11-03", Text: "we deploy on tuesdays", Permalink: "https://acme.slack.com/archives/C1/p1700000000000100"}}}}
	f.withAsker(t, fake)
	b := newBrowser(t, f.h)
	b.signIn(f.memberA.Email)
	base := fmt.Sprintf("/organizations/%d/ask", f.orgA.ID)

	page := wantPage(t, b.get(base+"?q=when+do+we+deploy&workspace="+f.wsA+"&since=2026-11-01&until=2026-11-30"), http.StatusOK)
	wantLabels(t, page)
	if !strings.Contains(page, "Deploys go out on Tuesdays.") || !strings.Contains(page, "Confidence 82 of 100") ||
		!strings.Contains(page, `href="https://acme.slack.com/archives/C1/p1700000000000100"`) || !strings.Contains(page, `value="when do we deploy"`) {
		t.Fatalf("answer page: %s", page)
	}
	got := fake.got[0]
	if got.OrgID != f.orgA.ID || got.Question != "when do we deploy" || got.WorkspaceID != f.wsA || got.Source != "web" ||
		got.AskedBy != fmt.Sprintf("user:%d", f.memberA.ID) || !got.Since.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) ||
		got.Until.Format(time.DateOnly) != "2026-11-30" || !got.Until.After(time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)) {
		t.Fatalf("asked %+v", got)
	}

	fake.answer.Answered, fake.answer.Confidence = false, 12
	page = wantPage(t, b.get(base+"?q=what+is+the+wifi+password"), http.StatusOK)
	if !strings.Contains(page, "I couldn't find a confident answer") || !strings.Contains(page, "nearest") ||
		strings.Contains(page, "Deploys go out on Tuesdays.") || !strings.Contains(page, "#deploys · 2026-11-03") {
		t.Fatalf("below the threshold: %s", page)
	}

	page = wantPage(t, b.get(base+"?q=x&since=yesterday"), http.StatusUnprocessableEntity)
	if !strings.Contains(page, "From must be a date") || !strings.Contains(page, `value="yesterday"`) || len(fake.got) != 2 {
		t.Fatalf("bad date: %s (asked %d times)", page, len(fake.got))
	}

	// web_qa_enabled off: refused with a page that says why.
	if _, err := f.app.Settings.Patch(context.Background(), f.orgA.ID, "test", map[string]json.RawMessage{"web_qa_enabled": json.RawMessage("false")}); err != nil {
		t.Fatal(err)
	}
	page = wantPage(t, b.get(base+"?q=when+do+we+deploy"), http.StatusForbidden)
	if !strings.Contains(page, "web_qa_enabled") || len(fake.got) != 2 {
		t.Fatalf("web Q&A off: %s", page)
	}
}

// TestAskPageFeedback: the 👍/👎 forms under an answer record the feedback
// through the answers service and come back to the answer with a flash
// (post/redirect/get), without asking again; another organization's member gets the 404 page and
// records nothing, anonymous is sent to login, a missing choice records
// nothing.
func TestAskPageFeedback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	b.signIn(f.memberA.Email)
	ask := fmt.Sprintf("/organizations/%d/ask", f.orgA.ID)
	page := wantPage(t, b.get(ask+"?q=where+is+the+deploy+doc"), http.StatusOK)
	qs, err := f.app.Answers.ListQuestions(context.Background(), f.orgA.ID, nil, 10)
	if err != nil || len(qs) != 1 {
		t.Fatalf("logged questions %+v %v", qs, err)
	}
	action := fmt.Sprintf(`action="/questions/%d/feedback"`, qs[0].ID)
	if !strings.Contains(page, action) || !strings.Contains(page, `name="helpful" value="false"`) {
		t.Fatalf("no feedback form: %s", page)
	}
	feedback := func(b *browser, helpful string) *httptest.ResponseRecorder {
		return b.post(fmt.Sprintf("/questions/%d/feedback", qs[0].ID), url.Values{"helpful": {helpful}})
	}
	helpful := func() *bool {
		t.Helper()
		qs, err := f.app.Answers.ListQuestions(context.Background(), f.orgA.ID, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) != 1 {
			t.Fatalf("%d questions logged, want 1 (feedback asked again)", len(qs))
		}
		return qs[0].Helpful
	}

	loc, w := b.follow(feedback(b, "false"))
	page = wantPage(t, w, http.StatusOK)
	if loc != ask || !strings.Contains(page, "Thanks: Lore noted that this answer did not help.") {
		t.Fatalf("after 👎: %s %s", loc, page)
	}
	if h := helpful(); h == nil || *h {
		t.Fatalf("helpful %v after 👎", h)
	}
	b.follow(feedback(b, "true"))
	if h := helpful(); h == nil || !*h {
		t.Fatalf("helpful %v after 👍", h)
	}

	loc, w = b.follow(feedback(b, ""))
	if page = wantPage(t, w, http.StatusOK); loc != ask || !strings.Contains(page, "nothing was recorded") {
		t.Fatalf("no choice: %s %s", loc, page)
	}
	if h := helpful(); h == nil || !*h {
		t.Fatalf("helpful %v after an empty choice", h)
	}

	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	wantPage(t, feedback(other, "false"), http.StatusNotFound)
	anon := newBrowser(t, f.h)
	if w := feedback(anon, "false"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Fatalf("anonymous feedback: %d %s", w.Code, w.Header().Get("Location"))
	}
	if h := helpful(); h == nil || !*h {
		t.Fatalf("helpful %v after refused feedback", h)
	}
}

// TestDocumentUploadPage: an admin uploads through the Documents page's
// form, the same Receive as the API, and is sent to the extraction job's
// page, which shows its outcome; the same bytes again go to the document.
// A member sees no form and is refused the post; another organization's
// member gets the 404 page; anonymous goes to login.
func TestDocumentUploadPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.app.Jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	docs := fmt.Sprintf("/organizations/%d/documents", f.orgA.ID)
	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	page := wantPage(t, admin.get(docs), http.StatusOK)
	wantLabels(t, page)
	if !strings.Contains(page, `enctype="multipart/form-data"`) || !strings.Contains(page, `action="`+docs+`"`) {
		t.Fatalf("no upload form for an admin: %s", page)
	}
	loc, w := admin.follow(admin.upload(docs, "file", "runbook.md", []byte(runbookMD)))
	page = wantPage(t, w, http.StatusOK)
	if !strings.HasPrefix(loc, "/jobs/") || !strings.Contains(page, "Extracting a document") || !strings.Contains(page, "Lore is extracting its text") {
		t.Fatalf("after the upload: %s %s", loc, page)
	}
	jobID, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/jobs/"), 10, 64)
	f.waitJob(t, jobID, f.adminA.Token)
	page = wantPage(t, admin.get(loc), http.StatusOK)
	if !strings.Contains(page, "runbook.md: 11 words, 2 chunks") || !strings.Contains(page, `value="100"`) || !strings.Contains(page, `href="`+docs+`"`) {
		t.Fatalf("the job's page once done: %s", page)
	}
	list, err := f.app.Documents.List(context.Background(), f.orgA.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("documents %+v %v", list, err)
	}
	loc, w = admin.follow(admin.upload(docs, "file", "runbook.md", []byte(runbookMD)))
	if page = wantPage(t, w, http.StatusOK); loc != fmt.Sprintf("/documents/%d", list[0].ID) || !strings.Contains(page, "nothing was changed") {
		t.Fatalf("the same bytes again: %s %s", loc, page)
	}

	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	if page = wantPage(t, member.get(docs), http.StatusOK); strings.Contains(page, `type="file"`) || strings.Contains(page, "/delete") {
		t.Fatalf("a member sees the upload form or delete: %s", page)
	}
	wantPage(t, member.upload(docs, "file", "other.md", []byte("# Other\n\nSome words.")), http.StatusForbidden)
	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	wantPage(t, other.upload(docs, "file", "other.md", []byte("# Other\n\nSome words.")), http.StatusNotFound)
	anon := newBrowser(t, f.h)
	if w := anon.upload(docs, "file", "other.md", []byte("# Other\n\nSome words.")); w.Code != http.StatusSeeOther ||
		!strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Fatalf("anonymous upload: %d %s", w.Code, w.Header().Get("Location"))
	}
	if list, _ := f.app.Documents.List(context.Background(), f.orgA.ID); len(list) != 1 {
		t.Fatalf("%d documents after refused uploads, want 1", len(list))
	}
}

// TestDocumentUploadPageRefusals: a wrong type, an empty file, a file
// over the limit and uploads turned off each give the form again with
// the reason, and queue nothing.
func TestDocumentUploadPageRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	docs := fmt.Sprintf("/organizations/%d/documents", f.orgA.ID)
	b := newBrowser(t, f.h)
	b.signIn(f.ownerA.Email)
	refused := func(w *httptest.ResponseRecorder, status int, reason string) {
		t.Helper()
		page := wantPage(t, w, status)
		if !strings.Contains(page, "The upload was refused") || !strings.Contains(page, reason) || !strings.Contains(page, `type="file"`) {
			t.Errorf("refusal %q: %s", reason, page)
		}
	}
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	refused(b.upload(docs, "file", "notes.txt", png), http.StatusUnsupportedMediaType, "image/png")
	refused(b.upload(docs, "file", "empty.txt", nil), http.StatusUnprocessableEntity, "the file is empty")
	// Over the limit: the form says it (the page's script checks a chosen
	// file's size); a body that says its length is refused before it is
	// read, and one of unknown length (chunked) once it passes the limit,
	// each with the form again naming the limit.
	f.app.Config.MaxDocumentBytes = 1 << 20
	if page := wantPage(t, b.get(docs), http.StatusOK); !strings.Contains(page, `data-max-bytes="1048576"`) || !strings.Contains(page, "at most 1 MiB") {
		t.Errorf("the form does not say the limit: %s", page)
	}
	big := []byte(strings.Repeat("All the words of a long policy. ", (2<<20)/32))
	refused(b.upload(docs, "file", "big.txt", big), http.StatusRequestEntityTooLarge, "the file is larger than the limit of 1 MiB")
	// the access checks come first: a member is refused, anonymous signs in
	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	wantPage(t, member.upload(docs, "file", "big.txt", big), http.StatusForbidden)
	if w := newBrowser(t, f.h).upload(docs, "file", "big.txt", big); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("an anonymous upload over the limit: %d %s", w.Code, w.Header().Get("Location"))
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", "big.txt")
	part.Write(big)
	mw.Close()
	refused(b.do("POST", docs, io.MultiReader(&body), mw.FormDataContentType()), http.StatusRequestEntityTooLarge, "the file is larger than the limit of 1 MiB")
	if err := f.app.Store.Tx(context.Background(), func(tx *storage.Tx) error {
		return tx.UpdateOrgSettings(context.Background(), f.orgA.ID, map[string]any{"document_upload_enabled": false})
	}); err != nil {
		t.Fatal(err)
	}
	refused(b.upload(docs, "file", "runbook.md", []byte(runbookMD)), http.StatusForbidden, "document_upload_enabled")
	jobs, err := f.app.Store.ListActiveJobs(context.Background(), "extract")
	if err != nil || len(jobs) != 0 {
		t.Fatalf("jobs queued by refused uploads: %+v %v", jobs, err)
	}
}

// TestDocumentDeletePage: an admin is asked to confirm, on a page naming
// the document and what goes with it, then the document is deleted and the
// list says so; a member may not, another organization's member gets 404.
func TestDocumentDeletePage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d, _, err := f.app.Store.PutDocument(context.Background(), storage.NewDocument{OrgID: f.orgA.ID, Title: "Ingest Runbook",
		Filename: "Runbook.pdf", Type: "pdf", Pages: 4, Words: 9, Chunks: []storage.DocumentChunk{
			{Position: 0, Section: "Overview", Page: 1, PageEnd: 1, Text: "The ingest worker reads the queue."}}})
	if err != nil {
		t.Fatal(err)
	}
	del := fmt.Sprintf("/documents/%d/delete", d.ID)
	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	wantPage(t, member.get(del), http.StatusForbidden)
	wantPage(t, member.post(del, url.Values{}), http.StatusForbidden)
	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	wantPage(t, other.get(del), http.StatusNotFound)
	wantPage(t, other.post(del, url.Values{}), http.StatusNotFound)
	if _, _, _, err := f.app.Documents.Document(context.Background(), f.orgA.ID, d.ID); err != nil {
		t.Fatalf("deleted by a refused request: %v", err)
	}

	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	if page := wantPage(t, admin.get(fmt.Sprintf("/documents/%d", d.ID)), http.StatusOK); !strings.Contains(page, `href="`+del+`"`) {
		t.Fatalf("no delete link on the document's page: %s", page)
	}
	page := wantPage(t, admin.get(del), http.StatusOK)
	if !strings.Contains(page, "Ingest Runbook") || !strings.Contains(page, "Runbook.pdf") || !strings.Contains(page, "1 chunks") ||
		!strings.Contains(page, "search index") || !strings.Contains(page, `action="`+del+`"`) {
		t.Fatalf("confirmation page: %s", page)
	}
	loc, w := admin.follow(admin.post(del, url.Values{}))
	page = wantPage(t, w, http.StatusOK)
	if loc != fmt.Sprintf("/organizations/%d/documents", f.orgA.ID) || !strings.Contains(page, "Ingest Runbook (Runbook.pdf) is deleted.") ||
		!strings.Contains(page, "No documents yet.") {
		t.Fatalf("after the deletion: %s %s", loc, page)
	}
	wantPage(t, admin.get(fmt.Sprintf("/documents/%d", d.ID)), http.StatusNotFound)
}
