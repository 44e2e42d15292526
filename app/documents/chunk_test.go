package documents

import (
	"fmt"
	"strings"
	"testing"
)

// words makes n distinct words w<from>…, in sentences of ten.
func words(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i%10 == 0 {
			fmt.Fprintf(&b, "W%d", from+i)
		} else {
			fmt.Fprintf(&b, "w%d", from+i)
		}
		if i%10 == 9 {
			b.WriteByte('.')
		}
	}
	return b.String()
}

func wordCount(s string) int { return len(strings.Fields(s)) }

func TestSplitBySectionWithOverlap(t *testing.T) {
	t.Parallel()
	e := Extracted{Title: "Guide", Type: TypeMarkdown}
	for i := range 20 { // 1,000 words in paragraphs of 50
		e.Blocks = append(e.Blocks, Block{Section: "Setup", Text: words(i*50, 50)})
	}
	e.Blocks = append(e.Blocks, Block{Section: "FAQ", Text: words(5000, 30)})
	chunks := Split(e, ChunkOptions{})
	if len(chunks) != 4 {
		t.Fatalf("%d chunks, want 3 for Setup and 1 for FAQ", len(chunks))
	}
	for i, c := range chunks[:3] {
		n := wordCount(c.Text)
		if c.Section != "Setup" || c.Context != "Guide — Setup" || c.Position != i || n > 400 {
			t.Errorf("chunk %d: section %q context %q position %d, %d words", i, c.Section, c.Context, c.Position, n)
		}
		if i < 2 && n < 200 {
			t.Errorf("chunk %d has %d words, want at least 200", i, n)
		}
	}
	// the second chunk starts with the first's last 40 words
	first := strings.Fields(chunks[0].Text)
	if want := "… " + strings.Join(first[len(first)-40:], " "); !strings.HasPrefix(chunks[1].Text, want) {
		t.Errorf("chunk 1 starts %q, want the overlap %q", chunks[1].Text[:80], want[:80])
	}
	// a chunk is cut between paragraphs: it ends where one ends
	if !strings.HasSuffix(chunks[0].Text, "w399.") {
		t.Errorf("chunk 0 ends %q, want the end of the 8th paragraph", chunks[0].Text[len(chunks[0].Text)-20:])
	}
	// a new section starts a new chunk, without overlap
	if c := chunks[3]; c.Section != "FAQ" || c.Text != words(5000, 30) || c.Context != "Guide — FAQ" {
		t.Errorf("FAQ chunk %+v", c)
	}
	// every word is in some chunk
	all := strings.Join(func() []string {
		var s []string
		for _, c := range chunks {
			s = append(s, c.Text)
		}
		return s
	}(), " ")
	for i := 0; i < 1000; i += 37 {
		w := fmt.Sprintf("w%d", i)
		if i%10 == 0 {
			w = fmt.Sprintf("W%d", i)
		}
		if !strings.Contains(all+" ", w+" ") && !strings.Contains(all, w+".") {
			t.Errorf("word %s lost", w)
		}
	}
}

func TestSplitKeepsPages(t *testing.T) {
	t.Parallel()
	e := Extracted{Title: "Runbook", Type: TypePDF, Pages: 4}
	for p := 1; p <= 4; p++ { // 250 words a page, one section
		e.Blocks = append(e.Blocks, Block{Section: "Restarting ingest", Page: p, Text: words(p*1000, 250)})
	}
	chunks := Split(e, ChunkOptions{})
	if len(chunks) != 4 {
		t.Fatalf("%d chunks, want one a page", len(chunks))
	}
	for i, c := range chunks {
		if c.Page != i+1 || c.PageEnd != i+1 || !strings.HasPrefix(c.Text, fmt.Sprintf("W%d", (i+1)*1000)) {
			t.Errorf("chunk %d: pages %d-%d, starts %q", i, c.Page, c.PageEnd, c.Text[:10])
		}
	}
	// short pages are packed together, the chunk keeps its first and last page
	e.Blocks = nil
	for p := 1; p <= 4; p++ {
		e.Blocks = append(e.Blocks, Block{Section: "S", Page: p, Text: words(p*1000, 60)})
	}
	chunks = Split(e, ChunkOptions{})
	if len(chunks) != 1 || chunks[0].Page != 1 || chunks[0].PageEnd != 4 {
		t.Errorf("short pages: %d chunks, first %+v", len(chunks), chunks[0])
	}
}

func TestSplitLongParagraphBetweenSentences(t *testing.T) {
	t.Parallel()
	e := Extracted{Title: "T", Blocks: []Block{{Text: words(0, 900)}}}
	chunks := Split(e, ChunkOptions{})
	if len(chunks) < 3 {
		t.Fatalf("%d chunks for 900 words", len(chunks))
	}
	for i, c := range chunks {
		if n := wordCount(c.Text); n > 400 {
			t.Errorf("chunk %d: %d words", i, n)
		}
		if !strings.HasSuffix(c.Text, ".") {
			t.Errorf("chunk %d ends mid-sentence: %q", i, c.Text[len(c.Text)-12:])
		}
		if c.Context != "T" {
			t.Errorf("chunk %d context %q", i, c.Context)
		}
	}
	// one sentence longer than a chunk is cut between words
	e = Extracted{Title: "T", Blocks: []Block{{Text: strings.Repeat("word ", 1000)}}}
	for i, c := range Split(e, ChunkOptions{}) {
		if n := wordCount(c.Text); n > 400 {
			t.Errorf("unbroken sentence, chunk %d: %d words", i, n)
		}
	}
}
