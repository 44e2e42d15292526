package documents

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"lore/app/answers"
	"lore/storage"
)

// TestAnswersCiteADocument: a question only the runbook answers is answered
// on the web by the answers service with the runbook cited, its section and
// page named and linked to its chunk; the same question in another
// organization gets nothing of it.
func TestAnswersCiteADocument(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if j := e.upload(t, e.orgA, "Runbook.pdf", runbookPDF(t)); j.Status != storage.JobSucceeded {
		t.Fatalf("extraction job: %+v", j)
	}
	ctx := context.Background()
	svc, err := answers.New(ctx, e.store, slog.New(slog.DiscardHandler), answers.Options{Retrievers: []answers.Retriever{e.svc}})
	if err != nil {
		t.Fatal(err)
	}
	const question = "How do I restart the ingest worker?"
	a, err := svc.Ask(ctx, answers.Request{OrgID: e.orgA, Question: question, Scope: answers.Web})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Answered || len(a.Sources) == 0 {
		t.Fatalf("not answered from the runbook: %+v", a)
	}
	src := a.Sources[0]
	if src.Kind != answers.KindDocument || src.Title != "Ingest Runbook" || src.Section != "Restarting ingest" || src.Page != 4 ||
		src.Permalink != "/documents/"+itoa(src.DocumentID)+"#chunk-3" || !strings.Contains(src.Text, "restart the worker") {
		t.Errorf("the runbook's citation: %+v", src)
	}
	if !strings.Contains(a.Text, "Ingest Runbook") {
		t.Errorf("the answer does not name the runbook: %q", a.Text)
	}

	other, err := svc.Ask(ctx, answers.Request{OrgID: e.orgB, Question: question, Scope: answers.Web})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range other.Sources {
		if s.Kind == answers.KindDocument {
			t.Errorf("another organization got the runbook: %+v", other)
		}
	}
	if other.Answered {
		t.Errorf("another organization got an answer: %+v", other)
	}
}

// TestAnswersDateDocumentsByTheirUpdate: a document source is dated by its
// last upload, and since and until leave out the documents updated outside
// them.
func TestAnswersDateDocumentsByTheirUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before := time.Now().UTC().Add(-time.Second)
	if j := e.upload(t, e.orgA, "Runbook.pdf", runbookPDF(t)); j.Status != storage.JobSucceeded {
		t.Fatalf("extraction job: %+v", j)
	}
	after := time.Now().UTC().Add(time.Second)
	ctx := context.Background()
	svc, err := answers.New(ctx, e.store, slog.New(slog.DiscardHandler), answers.Options{Retrievers: []answers.Retriever{e.svc}})
	if err != nil {
		t.Fatal(err)
	}
	documents := func(r answers.Request) []answers.Source {
		t.Helper()
		r.OrgID, r.Question, r.Scope = e.orgA, "How do I restart the ingest worker?", answers.Web
		a, err := svc.Ask(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		var out []answers.Source
		for _, s := range a.Sources {
			if s.Kind == answers.KindDocument {
				out = append(out, s)
			}
		}
		return out
	}
	got := documents(answers.Request{Since: before, Until: after})
	if len(got) == 0 || got[0].PostedAt.Before(before) || got[0].PostedAt.After(after) {
		t.Fatalf("within its upload's dates: %+v, want the runbook dated between %s and %s", got, before, after)
	}
	if got := documents(answers.Request{Since: after}); len(got) != 0 {
		t.Errorf("since after its upload: %+v", got)
	}
	if got := documents(answers.Request{Until: before}); len(got) != 0 {
		t.Errorf("until before its upload: %+v", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
