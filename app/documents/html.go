package documents

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// skipped are the elements whose text is not the page's content: code,
// styling, navigation, page furniture, embedded things.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Nav: true, atom.Footer: true, atom.Noscript: true,
	atom.Template: true, atom.Svg: true, atom.Iframe: true, atom.Object: true, atom.Head: true,
	atom.Button: true, atom.Select: true, atom.Form: true,
}

// blockElems end the block of text before them and start a new one.
var blockElems = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Li: true, atom.Ul: true, atom.Ol: true, atom.Dl: true,
	atom.Dt: true, atom.Dd: true, atom.Blockquote: true, atom.Pre: true, atom.Table: true,
	atom.Tr: true, atom.Section: true, atom.Article: true, atom.Main: true, atom.Header: true,
	atom.Aside: true, atom.Figure: true, atom.Figcaption: true, atom.Hr: true, atom.Address: true,
	atom.Details: true, atom.Summary: true, atom.Body: true, atom.Caption: true,
}

var headings = map[atom.Atom]bool{
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
}

// extractHTML reads a page with x/net/html: the <title> (else the first
// h1) is the title, headings start sections, block elements end blocks,
// <br> breaks a line, <pre> keeps its spacing; script, style, nav, footer
// and the like are dropped. The page's declared charset is honoured.
func extractHTML(data []byte, filename string) (Extracted, error) {
	enc, name, certain := charset.DetermineEncoding(data, "text/html")
	var s string
	var err error
	if certain && name != "utf-8" {
		s, err = decodeText(data, enc)
	} else {
		s, err = decodeText(data, nil)
	}
	if err != nil {
		return Extracted{}, err
	}
	root, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return Extracted{}, refuse("bad_html", "the HTML cannot be read: %v", err)
	}
	w := htmlWalker{e: Extracted{Type: TypeHTML}}
	w.e.Title = collapse(w.title(root))
	w.walk(root)
	w.flush()
	if w.e.Title == "" {
		w.e.Title = w.firstH1
	}
	if w.e.Title == "" {
		w.e.Title = titleFromName(filename)
	}
	return w.e, nil
}

type htmlWalker struct {
	e       Extracted
	section string
	firstH1 string
	cur     bytes.Buffer
}

// title finds the <title> element's text.
func (w *htmlWalker) title(n *html.Node) string {
	if n.Type == html.ElementNode && n.DataAtom == atom.Title {
		return textOf(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if t := w.title(c); t != "" {
			return t
		}
	}
	return ""
}

func (w *htmlWalker) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.cur.WriteString(n.Data)
		return
	case html.ElementNode:
		switch {
		case skipped[n.DataAtom]:
			return
		case headings[n.DataAtom]:
			w.flush()
			h := collapse(textOf(n))
			if n.DataAtom == atom.H1 && w.firstH1 == "" {
				w.firstH1 = h
			}
			if h != "" {
				w.section = h
			}
			return
		case n.DataAtom == atom.Br:
			w.cur.WriteByte('\n')
			return
		case n.DataAtom == atom.Td || n.DataAtom == atom.Th:
			w.cur.WriteByte(' ')
		case n.DataAtom == atom.Pre:
			w.flush()
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				w.walk(c)
			}
			w.flushPre()
			return
		case blockElems[n.DataAtom]:
			w.flush()
			defer w.flush()
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
}

// flush ends the current block, collapsing its white space (line breaks
// from <br> kept).
func (w *htmlWalker) flush() {
	var lines []string
	for line := range strings.SplitSeq(w.cur.String(), "\n") {
		if l := collapse(line); l != "" {
			lines = append(lines, l)
		}
	}
	w.cur.Reset()
	if len(lines) > 0 {
		w.e.Blocks = append(w.e.Blocks, Block{Section: w.section, Text: strings.Join(lines, "\n")})
	}
}

// flushPre ends a <pre> block, its spacing kept.
func (w *htmlWalker) flushPre() {
	t := strings.Trim(w.cur.String(), "\n")
	w.cur.Reset()
	if strings.TrimSpace(t) != "" {
		w.e.Blocks = append(w.e.Blocks, Block{Section: w.section, Text: t})
	}
}

// textOf is all the text under n, skipped elements left out.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		if n.Type == html.ElementNode && skipped[n.DataAtom] {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// collapse trims s and makes each run of white space one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
