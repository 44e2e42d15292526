package documents

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
)

// runbookPDF is a four-page runbook whose last section, on page 4, says
// how to restart ingest.
func runbookPDF(t testing.TB) []byte {
	return buildPDF(t, []pdfSection{
		{Heading: "Ingest Runbook", Paras: []string{"This runbook covers the ingest pipeline."}},
		{Heading: "Architecture", Paras: []string{"Events flow from the collectors into the queue and on to the workers."}, NewPage: true},
		{Heading: "Monitoring", Paras: []string{"The lag graph shows how far the workers are behind."}, NewPage: true},
		{Heading: "Restarting ingest", Paras: []string{"Drain the queue, then restart the worker with systemctl restart ingest-worker."}, NewPage: true},
	})
}

func TestPDFPagesAndSections(t *testing.T) {
	t.Parallel()
	e, err := testExtractor(t).extract(context.Background(), runbookPDF(t), "Runbook.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != TypePDF || e.Pages != 4 || e.Title != "Ingest Runbook" || e.Rebuilt {
		t.Errorf("type %q, %d pages, title %q, rebuilt %v", e.Type, e.Pages, e.Title, e.Rebuilt)
	}
	want := []Block{
		{Section: "Ingest Runbook", Page: 1, Text: "This runbook covers the ingest pipeline."},
		{Section: "Architecture", Page: 2, Text: "Events flow from the collectors into the queue and on to the workers."},
		{Section: "Monitoring", Page: 3, Text: "The lag graph shows how far the workers are behind."},
		{Section: "Restarting ingest", Page: 4, Text: "Drain the queue, then restart the worker with systemctl restart ingest-worker."},
	}
	if len(e.Blocks) != len(want) {
		t.Fatalf("blocks %+v, want %+v", e.Blocks, want)
	}
	for i := range want {
		if e.Blocks[i] != want[i] {
			t.Errorf("block %d: %+v, want %+v", i, e.Blocks[i], want[i])
		}
	}
}

// TestPDFGluedWordsRebuiltFromGlyphs: glyphs placed one by one with no
// spaces make GetPlainText glue each page into one "word"; the reader
// notices and rebuilds the words from the glyphs' positions.
func TestPDFGluedWordsRebuiltFromGlyphs(t *testing.T) {
	t.Parallel()
	lines := []string{"Restart the ingest worker after draining the queue", "then watch the lag graph for ten minutes"}
	data := buildGluedPDF(t, lines)
	// the library alone, as the reader first reads it
	res, err := readPDF(data, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rebuilt {
		t.Fatalf("glued text not noticed: %+v", res)
	}
	e, err := testExtractor(t).extract(context.Background(), data, "glued.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.Text(), strings.Join(lines, " "); got != want {
		t.Errorf("rebuilt text %q, want %q", got, want)
	}
	if e.Words() != 16 {
		t.Errorf("%d words, want 16", e.Words())
	}
}

func TestPDFImagePages(t *testing.T) {
	t.Parallel()
	x := testExtractor(t)
	t.Run("scanned", func(t *testing.T) {
		_, err := x.extract(context.Background(), buildPDFWithImagePage(t, nil, 1), "scan.pdf")
		var r *RefusedError
		if !errors.As(err, &r) || r.Code != "no_text_layer" || r.Reason != "this PDF has no text layer (scanned?); OCR is not supported" {
			t.Fatalf("got %v, want the no-text-layer refusal", err)
		}
	})
	t.Run("one scanned page among text", func(t *testing.T) {
		e, err := x.extract(context.Background(), buildPDFWithImagePage(t, []string{"First page words.", "Third page words."}, 2), "mixed.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if e.Pages != 3 || len(e.Blocks) != 2 || e.Blocks[0].Page != 1 || e.Blocks[1].Page != 3 || e.Blocks[1].Text != "Third page words." {
			t.Errorf("%d pages, blocks %+v; want the text of pages 1 and 3", e.Pages, e.Blocks)
		}
	})
}

// TestPDFBadFilesAreContained: corrupt PDFs and readers that crash, loop
// or eat memory end in a refusal naming what happened, and this process
// goes on.
func TestPDFBadFilesAreContained(t *testing.T) {
	t.Parallel()
	good := runbookPDF(t)
	// "1 2 Tj" (a show-text with two operands) makes the library panic
	panicky := bytes.Replace(buildUncompressedPDF(t, "Hello"), []byte("(Hello) Tj"), []byte("1 2 3  Tj"), 1)
	// a glued page (so its glyphs are read) with a one-operand Td panics
	// inside the library's Content, which recovers nothing
	glyphPanic := rawPDF(t, "BT /F1 12 Tf 1 0 0 1 72 780 Tm (ABCDEFGHIJKLMNOPQRSTUVWXYZ) Tj 5 Td (B) Tj ET")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the library read the bad Td without panicking: the case tests nothing")
			}
		}()
		r, err := pdf.NewReader(bytes.NewReader(glyphPanic), int64(len(glyphPanic)))
		if err != nil {
			t.Fatal(err)
		}
		r.Page(1).Content()
	}()
	for _, tc := range []struct {
		name   string
		mode   string
		data   []byte
		limits PDFLimits
		code   string
	}{
		{"truncated", "serve", good[:len(good)/2], PDFLimits{}, "corrupt_pdf"},
		{"garbage after the header", "serve", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("\x00garbage"), 100)...), PDFLimits{}, "corrupt_pdf"},
		{"an operator that panics the library", "serve", panicky, PDFLimits{}, "corrupt_pdf"},
		{"a panic in the library's glyph reader", "serve", glyphPanic, PDFLimits{}, "corrupt_pdf"},
		{"too many pages", "serve", good, PDFLimits{MaxPages: 3}, "too_many_pages"},
		{"the reader crashes", "crash", good, PDFLimits{}, "corrupt_pdf"},
		{"the reader loops", "hang", good, PDFLimits{Timeout: 500 * time.Millisecond}, "pdf_timeout"},
		{"the reader eats memory", "hog", good, PDFLimits{MemoryLimit: 64 << 20}, "pdf_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := extractor{pdf: pdfReader{child: testChild(t, tc.mode), limits: tc.limits.withDefaults(), logger: slog.New(slog.DiscardHandler)}}
			start := time.Now()
			_, err := x.extract(context.Background(), tc.data, "bad.pdf")
			var r *RefusedError
			if !errors.As(err, &r) || r.Code != tc.code {
				t.Fatalf("got %v, want refused %s", err, tc.code)
			}
			if time.Since(start) > 30*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}
}

// rawPDF is one page whose content stream is content, uncompressed, with
// Courier as /F1.
func rawPDF(t testing.TB, content string) []byte {
	t.Helper()
	p := newFpdf()
	p.SetCompression(false)
	p.AddPage()
	p.SetFont("Courier", "", 12)
	p.RawWriteStr(content + "\n")
	return outputPDF(t, p)
}

// buildUncompressedPDF is one page showing text, its content stream
// uncompressed so that a test can corrupt an operator in place.
func buildUncompressedPDF(t testing.TB, text string) []byte {
	t.Helper()
	p := newFpdf()
	p.SetCompression(false)
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.Text(72, 72, text)
	data := outputPDF(t, p)
	if !bytes.Contains(data, []byte("("+text+") Tj")) {
		t.Fatalf("fpdf wrote no (%s) Tj", text)
	}
	return data
}
