package ui

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"lore/ui/browsertest"
)

// TestBrowserDocumentUploadAnswered: in Chromium, an admin's file of a
// type Lore cannot read is refused beside the Documents page's field; a
// document uploaded there over a slow line has the form count the
// bytes sent on its way to the extraction job's page, which follows the
// job to the end; then a small runbook, and a question on the Ask page
// that only the runbook answers links its source to the runbook's chunk,
// /documents/{id}#chunk-N, which shows that text.
func TestBrowserDocumentUploadAnswered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.app.Jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	b := browsertest.New(t, srv.URL)
	docs := fmt.Sprintf("/organizations/%d/documents", f.orgA.ID)
	b.Open(docs)
	signInAs(b, f.adminA.Email)
	b.WaitText("h1", "Documents")
	b.CheckPage()
	b.Shot("documents-empty")

	// a file of another type is the form again, saying why, at its address
	dir := t.TempDir()
	png := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Upload("document-file", png)
	b.Tap("form[data-upload] button[type=submit]")
	b.WaitText("#document-file-error", "image/png")
	if p := b.Path(); p != docs {
		t.Fatalf("the refused upload's form is at %s, want %s", p, docs)
	}
	b.CheckPage()
	b.Shot("refused-type")

	policy := filepath.Join(dir, "travel-policy.txt")
	if err := os.WriteFile(policy, []byte(strings.Repeat("Travel is booked through the office and approved by a lead. ", 2<<20/61)), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Upload("document-file", policy)
	b.SlowUploads(1 << 20)
	b.Tap("form[data-upload] button[type=submit]")
	b.WaitFor("the form counts the bytes sent", `(() => {
		const bar = document.querySelector("[data-upload-progress]");
		const status = document.querySelector("[data-upload-status]")?.textContent ?? "";
		return bar !== null && !bar.hidden && bar.value > 0 && bar.value < 100 && / of 2\.0 MiB sent \(\d+%\)$/.test(status);
	})()`)
	b.Shot("upload-progress")
	b.SlowUploads(0)
	b.WaitText("h1", "Extracting a document")
	b.WaitText(".flash", "The document is uploaded; Lore is extracting its text.")
	if p := b.Path(); !strings.HasPrefix(p, "/jobs/") {
		t.Fatalf("after the upload the browser is at %s, want the job's page", p)
	}
	b.WaitFor("the extraction ends", `document.querySelector("[data-job-url]").dataset.finished === "succeeded"`)
	b.WaitText("#job-detail", "travel-policy.txt:")
	b.CheckPage()
	b.Shot("policy-extracted")

	runbook := filepath.Join(dir, "runbook.md")
	if err := os.WriteFile(runbook, []byte(runbookMD), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Open(docs)
	b.WaitFor("the policy listed", `document.querySelectorAll("tbody tr").length === 1`)
	b.Upload("document-file", runbook)
	b.Tap("form[data-upload] button[type=submit]")
	b.WaitText("h1", "Extracting a document")
	b.WaitFor("the extraction ends", `document.querySelector("[data-job-url]").dataset.finished === "succeeded"`)
	b.WaitText("#job-detail", "runbook.md: 11 words, 2 chunks")
	b.Shot("runbook-extracted")
	list, err := f.app.Documents.List(context.Background(), f.orgA.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("documents %+v %v", list, err)
	}
	var runbookID int64
	for _, d := range list {
		if d.Filename == "runbook.md" {
			runbookID = d.ID
		}
	}

	b.Open(fmt.Sprintf("/organizations/%d/ask", f.orgA.ID))
	b.Fill("ask-q", "what do I do before restarting the ingest worker?")
	b.Click("form.form button[type=submit]")
	b.WaitText("#answer h2", "Answer")
	b.WaitText("#answer", "Drain the queue")
	b.CheckPage()
	b.Shot("answered-from-the-runbook")
	want := fmt.Sprintf("/documents/%d#chunk-0", runbookID)
	if href := browsertest.Get(b, "source href", chromedp.Evaluate[string](`document.querySelector("#answer .sources a").getAttribute("href")`)); href != want {
		t.Fatalf("the first source links to %q, want the runbook's chunk %q", href, want)
	}
	b.Click("#answer .sources a")
	if p := b.Path(); p != want {
		t.Fatalf("the source led to %s, want %s", p, want)
	}
	b.WaitText("#chunk-0", "Drain the queue, then restart the worker.")
	b.CheckPage()
	b.Shot("the-runbook-chunk")
}
