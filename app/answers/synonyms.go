package answers

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// synonymGroups are words a team writes for one another: abbreviations
// ("db", "prod"), and the plain word beside the jargon ("undo" and
// "rollback", "sign off" and "approve"). A question asked in one word finds
// the message written in another. Each line is one group; a word may stand
// in several. The table is general office and engineering English, not any
// one team's vocabulary: a term it lacks is matched as written.
var synonymGroups = []string{
	// abbreviations
	"database db", "production prod", "development dev", "environment env", "configuration config",
	"documentation docs", "repository repo", "application app", "authentication auth",
	"kubernetes k8s", "pullrequest pr", "administrator admin", "information info", "organization org",
	"message msg", "department dept", "manager mgr", "maximum max",
	"minimum min", "password passwd pwd", "credentials creds", "statistics stats", "specification spec",
	"temporary temp", "identifier id", "directory dir", "estimate eta",
	// the plain word and the jargon
	"undo revert rollback", "release deploy deployment ship rollout", "approve approval signoff",
	"payment billing invoice", "limit cap maximum", "upload import", "spreadsheet csv excel xlsx",
	"cancel delete close", "data records", "customer client", "amount budget stipend allowance",
	"reimburse expense", "vacation pto holiday leave timeoff", "salary payroll paycheck",
	"laptop computer", "fast fastest quick quickest quickly", "error fail failure", "bug defect", "outage incident downtime",
	"meeting sync standup", "fix patch hotfix", "host hostname domain", "restart reboot",
	"credential secret", "keep retain retention", "purchase buy order", "employee staff",
	"sick illness", "permission access", "onboarding setup", "link url",
}

// phrases are two words the table knows as one ("sign off" is "signoff"),
// joined wherever they stand together in a question or a message.
var phrases = map[[2]string]string{
	{"sign", "off"}: "signoff", {"roll", "back"}: "rollback", {"time", "off"}: "timeoff",
	{"pull", "request"}: "pullrequest", {"pull", "requests"}: "pullrequest", {"set", "up"}: "setup",
	// a question's "how long" asks for a duration, "how much" for an amount
	{"how", "long"}: "duration", {"how", "much"}: "amount",
}

// joinPhrases adds the joined word after each phrase of ws. With replace,
// the phrase's two words give way to it (a question's terms); without, they
// stay (a message's words, matched either way).
func joinPhrases(ws []string, replace bool) []string {
	var out []string
	for i := 0; i < len(ws); i++ {
		if i+1 < len(ws) {
			if j, ok := phrases[[2]string{ws[i], ws[i+1]}]; ok {
				if out == nil {
					out = append(make([]string, 0, len(ws)+1), ws[:i]...)
				}
				if !replace {
					out = append(out, ws[i], ws[i+1])
				}
				out = append(out, j)
				i++
				continue
			}
		}
		if out != nil {
			out = append(out, ws[i])
		}
	}
	if out == nil {
		return ws
	}
	return out
}

// Variant is another word for a term (synonymGroups), as the index knows it.
type Variant struct {
	Word string // as the table writes it, quoted in the FTS5 query
	Stem string // the index's term for it
	DF   int64  // messages holding it, as of the last statistics refresh
}

// loadLexicon stems the tables through the index's own tokenizer.
func (s *Service) loadLexicon(ctx context.Context) (lexicon, error) {
	var all []string
	for _, g := range synonymGroups {
		all = append(all, strings.Fields(g)...)
	}
	for _, v := range valueShapes {
		all = append(all, strings.Fields(v.words)...)
	}
	for _, g := range contrastGroups {
		all = append(all, strings.Fields(strings.ReplaceAll(g, ",", " "))...)
	}
	stems, err := s.stems(ctx, all)
	if err != nil {
		return lexicon{}, fmt.Errorf("answers: lexicon: %w", err)
	}
	stemOf := make(map[string]string, len(all))
	for i, w := range all {
		stemOf[w] = stems[i]
	}
	lx := lexicon{synonyms: map[string][]Variant{}, shapes: map[string]*regexp.Regexp{}, contrast: map[string][]alternative{}}
	for _, g := range synonymGroups {
		ws := strings.Fields(g)
		for _, w := range ws {
			st := stemOf[w]
			for _, o := range ws {
				if so := stemOf[o]; so != st && !hasStem(lx.synonyms[st], so) {
					lx.synonyms[st] = append(lx.synonyms[st], Variant{Word: o, Stem: so})
				}
			}
		}
	}
	for _, v := range valueShapes {
		for _, w := range strings.Fields(v.words) {
			lx.shapes[stemOf[w]] = v.shape
		}
	}
	for k, g := range contrastGroups {
		for a, alt := range strings.Split(g, ",") {
			for _, w := range strings.Fields(alt) {
				lx.contrast[stemOf[w]] = append(lx.contrast[stemOf[w]], alternative{k, a})
			}
		}
	}
	return lx, nil
}

func hasStem(vs []Variant, stem string) bool {
	for _, v := range vs {
		if v.Stem == stem {
			return true
		}
	}
	return false
}

// valueShapes are the kinds of value a question may ask for by naming them
// ("which port", "up to what amount"), each as a message writes the value:
// "vpn.example.io:51820" answers "what host and port" without either word.
// A message holding the shape matches the word at synonymWeight.
var valueShapes = []struct {
	words string
	shape *regexp.Regexp
}{
	{"port", regexp.MustCompile(`[a-z0-9\]]:\d{2,5}\b|\bport \d{2,5}\b`)},
	{"host hostname domain address url", regexp.MustCompile(`\b[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|io|net|org|dev|app|co|ai|cloud|internal|local)\b|https?://`)},
	{"amount price cost budget fee stipend allowance", regexp.MustCompile(`[$€£]\s?\d|\b\d[\d,.]*\s?(usd|eur|gbp|dollars|euros)\b`)},
	{"percentage percent", regexp.MustCompile(`\d\s?%|\bpercent\b`)},
	{"duration period", regexp.MustCompile(`\b\d+(\.\d+)?[ -]?(business |working |calendar )?(second|minute|hour|day|week|month|year)s?\b`)},
	{"email", regexp.MustCompile(`[^\s@]+@[a-z0-9-]+\.[a-z.]+`)},
}

// contrastGroups are alternatives of one kind: a question about production
// is not answered by a message about staging. Each line is one kind, its
// alternatives separated by commas, each alternative's words by spaces.
var contrastGroups = []string{
	"production prod, staging, development dev, sandbox",
	"ios iphone ipad, android, windows, macos mac osx, linux",
}

// lexicon is the synonym, shape and contrast tables as index terms.
type lexicon struct {
	synonyms map[string][]Variant
	shapes   map[string]*regexp.Regexp
	// contrast maps a term to its kind and alternative, for each kind it
	// names an alternative of
	contrast map[string][]alternative
}

// alternative is one alternative of a contrast kind.
type alternative struct{ kind, alt int }

// alternatives are the contrast alternatives the question's terms name, by kind.
func (lx lexicon) alternatives(terms []Term) map[int]map[int]bool {
	out := map[int]map[int]bool{}
	for _, t := range terms {
		for _, a := range lx.contrast[t.Stem] {
			if out[a.kind] == nil {
				out[a.kind] = map[int]bool{}
			}
			out[a.kind][a.alt] = true
		}
	}
	return out
}

// elsewhere tells whether words name, for a kind the question names, only
// other alternatives than the question's.
func (lx lexicon) elsewhere(asked map[int]map[int]bool, stemOf stemFunc, lists ...[]string) bool {
	if len(asked) == 0 {
		return false
	}
	other, same := map[int]bool{}, map[int]bool{}
	for _, list := range lists {
		for _, w := range list {
			for _, a := range lx.contrast[stemOf(w)] {
				if alts := asked[a.kind]; alts != nil {
					if alts[a.alt] {
						same[a.kind] = true
					} else {
						other[a.kind] = true
					}
				}
			}
		}
	}
	for k := range other {
		if !same[k] {
			return true
		}
	}
	return false
}
