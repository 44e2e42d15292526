package documents

import (
	"context"
)

// detectBytes is how much of a file type detection reads.
const detectBytes = 3072

// extractor extracts any of the four types; PDFs through a child process.
type extractor struct {
	pdf pdfReader
}

// extract detects data's type from its content and extracts its text.
// A file with no words at all is refused rather than stored as nothing.
func (x extractor) extract(ctx context.Context, data []byte, filename string) (Extracted, error) {
	t, err := Detect(data[:min(len(data), detectBytes)], filename)
	if err != nil {
		return Extracted{}, err
	}
	var e Extracted
	switch t {
	case TypePDF:
		e, err = x.pdf.extract(ctx, data, filename)
	case TypeHTML:
		e, err = extractHTML(data, filename)
	case TypeMarkdown:
		e, err = extractMarkdown(data, filename)
	default:
		e, err = extractText(data, filename)
	}
	if err != nil {
		return Extracted{}, err
	}
	if e.Words() == 0 {
		return Extracted{}, refuse("no_text", "the file has no text to index")
	}
	return e, nil
}
