package documents

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"

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

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
