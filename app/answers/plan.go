package answers

import (
	"context"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Term is one content word of a question, as the index knows it.
type Term struct {
	Word string  // as asked, lower case
	Stem string  // the index's term for it (FTS5's own stemmer)
	DF   int64   // messages holding it, as of the last statistics refresh
	IDF  float64 // FTS5's bm25 idf for DF
	// Variants are the other words for it (synonymGroups) that the index
	// holds; a message with one of them matches the term at synonymWeight.
	Variants []Variant
	shape    *regexp.Regexp // how a message writes the value it names, if it names one (valueShapes)
}

// rows is how many messages hold the term or one of its variants, at most.
func (t Term) rows() int64 {
	n := t.DF
	for _, v := range t.Variants {
		n += v.DF
	}
	return n
}

// synonymWeight is how much a term's variant counts for it: the message may
// mean the same thing in other words, or something near it.
const synonymWeight = 0.8

// Plan is a question turned into a query.
type Plan struct {
	Terms []Term // every content term, each stem once, in question order
	// Query are the terms the FTS5 query ORs: the rarest, within
	// queryBudget.
	Query    []Term
	Fallback bool // even the rarest term matches more than queryBudget rows: it alone, its newest matches
	Match    string
	// Narrow, when Fallback, ANDs the two rarest terms: their newest
	// matches together are read first ("" for a question of one term).
	Narrow   string
	SumIDF   float64 // Σ idf over Terms: the most a message can match
	weights  float64 // Σ idf² over Terms: the whole of coverage
	Messages int64   // messages in the index
}

const (
	// maxQueryTerms and queryBudget bound the OR: at most this many of the
	// rarest terms, and no more rows matching them than the budget. FTS5's
	// bm25 costs 3 to 6 µs a row here (most of it reading each row's length,
	// and more on a busy machine) before the sort, so 1,500 rows keep a
	// search within 5 to 9 ms; a term matching more is common, and its
	// newest matches stand for it (Fallback).
	maxQueryTerms = 6
	queryBudget   = 1500
)

// words splits text as FTS5's unicode61 tokenizer does: runs of letters and
// digits, lower-cased.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r)
	})
}

// contentWords are text's words without stop words and single letters.
func contentWords(text string) []string {
	var out []string
	for _, w := range joinPhrases(words(text), true) {
		if stopWords[w] || (len(w) < 2 && !unicode.IsDigit(rune(w[0]))) {
			continue
		}
		out = append(out, w)
	}
	return out
}

// unseenWeight scales the idf of a word the history never uses: often a
// paraphrase of one it does use ("deadline" for "closes"), so it lowers
// confidence, yet less than a rare word the best source lacks.
const unseenWeight = 0.5

// idf is FTS5's bm25 idf of a term found in df of n rows (never below 1e-6).
// A term the index does not hold gets df 0: the question asks about
// something the history never mentions, which confidence must feel.
func idf(n, df int64) float64 {
	v := math.Log((float64(n) - float64(df) + 0.5) / (float64(df) + 0.5))
	if v <= 0 || math.IsNaN(v) {
		return 1e-6
	}
	return v
}

// plan turns a question into its terms and FTS5 query.
func (s *Service) plan(ctx context.Context, question string) (Plan, error) {
	ws := contentWords(question)
	stems, err := s.stems(ctx, ws)
	if err != nil {
		return Plan{}, err
	}
	var p Plan
	seen := map[string]bool{}
	var lookup []string
	for i, w := range ws {
		st := stems[i]
		if st == "" || seen[st] {
			continue
		}
		seen[st] = true
		p.Terms = append(p.Terms, Term{Word: w, Stem: st, Variants: s.lexicon.synonyms[st], shape: s.lexicon.shapes[st]})
		lookup = append(lookup, st)
		for _, v := range s.lexicon.synonyms[st] {
			lookup = append(lookup, v.Stem)
		}
	}
	stats, err := s.store.TermStats(ctx, lookup)
	if err != nil {
		return Plan{}, err
	}
	p.Messages = stats.Documents
	for i := range p.Terms {
		t := &p.Terms[i]
		t.DF = stats.Terms[t.Stem]
		t.IDF = idf(p.Messages, t.DF)
		var vs []Variant
		var vdf int64
		for _, v := range t.Variants {
			if v.DF = stats.Terms[v.Stem]; v.DF > 0 {
				vs = append(vs, v)
				vdf = max(vdf, v.DF)
			}
		}
		t.Variants = vs
		switch {
		case t.DF == 0 && vdf > 0:
			// the history says it in other words only: as rare as they are
			t.IDF = idf(p.Messages, t.rows())
		case t.DF == 0:
			t.IDF *= unseenWeight
		}
		p.SumIDF += t.IDF
		p.weights += t.IDF * t.IDF
	}
	p.Query, p.Fallback = chooseQuery(p.Terms)
	p.Match = match(p.Query)
	if p.Fallback && len(p.Terms) > 1 {
		two := slices.Clone(p.Terms)
		slices.SortStableFunc(two, func(a, b Term) int { return int(a.rows() - b.rows()) })
		p.Narrow = "(" + match(two[:1]) + ") AND (" + match(two[1:2]) + ")"
	}
	return p, nil
}

// chooseQuery picks the terms of the FTS5 query: the rarest terms, leaving
// out the common ones, within the budget of rows bm25 may score; when even
// the rarest matches more (every term is common), the rarest alone, whose
// newest matches are then read and ranked here. A term without statistics
// is queried first: the history may have gained it since the last refresh,
// and a term the index lacks costs nothing.
func chooseQuery(terms []Term) ([]Term, bool) {
	sorted := slices.Clone(terms)
	slices.SortStableFunc(sorted, func(a, b Term) int { return int(a.rows() - b.rows()) })
	var q []Term
	var rows int64
	for _, t := range sorted {
		if len(q) == maxQueryTerms || rows+t.rows() > queryBudget {
			break
		}
		q = append(q, t)
		rows += t.rows()
	}
	if len(q) > 0 || len(sorted) == 0 {
		return q, false
	}
	return sorted[:1], true
}

// match is the FTS5 expression of the query terms and their variants: each
// word quoted (so that FTS5 stems it as it stemmed the messages), ORed.
func match(q []Term) string {
	var parts []string
	quote := func(w string) string { return `"` + strings.ReplaceAll(w, `"`, `""`) + `"` }
	for _, t := range q {
		parts = append(parts, quote(t.Word))
		for _, v := range t.Variants {
			parts = append(parts, quote(v.Word))
		}
	}
	return strings.Join(parts, " OR ")
}

// stems returns the index terms of words, from the service's cache or, for
// the words it lacks, from FTS5's tokenizer.
func (s *Service) stems(ctx context.Context, ws []string) ([]string, error) {
	out := make([]string, len(ws))
	var missing []string
	s.mu.RLock()
	for i, w := range ws {
		if st, ok := s.stemCache[w]; ok {
			out[i] = st
		} else {
			missing = append(missing, w)
		}
	}
	s.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	got, err := s.stemmer.Stems(ctx, missing)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.stemCache)+len(missing) > stemCacheSize {
		// a simple bound: words come back fast. Replaced, not cleared: a
		// retrieval may still read the old one (stemsOf).
		s.stemCache = make(map[string]string, len(missing))
	}
	found := make(map[string]string, len(missing))
	for i, w := range missing {
		s.stemCache[w] = got[i]
		found[w] = got[i]
	}
	s.mu.Unlock()
	for i, w := range ws {
		if st, ok := found[w]; ok {
			out[i] = st
		}
	}
	return out, nil
}

// stemCacheSize bounds the stem cache: a team's vocabulary is tens of
// thousands of words.
const stemCacheSize = 200_000

// stopWords are English words that say nothing about what is asked.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any anyone anything
		are aren as at be because been before being below between both but by can cannot could couldn
		did didn do does doesn doing don down during each else even ever every few for from further get
		gets getting got had hadn has hasn have haven having he her here hers herself him himself his how
		i if in into is isn it its itself just know let like ll me might more most much must mustn my
		myself need needs no nor not now of off on once one only or other our ours ourselves out over own
		please knows find tell probably perhaps maybe actually basically really roughly approximately kind current currently
	re same shall she should shouldn so some someone something still such than thanks that the
		their theirs them themselves then there these they this those through to too under until up us
		ve very want was wasn way we were weren what whats when where which while who whom whose why will
		with won would wouldn yes yet you your yours yourself yourselves s t d m`) {
		m[w] = true
	}
	return m
}()
