package documents

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sections maps each block's section to its texts joined, in order.
func sectionTexts(e Extracted) map[string]string {
	m := map[string]string{}
	for _, b := range e.Blocks {
		if m[b.Section] != "" {
			m[b.Section] += "\n\n"
		}
		m[b.Section] += b.Text
	}
	return m
}

func TestMarkdownKeepsHeadingsCodeAndLinkText(t *testing.T) {
	t.Parallel()
	e, err := testExtractor(t).extract(context.Background(), readTestdata(t, "runbook.md"), "runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != TypeMarkdown || e.Title != "Ingest Runbook" {
		t.Errorf("type %q title %q, want markdown and the H1", e.Type, e.Title)
	}
	s := sectionTexts(e)
	restart := s["Restarting ingest"]
	for _, want := range []string{"drain the queue first", "dashboard page", "systemctl restart ingest-worker\njournalctl -u ingest-worker -f"} {
		if !strings.Contains(restart, want) {
			t.Errorf("section Restarting ingest lacks %q:\n%s", want, restart)
		}
	}
	for _, gone := range []string{"raw html", "https://grafana", "<div"} {
		if strings.Contains(e.Text(), gone) {
			t.Errorf("extracted text holds %q:\n%s", gone, e.Text())
		}
	}
	if esc := s["Escalation"]; !strings.Contains(esc, "Page the on-call engineer after 15 minutes of lag.") || !strings.Contains(esc, "the lag graph") {
		t.Errorf("section Escalation: list items or alt text lost:\n%s", esc)
	}
	if !strings.Contains(s["Ingest Runbook"], "How the ingest pipeline is run") {
		t.Errorf("the intro is not under the title's section: %q", s)
	}
}

func TestHTMLDropsFurnitureAndKeepsBlocks(t *testing.T) {
	t.Parallel()
	e, err := testExtractor(t).extract(context.Background(), readTestdata(t, "handbook.html"), "handbook.html")
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != TypeHTML || e.Title != "Support Handbook" {
		t.Errorf("type %q title %q", e.Type, e.Title)
	}
	text := e.Text()
	for _, gone := range []string{"do not index", "nor me", "font-family", "Home", "cookie policy"} {
		if strings.Contains(text, gone) {
			t.Errorf("extracted text holds %q (script, style, nav or footer):\n%s", gone, text)
		}
	}
	s := sectionTexts(e)
	if got, want := s["Refunds"], "Refunds up to 50 euros are approved by the agent.\nLarger ones go to finance.\n\nCheck the order id.\n\nCheck the payment date."; got != want {
		t.Errorf("section Refunds:\n%q\nwant\n%q", got, want)
	}
	if got := s["Outages"]; !strings.Contains(got, "status: degraded\n  since: 10:42") {
		t.Errorf("pre lost its lines: %q", got)
	}
}

func TestTextEncodings(t *testing.T) {
	t.Parallel()
	utf16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String("Café opens at nine.\n\nThe key is in the drawer.")
	latin1, _ := charmap.ISO8859_1.NewEncoder().String("Café opens at nine.\n\nThe key is in the drawer.")
	sjis, _ := japanese.ShiftJIS.NewEncoder().String("会議は、明日です。鍵は机の中です。")
	for _, tc := range []struct {
		name, data string
		refused    string // the code, or "" for converted text
	}{
		{"utf-8.txt", "Café opens at nine.\n\nThe key is in the drawer.", ""},
		{"utf-16.txt", utf16, ""},
		{"latin-1.txt", latin1, ""},
		{"shift-jis.txt", sjis, "bad_encoding"},
		{"nul-after-the-head.txt", strings.Repeat("text ", 1000) + "\x00 more", "unsupported_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := testExtractor(t).extract(context.Background(), []byte(tc.data), tc.name)
			if tc.refused != "" {
				var r *RefusedError
				if !errors.As(err, &r) || r.Code != tc.refused {
					t.Fatalf("got %v, want refused %s", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []Block{{Text: "Café opens at nine."}, {Text: "The key is in the drawer."}}
			if len(e.Blocks) != 2 || e.Blocks[0] != want[0] || e.Blocks[1] != want[1] {
				t.Errorf("blocks %+v, want %+v", e.Blocks, want)
			}
		})
	}
}

func TestDetectByContent(t *testing.T) {
	t.Parallel()
	pdf := buildPDF(t, []pdfSection{{Heading: "H", Paras: []string{"text"}}})
	for _, tc := range []struct {
		name    string
		data    []byte
		want    Type
		refused string
	}{
		{"notes.txt", []byte("plain words"), TypeText, ""},
		{"notes.md", []byte("# Title\n\nwords"), TypeMarkdown, ""},
		{"steps.md", []byte("Call Maya, then page the on-call engineer.\n\nDrain it, then restart it."), TypeMarkdown, ""}, // mimetype says CSV
		{"data.txt", []byte(`{"a": 1}`), TypeText, ""},
		{"page.html", []byte("<!DOCTYPE html><html><body><p>hi</p></body></html>"), TypeHTML, ""},
		{"page.txt", []byte("<!DOCTYPE html><html><body><p>hi</p></body></html>"), TypeHTML, ""},
		{"manual.pdf", pdf, TypePDF, ""},
		{"manual.txt", pdf, TypePDF, ""}, // the content decides
		{"photo.txt", grayPNG(t), "", "unsupported_type"},
		{"fake.pdf", []byte("just some words"), "", "unsupported_type"},
		{"archive.md", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), "", "unsupported_type"},
		{"empty.txt", nil, "", "empty_file"},
	} {
		got, err := Detect(tc.data, tc.name)
		var r *RefusedError
		switch {
		case tc.refused != "" && (!errors.As(err, &r) || r.Code != tc.refused):
			t.Errorf("%s: %q, %v; want refused %s", tc.name, got, err, tc.refused)
		case tc.refused == "" && (err != nil || got != tc.want):
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
