package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"lore/app"
	"lore/app/apptest"
	"lore/app/documents"
	"lore/storage"
)

// TestPDFIsReadByTheHiddenCommand: a PDF upload is read by this binary
// re-executed as lore extract-pdf (the test binary becomes lore's main
// through asMain), whose usage does not list it.
func TestPDFIsReadByTheHiddenCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), PDFChild: documents.Child{Env: []string{asMain + "=1"}}}, os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	org, err := a.Store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	p := fpdf.New("P", "pt", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.MultiCell(0, 14, "Rotate the signing secret every ninety days.", "", "L", false)
	var pdf bytes.Buffer
	if err := p.Output(&pdf); err != nil {
		t.Fatal(err)
	}
	got, err := a.Documents.Receive(ctx, org.ID, 0, "policy.pdf", &pdf)
	if err != nil {
		t.Fatal(err)
	}
	var j storage.Job
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if j, err = a.Store.Job(ctx, org.ID, got.JobID); err != nil || !j.FinishedAt.IsZero() || time.Now().After(deadline) {
			break
		}
	}
	if j.Status != storage.JobSucceeded || j.Summary != "policy.pdf: 1 page, 7 words, 1 chunk" {
		t.Fatalf("job %+v, %v", j, err)
	}
	hits, err := a.Documents.Search(ctx, org.ID, "signing secret rotation", 3)
	if err != nil || len(hits) != 1 || hits[0].Page != 1 {
		t.Errorf("search: %+v, %v", hits, err)
	}
	var out bytes.Buffer
	run(ctx, []string{"lore", "--help"}, func(string) string { return "" }, nil, &out, &out)
	if strings.Contains(out.String(), documents.ChildCommand) {
		t.Errorf("the usage lists the hidden command:\n%s", out.String())
	}
}
