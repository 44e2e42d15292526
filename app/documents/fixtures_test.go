package documents

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"
)

// pdfSection is one section of a generated PDF: a heading (a bookmark
// too) and its paragraphs, on a new page when NewPage is set.
type pdfSection struct {
	Heading string
	Paras   []string
	NewPage bool
}

// buildPDF writes a PDF with fpdf: each section's heading in a larger
// font and in the outline, its paragraphs as wrapped body text.
func buildPDF(t testing.TB, sections []pdfSection) []byte {
	t.Helper()
	p := newFpdf()
	p.SetCompression(true)
	p.AddPage()
	for i, s := range sections {
		if s.NewPage && i > 0 {
			p.AddPage()
		}
		p.SetFont("Helvetica", "B", 18)
		p.Bookmark(s.Heading, 0, -1)
		p.CellFormat(0, 24, s.Heading, "", 1, "L", false, 0, "")
		p.SetFont("Helvetica", "", 11)
		for _, para := range s.Paras {
			p.MultiCell(0, 14, para, "", "L", false)
			p.Ln(6)
		}
	}
	return outputPDF(t, p)
}

func outputPDF(t testing.TB, p *fpdf.Fpdf) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		t.Fatalf("fpdf: %v", err)
	}
	return buf.Bytes()
}

// buildGluedPDF writes lines of text glyph by glyph, each glyph placed by
// its own text matrix and no space characters at all (word gaps are only
// positions), in one text object per page: as some typesetters write, and
// what makes GetPlainText glue every word of a page into one.
func buildGluedPDF(t testing.TB, lines []string) []byte {
	t.Helper()
	return buildGluedPages(t, [][]string{lines})
}

// buildGluedPages is buildGluedPDF with a page per list of lines.
func buildGluedPages(t testing.TB, pages [][]string) []byte {
	t.Helper()
	p := newFpdf()
	p.SetCompression(true)
	p.SetFont("Courier", "", 12)
	for _, lines := range pages {
		p.AddPage()
		// fpdf names its fonts in order: the first is /F1 on the page's resources
		var b strings.Builder
		b.WriteString("BT /F1 12 Tf\n")
		const advance = 7.2 // Courier: 0.6 em at 12 pt
		y := 780.0
		for _, line := range lines {
			x := 72.0
			for _, r := range line {
				if r == ' ' {
					x += advance
					continue
				}
				fmt.Fprintf(&b, "1 0 0 1 %.2f %.2f Tm (%s) Tj\n", x, y, pdfEscape(string(r)))
				x += advance
			}
			y -= 16
		}
		b.WriteString("ET\n")
		p.RawWriteStr(b.String())
	}
	return outputPDF(t, p)
}

func pdfEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(s)
}

// grayPNG is a small image standing for a scanned page.
func grayPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for x := range 64 {
		for y := range 64 {
			img.SetGray(x, y, color.Gray{Y: uint8((x * y) % 256)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildPDFWithImagePage writes pages of text with, at imagePage (1-based),
// a page holding only an image: a scanned page. With no text pages at all
// it is a scanned document.
func buildPDFWithImagePage(t testing.TB, texts []string, imagePage int) []byte {
	t.Helper()
	p := newFpdf()
	p.RegisterImageOptionsReader("scan", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(grayPNG(t)))
	page := 0
	addImage := func() {
		p.AddPage()
		p.ImageOptions("scan", 72, 72, 400, 400, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	}
	for _, text := range texts {
		page++
		if page == imagePage {
			addImage()
			page++
		}
		p.AddPage()
		p.SetFont("Helvetica", "", 11)
		p.MultiCell(0, 14, text, "", "L", false)
	}
	if page < imagePage {
		addImage()
	}
	return outputPDF(t, p)
}

func newFpdf() *fpdf.Fpdf { return fpdf.New("P", "pt", "A4", "") }
