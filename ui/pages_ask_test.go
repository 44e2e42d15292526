package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
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
