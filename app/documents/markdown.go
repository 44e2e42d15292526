package documents

import (
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// extractMarkdown walks goldmark's syntax tree: headings become section
// titles (the first level-1 heading the title), paragraphs, list items,
// quotes and code blocks become blocks, links keep their text, images
// their alt text; raw HTML is dropped.
func extractMarkdown(data []byte, filename string) (Extracted, error) {
	s, err := decodeText(data, nil)
	if err != nil {
		return Extracted{}, err
	}
	src := []byte(s)
	doc := goldmark.New().Parser().Parse(text.NewReader(src))
	e := Extracted{Type: TypeMarkdown}
	section := ""
	add := func(t string) {
		if t = strings.TrimSpace(t); t != "" {
			e.Blocks = append(e.Blocks, Block{Section: section, Text: t})
		}
	}
	err = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			h := strings.TrimSpace(inlineText(n, src))
			if n.Level == 1 && e.Title == "" {
				e.Title = h
			}
			section = h
			return ast.WalkSkipChildren, nil
		case *ast.Paragraph, *ast.TextBlock:
			add(inlineText(n, src))
			return ast.WalkSkipChildren, nil
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			add(linesText(n, src))
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return Extracted{}, err
	}
	if e.Title == "" {
		e.Title = titleFromName(filename)
	}
	return e, nil
}

// inlineText is the readable text of a block's inline children.
func inlineText(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(c.Value(src))
				switch {
				case c.HardLineBreak():
					b.WriteByte('\n')
				case c.SoftLineBreak():
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.AutoLink:
				b.Write(c.URL(src))
			case *ast.RawHTML:
				// markup, not text
			default:
				walk(c) // emphasis, links, code spans, images (alt text)
			}
		}
	}
	walk(n)
	return b.String()
}

// linesText is a code block's text, lines as written.
func linesText(n ast.Node, src []byte) string {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(src))
	}
	return strings.TrimRight(b.String(), "\n")
}
