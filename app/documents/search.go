package documents

import (
	"context"
	"strings"
	"unicode"

	"lore/storage"
)

// Hit is one chunk of a document found by Search, with what a citation
// needs: "Runbook.pdf, p. 4, Restarting ingest", linked to the chunk.
type Hit struct {
	DocumentID int64
	Title      string
	Filename   string
	Section    string
	Page       int // the page a PDF chunk starts on; 0 for other types
	PageEnd    int
	Position   int    // the chunk's position: GET /documents/{document_id}#chunk-N
	Excerpt    string // the chunk's words around the best match
	// BM25 is FTS5's bm25() over the chunk's text and context: lower (more
	// negative) is better, as the messages index ranks.
	BM25 float64
}

// maxHits bounds Search's limit.
const maxHits = 50

// Search finds the organization's chunks for a question in people's words,
// best first; another organization's documents are never read. The
// question's words (less the commonest English ones) are OR-ed in one FTS5
// query, so that bm25 ranks chunks holding more and rarer of them first.
func (s *Service) Search(ctx context.Context, orgID int64, query string, limit int) ([]Hit, error) {
	if limit <= 0 || limit > maxHits {
		limit = maxHits
	}
	terms := queryTerms(query)
	if len(terms) == 0 {
		return []Hit{}, nil
	}
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"`
	}
	rows, err := s.search.SearchChunks(ctx, storage.ChunkScope{OrgID: orgID}, strings.Join(quoted, " OR "), limit)
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, len(rows))
	for i, r := range rows {
		hits[i] = hitOf(r, terms)
	}
	return hits, nil
}

func hitOf(r storage.ChunkHit, terms []string) Hit {
	return Hit{DocumentID: r.DocumentID, Title: r.Title, Filename: r.Filename, Section: r.Section, Page: r.Page,
		PageEnd: r.PageEnd, Position: r.Position, Excerpt: excerpt(r.Text, terms, excerptWords), BM25: r.BM25}
}

// isStopword tells the words left out of queries: they match nearly
// every chunk.
func isStopword(w string) bool {
	switch w {
	case "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "did", "for", "from", "has", "have",
		"how", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "our", "should", "so", "that", "the",
		"their", "there", "this", "to", "was", "we", "what", "when", "where", "which", "who", "why", "will", "with",
		"you", "your":
		return true
	}
	return false
}

// queryTerms are a question's searchable words, lower case, each once.
func queryTerms(q string) []string {
	seen := map[string]bool{}
	var out []string
	for w := range strings.FieldsFuncSeq(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if isStopword(w) || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// excerptWords is how many words an excerpt shows.
const excerptWords = 40

// excerpt is the window of n words of text holding the most query terms
// (matched on a common stem, as the index's Porter stemmer would), with
// "…" where it cuts the text.
func excerpt(text string, terms []string, n int) string {
	words := strings.Fields(text)
	if len(words) <= n {
		return strings.Join(words, " ")
	}
	stems := make([]string, len(terms))
	for i, t := range terms {
		stems[i] = stem(t)
	}
	match := make([]int, len(words))
	for i, w := range words {
		lw := stem(strings.ToLower(strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })))
		for _, s := range stems {
			if s != "" && lw == s {
				match[i] = 1
				break
			}
		}
	}
	best, bestAt, cur := -1, 0, 0
	for i := range words {
		cur += match[i]
		if i >= n {
			cur -= match[i-n]
		}
		if i >= n-1 && cur > best {
			best, bestAt = cur, i-n+1
		}
	}
	// start a little before the first match in the window, for its context
	for i := bestAt; i < bestAt+n; i++ {
		if match[i] == 1 {
			bestAt = max(0, min(i-5, len(words)-n))
			break
		}
	}
	out := strings.Join(words[bestAt:bestAt+n], " ")
	if bestAt > 0 {
		out = "… " + out
	}
	if bestAt+n < len(words) {
		out += " …"
	}
	return out
}

// stem strips the commonest English suffixes: enough to match "restarting"
// with "restart" in an excerpt; the index itself uses Porter's stemmer.
func stem(w string) string {
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}
