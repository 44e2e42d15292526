package documents

import (
	"bytes"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/ledongthuc/pdf"
)

// gluedWordLength is the average "word" length above which a PDF's plain
// text is taken to have lost its spaces: English words average about five
// letters, and on PDFs whose text positions glyphs one by one GetPlainText
// returned words of hundreds of letters (223 words instead of 39,529).
const gluedWordLength = 12

// pdfPage is one page's text as the child process returns it.
type pdfPage struct {
	Lines []pdfLine `json:"lines"`
}

// pdfLine is one line of a page; Heading marks a section title (a line
// the PDF's outline names, or set larger than the page's body text).
type pdfLine struct {
	Text    string `json:"text"`
	Heading bool   `json:"heading,omitempty"`
}

// pdfResult is what the child process writes on stdout: the pages, or
// the reason the PDF is refused.
type pdfResult struct {
	Pages   []pdfPage     `json:"pages"`
	Rebuilt bool          `json:"rebuilt,omitempty"`
	Refused *RefusedError `json:"refused,omitempty"`
}

// readPDF extracts every page's text with ledongthuc/pdf: GetPlainText,
// or, when that glued words together, the words rebuilt from glyph
// positions. It runs in the child process; a panic of the library is
// recovered into a refusal, and what cannot be recovered (a loop, memory)
// is the parent's to stop.
func readPDF(data []byte, maxPages int) (res pdfResult, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = pdfResult{}, refuse("corrupt_pdf", "this PDF is malformed and cannot be read (%v)", v)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return pdfResult{}, refuse("corrupt_pdf", "this PDF is malformed and cannot be read (%v)", err)
	}
	n := r.NumPage()
	switch {
	case n <= 0:
		return pdfResult{}, refuse("corrupt_pdf", "this PDF has no pages")
	case n > maxPages:
		return pdfResult{}, refuse("too_many_pages", "this PDF has %d pages; Lore reads at most %d", n, maxPages)
	}
	outline := outlineTitles(r.Outline(), map[string]bool{})
	plain := make([]string, n)
	for i := range n {
		t, err := r.Page(i + 1).GetPlainText(nil)
		if err != nil {
			return pdfResult{}, refuse("corrupt_pdf", "page %d of this PDF is malformed and cannot be read (%v)", i+1, err)
		}
		plain[i] = t
	}
	res.Pages = make([]pdfPage, n)
	if glued(plain) {
		res.Rebuilt = true
		for i := range n {
			res.Pages[i] = rebuildPage(r.Page(i+1).Content().Text, outline)
		}
	} else {
		for i, t := range plain {
			res.Pages[i] = plainPage(t, outline)
		}
	}
	if !hasText(res.Pages) {
		return pdfResult{}, refuse("no_text_layer", "this PDF has no text layer (scanned?); OCR is not supported")
	}
	return res, nil
}

// glued tells text whose words average far longer than words do.
func glued(pages []string) bool {
	words, letters := 0, 0
	for _, p := range pages {
		for w := range strings.FieldsSeq(p) {
			words++
			letters += len([]rune(w))
		}
	}
	return words > 0 && letters/words > gluedWordLength
}

func hasText(pages []pdfPage) bool {
	for _, p := range pages {
		for _, l := range p.Lines {
			if strings.IndexFunc(l.Text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
				return true
			}
		}
	}
	return false
}

// outlineTitles collects the PDF outline's (bookmarks') titles, the
// sections the author named, in the form lines are compared in.
func outlineTitles(o pdf.Outline, into map[string]bool) map[string]bool {
	if t := normLine(o.Title); t != "" {
		into[t] = true
	}
	for _, c := range o.Child {
		outlineTitles(c, into)
	}
	return into
}

func normLine(s string) string { return strings.ToLower(collapse(s)) }

// plainPage splits GetPlainText's page text into lines (it starts one at
// each text object and line move).
func plainPage(text string, outline map[string]bool) pdfPage {
	var p pdfPage
	for line := range strings.SplitSeq(text, "\n") {
		if l := collapse(line); l != "" {
			p.Lines = append(p.Lines, pdfLine{Text: l, Heading: outline[normLine(l)]})
		}
	}
	return p
}

// rebuildPage rebuilds a page's lines and words from its glyphs: glyphs
// close in height form a line, read left to right; a gap between two
// glyphs wider than a fifth of the font size is a space. A glyph's width
// comes from its font's widths; a font without widths (the standard 14)
// gets the line's median advance, exact for monospaced text. Lines set
// clearly larger than most of the page are headings.
func rebuildPage(glyphs []pdf.Text, outline map[string]bool) pdfPage {
	var p pdfPage
	if len(glyphs) == 0 {
		return p
	}
	gs := slices.Clone(glyphs)
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].Y > gs[j].Y })
	var lines [][]pdf.Text
	for _, g := range gs {
		if strings.TrimSpace(g.S) == "" && g.S != " " {
			continue
		}
		if n := len(lines); n > 0 {
			last := lines[n-1]
			if math.Abs(last[0].Y-g.Y) <= math.Max(1, 0.3*g.FontSize) {
				lines[n-1] = append(last, g)
				continue
			}
		}
		lines = append(lines, []pdf.Text{g})
	}
	body := bodySize(gs)
	for _, line := range lines {
		sort.SliceStable(line, func(i, j int) bool { return line[i].X < line[j].X })
		text := lineText(line)
		if text == "" {
			continue
		}
		heading := outline[normLine(text)] ||
			(line[0].FontSize > 1.15*body && len(strings.Fields(text)) <= 12)
		p.Lines = append(p.Lines, pdfLine{Text: text, Heading: heading})
	}
	return p
}

// lineText joins a line's glyphs, with a space where the gap says one was.
func lineText(line []pdf.Text) string {
	var adv []float64
	for i := 1; i < len(line); i++ {
		if d := line[i].X - line[i-1].X; d > 0 {
			adv = append(adv, d)
		}
	}
	median := 0.0
	if len(adv) > 0 {
		slices.Sort(adv)
		median = adv[len(adv)/2]
	}
	var b strings.Builder
	for i, g := range line {
		if i > 0 && g.S != " " && !strings.HasSuffix(b.String(), " ") {
			prev := line[i-1]
			w := prev.W
			if w <= 0 {
				w = median
			}
			if g.X-(prev.X+w) > 0.2*math.Max(prev.FontSize, 1) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(g.S)
	}
	return collapse(b.String())
}

// bodySize is the font size most of a page's glyphs are set in.
func bodySize(gs []pdf.Text) float64 {
	count := map[float64]int{}
	best, bestN := 0.0, 0
	for _, g := range gs {
		s := math.Round(g.FontSize*10) / 10
		count[s]++
		if count[s] > bestN {
			best, bestN = s, count[s]
		}
	}
	return best
}

// pdfExtracted turns the child's pages into blocks: a heading line starts
// a section, the lines between headings on one page are one block (a
// word broken by a hyphen at a line's end is joined again).
func pdfExtracted(res pdfResult, filename string) Extracted {
	e := Extracted{Type: TypePDF, Pages: len(res.Pages), Rebuilt: res.Rebuilt}
	section := ""
	for i, p := range res.Pages {
		var cur []string
		flush := func() {
			if t := joinLines(cur); t != "" {
				e.Blocks = append(e.Blocks, Block{Section: section, Page: i + 1, Text: t})
			}
			cur = cur[:0]
		}
		for _, l := range p.Lines {
			if l.Heading {
				flush()
				section = l.Text
				if e.Title == "" && i == 0 {
					e.Title = l.Text
				}
				continue
			}
			cur = append(cur, l.Text)
		}
		flush()
	}
	if e.Title == "" {
		e.Title = titleFromName(filename)
	}
	return e
}

// joinLines joins a PDF's lines into running text.
func joinLines(lines []string) string {
	var b []byte
	for _, l := range lines {
		switch {
		case len(b) == 0:
		case b[len(b)-1] == '-' && l != "" && unicode.IsLower([]rune(l)[0]):
			b = b[:len(b)-1] // a word broken at the line's end
		default:
			b = append(b, ' ')
		}
		b = append(b, l...)
	}
	return string(b)
}
