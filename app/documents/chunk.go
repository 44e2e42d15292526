package documents

import (
	"strings"
	"unicode"
)

// ChunkOptions size the chunks; the zero value is the default.
type ChunkOptions struct {
	MinWords     int // a chunk is cut at a page only past this many words; default 200
	MaxWords     int // a chunk never passes this many words; default 400
	OverlapWords int // words a chunk cut inside a section repeats from the one before; default 40
}

func (o ChunkOptions) withDefaults() ChunkOptions {
	if o.MaxWords <= 0 {
		o.MaxWords = 400
	}
	if o.MinWords <= 0 || o.MinWords > o.MaxWords {
		o.MinWords = min(200, o.MaxWords/2)
	}
	if o.OverlapWords < 0 || o.OverlapWords >= o.MinWords {
		o.OverlapWords = 0
	} else if o.OverlapWords == 0 {
		o.OverlapWords = min(40, o.MinWords/4)
	}
	return o
}

// Chunk is one indexed piece of a document. Context (the document's title
// and the chunk's section) is indexed beside the text, as a message's
// thread context is, so that a question naming the runbook or its section
// finds the chunk even when its own words do not say it.
type Chunk struct {
	Position int // 0-based, in document order
	Section  string
	Page     int // the page a PDF chunk starts on; 0 for other types
	PageEnd  int // the page it ends on
	Text     string
	Context  string
}

// piece is a run of text of at most MaxWords words on one page.
type piece struct {
	text  string
	page  int
	words int
}

// Split cuts a document into chunks: never across a section, at a page
// once the chunk has MinWords, and before MaxWords would be passed,
// between paragraphs where possible and otherwise between sentences (a
// paragraph longer than MaxWords is cut between sentences, a sentence
// longer between words). A chunk cut inside a section starts with the
// last OverlapWords words of the one before it, so that a sentence cut
// in two is found whole in one of them.
func Split(e Extracted, opts ChunkOptions) []Chunk {
	o := opts.withDefaults()
	var out []Chunk
	var cur []piece
	curWords := 0
	section := ""
	emit := func() {
		if curWords == 0 {
			return
		}
		texts := make([]string, len(cur))
		for i, p := range cur {
			texts[i] = p.text
		}
		out = append(out, Chunk{Position: len(out), Section: section, Page: cur[0].page, PageEnd: cur[len(cur)-1].page,
			Text: strings.Join(texts, "\n\n"), Context: chunkContext(e.Title, section)})
		cur, curWords = nil, 0
	}
	// overlap starts the next chunk of the same section and page with the
	// end of the one just emitted.
	overlap := func(page int) {
		if o.OverlapWords == 0 || len(out) == 0 {
			return
		}
		last := out[len(out)-1]
		words := strings.Fields(last.Text)
		if len(words) <= o.OverlapWords || last.PageEnd != page {
			return
		}
		tail := strings.Join(words[len(words)-o.OverlapWords:], " ")
		// "…" marks the repeat (and counts as a word, as Fields counts it)
		cur, curWords = []piece{{text: "… " + tail, page: page, words: o.OverlapWords + 1}}, o.OverlapWords+1
	}
	for i, b := range e.Blocks {
		if i == 0 || b.Section != section {
			emit()
			section = b.Section
		}
		for _, p := range splitBlock(b, o.MaxWords-o.OverlapWords-1) {
			switch {
			case curWords > 0 && curWords+p.words > o.MaxWords:
				emit()
				overlap(p.page)
			case curWords >= o.MinWords && p.page != cur[len(cur)-1].page:
				emit()
			}
			cur = append(cur, p)
			curWords += p.words
		}
	}
	emit()
	return out
}

// chunkContext is what a chunk is indexed with beside its text.
func chunkContext(title, section string) string {
	if section == "" || section == title {
		return title
	}
	return title + " — " + section
}

// splitBlock cuts a block into pieces of at most max words: the block
// whole if it fits, else runs of whole sentences, a sentence too long
// for one piece cut between words.
func splitBlock(b Block, max int) []piece {
	n := len(strings.Fields(b.Text))
	if n <= max {
		return []piece{{text: b.Text, page: b.Page, words: n}}
	}
	var out []piece
	var run []string
	runWords := 0
	flush := func() {
		if runWords > 0 {
			out = append(out, piece{text: strings.Join(run, " "), page: b.Page, words: runWords})
		}
		run, runWords = nil, 0
	}
	for _, s := range sentences(b.Text) {
		words := strings.Fields(s)
		for len(words) > max { // one sentence longer than a piece
			flush()
			out = append(out, piece{text: strings.Join(words[:max], " "), page: b.Page, words: max})
			words = words[max:]
		}
		if runWords+len(words) > max {
			flush()
		}
		run = append(run, strings.Join(words, " "))
		runWords += len(words)
	}
	flush()
	return out
}

// sentences splits text after ., ! or ? followed by white space and an
// upper-case letter or digit: good enough to keep sentences whole, which
// is all the chunker needs.
func sentences(text string) []string {
	var out []string
	rs := []rune(text)
	start := 0
	for i := 0; i < len(rs)-2; i++ {
		if (rs[i] == '.' || rs[i] == '!' || rs[i] == '?') && unicode.IsSpace(rs[i+1]) {
			j := i + 1
			for j < len(rs) && unicode.IsSpace(rs[j]) {
				j++
			}
			if j < len(rs) && (unicode.IsUpper(rs[j]) || unicode.IsDigit(rs[j])) {
				out = append(out, strings.TrimSpace(string(rs[start:i+1])))
				start = j
			}
		}
	}
	if rest := strings.TrimSpace(string(rs[start:])); rest != "" {
		out = append(out, rest)
	}
	return out
}
