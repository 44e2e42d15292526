// Package documents is Lore's knowledge base of uploaded files: runbooks,
// policies and other documents that answers find and cite beside Slack
// messages. It extracts their text in pure Go (Markdown through goldmark's
// syntax tree, HTML through x/net/html, PDF through ledongthuc/pdf in a
// child process), splits it into chunks by section and paragraph, stores
// and indexes the chunks, runs extraction as the job kind "extract", and
// searches an organization's chunks for the answers service.
package documents

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Type is what a document is, as its content shows.
type Type string

// The types Lore extracts.
const (
	TypeText     Type = "text"
	TypeMarkdown Type = "markdown"
	TypeHTML     Type = "html"
	TypePDF      Type = "pdf"
)

// Block is one paragraph, list item or code block of a document, with the
// heading it stands under and, for a PDF, its page.
type Block struct {
	Section string // the nearest heading above it; "" before the first
	Page    int    // 1-based page of a PDF; 0 for other types
	Text    string
}

// Extracted is a document's text, as extraction gives it to the chunker.
type Extracted struct {
	Title  string
	Type   Type
	Pages  int // a PDF's page count; 0 for other types
	Blocks []Block
	// Rebuilt says the PDF's text was rebuilt from glyph positions because
	// its plain text glued words together.
	Rebuilt bool
}

// Text is the whole extracted text: each section's heading on its own line,
// blocks apart by a blank line.
func (e Extracted) Text() string {
	var parts []string
	section := ""
	for _, bl := range e.Blocks {
		if bl.Section != section {
			if bl.Section != "" {
				parts = append(parts, bl.Section)
			}
			section = bl.Section
		}
		parts = append(parts, bl.Text)
	}
	return strings.Join(parts, "\n\n")
}

// Words counts the extracted words.
func (e Extracted) Words() int {
	n := 0
	for _, bl := range e.Blocks {
		n += len(strings.Fields(bl.Text))
	}
	return n
}

// RefusedError is a file Lore will not index, with the reason people read.
type RefusedError struct {
	Code   string `json:"code"` // e.g. "unsupported_type", "no_text_layer"
	Reason string `json:"reason"`
}

func (e *RefusedError) Error() string { return e.Reason }

func refuse(code, format string, args ...any) error {
	return &RefusedError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Detect tells a file's type from its content (the first few KiB suffice);
// the name only tells Markdown from plain text, which no content marks. A
// file whose content is none of the four types is refused, and so is one
// whose name claims a PDF or HTML its content is not.
func Detect(head []byte, filename string) (Type, error) {
	if len(head) == 0 {
		return "", refuse("empty_file", "the file is empty")
	}
	m := mimetype.Detect(head)
	ext := strings.ToLower(filepath.Ext(filename))
	var t Type
	switch {
	case m.Is("application/pdf"):
		t = TypePDF
	case m.Is("text/html"):
		t = TypeHTML
	case isText(m):
		t = TypeText
		if ext == ".md" || ext == ".markdown" {
			t = TypeMarkdown
		}
	default:
		return "", refuse("unsupported_type", "the file's content is %s; Lore accepts plain text, Markdown, HTML and PDF", baseMIME(m))
	}
	switch {
	case ext == ".pdf" && t != TypePDF:
		return "", refuse("unsupported_type", "the file is named %s but its content is %s, not a PDF", filename, baseMIME(m))
	case (ext == ".html" || ext == ".htm") && t != TypeHTML && t != TypeText:
		return "", refuse("unsupported_type", "the file is named %s but its content is %s, not HTML", filename, baseMIME(m))
	}
	return t, nil
}

// isText tells plain text and what mimetype finds more specific in it
// (CSV, JSON, source code): a runbook line with commas reads as CSV.
func isText(m *mimetype.MIME) bool {
	for ; m != nil; m = m.Parent() {
		if m.Is("text/plain") {
			return true
		}
	}
	return false
}

func baseMIME(m *mimetype.MIME) string {
	s, _, _ := strings.Cut(m.String(), ";")
	return s
}

// decodeText returns text content as UTF-8: UTF-8 as it is (less a byte
// order mark), UTF-16 with a byte order mark and Latin-1 or Windows-1252
// (as mimetype tells them) converted; anything else is refused rather than
// indexed as mojibake. declared, when not nil, is the encoding an HTML page
// declares, which wins over guessing.
func decodeText(data []byte, declared encoding.Encoding) (string, error) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		data = data[3:]
	}
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xfe")):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(data, []byte("\xfe\xff")):
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case utf8.Valid(data):
		return checkText(string(data))
	case declared != nil:
		enc = declared
	default:
		_, params, _ := strings.Cut(mimetype.Detect(data).String(), "charset=")
		switch strings.TrimSpace(params) {
		case "iso-8859-1":
			enc = charmap.ISO8859_1
		case "windows-1252":
			enc = charmap.Windows1252
		default:
			return "", refuse("bad_encoding", "the file is not UTF-8 text and its encoding cannot be told; save it as UTF-8 and upload it again")
		}
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return "", refuse("bad_encoding", "the file's text cannot be converted to UTF-8: %v", err)
	}
	return checkText(string(out))
}

// checkText refuses binary content that passed as text in its first KiB.
func checkText(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", refuse("unsupported_type", "the file holds binary data (NUL bytes), not text")
	}
	return s, nil
}

// titleFromName is a document's title when its content names none: the
// file name without its extension.
func titleFromName(filename string) string {
	base := filepath.Base(filename)
	if t := strings.TrimSuffix(base, filepath.Ext(base)); t != "" {
		return t
	}
	return base
}

// extractText splits plain text into paragraphs at blank lines.
func extractText(data []byte, filename string) (Extracted, error) {
	s, err := decodeText(data, nil)
	if err != nil {
		return Extracted{}, err
	}
	e := Extracted{Title: titleFromName(filename), Type: TypeText}
	for _, p := range paragraphs(s) {
		e.Blocks = append(e.Blocks, Block{Text: p})
	}
	return e, nil
}

// paragraphs splits text at blank lines, trimming each paragraph and
// dropping empty ones.
func paragraphs(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	var cur []string
	flush := func() {
		if p := strings.TrimSpace(strings.Join(cur, "\n")); p != "" {
			out = append(out, p)
		}
		cur = cur[:0]
	}
	for line := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, strings.TrimRight(line, " \t\r"))
	}
	flush()
	return out
}
