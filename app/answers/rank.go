package answers

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"lore/storage"
)

const (
	// candidateLimit is how many index hits are ranked.
	candidateLimit = 40
	// fallbackScan is how many of the newest matches of a query of common
	// terms are read.
	fallbackScan = 200
	// expandLimit is how many of the best hits bring their conversation.
	expandLimit = 8
	// threadLimit bounds the messages read of one thread.
	threadLimit = 40
	// runWindow is how long after a message in a channel without threads its
	// answers come, and how long before it its question came.
	runWindow = 30 * time.Minute
	// runLimit bounds the messages of one such run.
	runLimit = 10
	// perConversation bounds the sources taken from one conversation.
	perConversation = 2
	// maxRecencyBoost is the boost of the newest of the competing candidates:
	// when a later message changes an earlier fact, the later one wins, yet an
	// old exact answer still beats a fresh vague one.
	maxRecencyBoost = 1.5
	// competing is the share of the best score a candidate needs to be among
	// those the recency boost orders.
	competing = 0.5
	// substantial is how many content words make a message worth quoting
	// in full; fewer weigh it down in proportion.
	substantial = 8
)

// confTop is how many of the best candidates confidence is read from: the
// recency boost may put a fresher, less complete source first.
const confTop = 2

// conversation is a thread, or in a channel without threads a question and
// the messages that follow it from other people within runWindow.
type conversation struct {
	key     string
	root    int64 // the message that opened it
	asker   string
	members []storage.MessageHit
	asks    bool // the opening message asks something
	bestRel float64
}

// candidate is a message (or document chunk) that may be a source.
type candidate struct {
	hit     storage.MessageHit
	doc     *Hit
	conv    *conversation
	rank    float64 // bm25 rank when the index found it, else 0
	words   []string
	context []string // the words that lend it context (thread or run)
	rel     float64  // bm25 rank normalised: min(1, -rank / (2.2 Σ idf) / 0.5)
	cov     float64  // idf²-weighted share of the terms in its text and context
	own     float64  // the same share in its own text
	matched int      // terms found in its text and context
	role    float64
	score   float64
	// elsewhere: it names another alternative than the question's
	// (staging, asked about production) and not the question's
	elsewhere bool
	// lends: it is outside the question's dates, read for the context it
	// lends its conversation and never a source
	lends bool
}

// result is a ranked retrieval.
type result struct {
	plan       Plan
	candidates []*candidate // best first
	confidence int
}

// retrieve plans the question, searches the scope and ranks what it found.
func (s *Service) retrieve(ctx context.Context, r Request) (result, error) {
	p, err := s.plan(ctx, r.Question)
	if err != nil {
		return result{}, err
	}
	res := result{plan: p}
	if p.Match == "" {
		return res, nil
	}
	var hits []storage.MessageHit
	if p.Fallback {
		// Every term is common: scoring all their matches would take a
		// second; the newest matches, those of the two rarest terms
		// together first, ranked here, stand for them.
		hits, err = s.recent(ctx, p, r.messageScope())
	} else {
		hits, err = s.search.SearchRanked(ctx, p.Match, r.messageScope(), candidateLimit)
	}
	if err != nil {
		return result{}, err
	}
	cands, err := s.expand(ctx, hits, r.Since, r.Until)
	if err != nil {
		return result{}, err
	}
	if r.Scope == Web && r.ChannelID == "" {
		for _, rt := range s.retrievers {
			docs, err := rt.Retrieve(ctx, Query{OrgID: r.OrgID, Match: p.Match, Terms: p.Terms, Since: r.Since,
				Until: r.Until, Limit: candidateLimit, SumIDF: p.SumIDF})
			if err != nil {
				return result{}, err
			}
			for i := range docs {
				d := &docs[i]
				cands = append(cands, &candidate{doc: d, rank: d.Rank, words: joinPhrases(words(d.Source.Text), false),
					context: joinPhrases(words(d.Context), false)})
			}
		}
	}
	if cands, err = s.score(ctx, p, cands); err != nil {
		return result{}, err
	}
	res.candidates = cands
	for i, c := range cands {
		if i == confTop {
			break
		}
		if v := confidence(c, p); v > res.confidence && c.score > 0 {
			res.confidence = v
		}
	}
	return res, nil
}

// recent reads the newest matches of a plan whose terms are all common: of
// its two rarest terms together, then of the rarest alone, at most
// fallbackScan in all, each once. It ranks their text (rankRecent) and reads
// the best candidateLimit of them whole, best first.
func (s *Service) recent(ctx context.Context, p Plan, scope storage.MessageScope) ([]storage.MessageHit, error) {
	var texts []storage.MessageText
	if p.Narrow != "" {
		var err error
		if texts, err = s.search.SearchRecent(ctx, p.Narrow, scope, fallbackScan/2); err != nil {
			return nil, err
		}
	}
	more, err := s.search.SearchRecent(ctx, p.Match, scope, fallbackScan)
	if err != nil {
		return nil, err
	}
	seen := make(map[int64]bool, len(texts))
	for _, t := range texts {
		seen[t.ID] = true
	}
	for _, t := range more {
		if len(texts) == fallbackScan {
			break
		}
		if !seen[t.ID] {
			texts = append(texts, t)
		}
	}
	ranks, err := s.rankRecent(ctx, p, texts)
	if err != nil {
		return nil, err
	}
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpDesc(ranks[b], ranks[a]) })
	order = order[:min(len(order), candidateLimit)]
	ids := make([]int64, len(order))
	rankOf := make(map[int64]float64, len(order))
	for i, at := range order {
		ids[i] = texts[at].ID
		rankOf[ids[i]] = ranks[at]
	}
	hits, err := s.search.MessagesByID(ctx, ids, scope)
	if err != nil {
		return nil, err
	}
	for i := range hits {
		hits[i].Rank = rankOf[hits[i].ID]
	}
	return hits, nil
}

// stemFunc returns a word's index term.
type stemFunc func(w string) string

// stemsOf returns the index term of every word of lists: the cache's, and
// for the words it lacks FTS5's tokenizer's, in one pass. It reads the cache
// as it was at the call (a full cache is replaced, never cleared), so that
// a retrieval's thousands of words need no map of their own.
func (s *Service) stemsOf(ctx context.Context, lists ...[]string) (stemFunc, error) {
	var missing []string
	s.mu.RLock()
	cache := s.stemCache
	for _, l := range lists {
		for _, w := range l {
			if _, ok := cache[w]; !ok {
				missing = append(missing, w)
			}
		}
	}
	s.mu.RUnlock()
	var fetched map[string]string
	if len(missing) > 0 {
		stems, err := s.stems(ctx, missing)
		if err != nil {
			return nil, err
		}
		fetched = make(map[string]string, len(missing))
		for i, w := range missing {
			fetched[w] = stems[i]
		}
	}
	return func(w string) string {
		s.mu.RLock()
		st, ok := cache[w]
		s.mu.RUnlock()
		if !ok {
			st = fetched[w]
		}
		return st
	}, nil
}

// FTS5's bm25 parameters.
const bm25K1, bm25B = 1.2, 0.75

// rankRecent gives the texts SearchRecent found unranked the rank FTS5's
// bm25 would give them (the thread context column left out) for a query of
// all the question's terms: each word weighted by its idf as of the last
// statistics refresh, lengths measured against the texts' own average.
// Negative, as SQLite's; 0 for a text holding none of the terms.
func (s *Service) rankRecent(ctx context.Context, p Plan, texts []storage.MessageText) ([]float64, error) {
	ranks := make([]float64, len(texts))
	if len(texts) == 0 {
		return ranks, nil
	}
	idfs := map[string]float64{}
	for _, t := range p.Terms {
		idfs[t.Stem] = idf(p.Messages, t.DF)
		for _, v := range t.Variants {
			idfs[v.Stem] = idf(p.Messages, v.DF)
		}
	}
	ws := make([][]string, len(texts))
	total := 0
	for i, t := range texts {
		ws[i] = words(t.Body)
		total += len(ws[i])
	}
	stemOf, err := s.stemsOf(ctx, ws...)
	if err != nil {
		return nil, err
	}
	avg := max(1, float64(total)/float64(len(texts)))
	tf := map[string]float64{}
	for i := range texts {
		clear(tf)
		for _, w := range ws[i] {
			if st := stemOf(w); idfs[st] > 0 {
				tf[st]++
			}
		}
		var score float64
		for st, f := range tf {
			score += idfs[st] * f * (bm25K1 + 1) / (f + bm25K1*(1-bm25B+bm25B*float64(len(ws[i]))/avg))
		}
		ranks[i] = -score
	}
	return ranks, nil
}

// expand turns index hits into candidates, with the conversation of the
// best of them: a thread's messages, or the run of messages around one in a
// channel without threads, so that the reply that answers is found and
// quoted rather than the question. A conversation's messages posted outside
// [since, until) (zero for no bound) only lend their words as context
// (lends): the filters bound what is cited.
func (s *Service) expand(ctx context.Context, hits []storage.MessageHit, since, until time.Time) ([]*candidate, error) {
	within := func(h storage.MessageHit) bool {
		return (since.IsZero() || !h.PostedAt.Before(since)) && (until.IsZero() || h.PostedAt.Before(until))
	}
	byID := map[int64]*candidate{}
	var out []*candidate
	add := func(h storage.MessageHit, conv *conversation) *candidate {
		if c := byID[h.ID]; c != nil {
			if c.conv == nil {
				c.conv = conv
			}
			return c
		}
		c := &candidate{hit: h, conv: conv, words: joinPhrases(words(h.Body), false)}
		byID[h.ID] = c
		out = append(out, c)
		return c
	}
	ranks := map[int64]float64{}
	for _, h := range hits {
		ranks[h.ID] = h.Rank
	}
	convs := map[string]*conversation{}
	for i, h := range hits {
		if i >= expandLimit {
			add(h, nil)
			continue
		}
		conv, err := s.conversationOf(ctx, h, convs)
		if err != nil {
			return nil, err
		}
		for _, m := range conv.members {
			add(m, conv).lends = !within(m)
		}
		add(h, conv).lends = false
	}
	for _, c := range out {
		if r, ok := ranks[c.hit.ID]; ok {
			c.rank = r
		}
	}
	return out, nil
}

// conversationOf returns the conversation a hit belongs to, reading it once.
func (s *Service) conversationOf(ctx context.Context, h storage.MessageHit, convs map[string]*conversation) (*conversation, error) {
	base := h.WorkspaceID + "/" + h.ChannelID + "/"
	if h.ThreadTS != "" {
		key := base + h.ThreadTS
		if c := convs[key]; c != nil {
			return c, nil
		}
		ms, err := s.search.ThreadMessages(ctx, h.WorkspaceID, h.ChannelID, h.ThreadTS, threadLimit)
		if err != nil {
			return nil, err
		}
		c := &conversation{key: key, members: ms}
		for _, m := range ms {
			if m.TS == h.ThreadTS {
				c.root, c.asker, c.asks = m.ID, author(m), asks(m.Body)
			}
		}
		// a thread with replies only (its parent never stored) opens with its first
		if c.root == 0 && len(ms) > 0 {
			c.root, c.asker, c.asks = ms[0].ID, author(ms[0]), asks(ms[0].Body)
		}
		convs[key] = c
		return c, nil
	}
	// A channel without threads: the question is this message if it asks,
	// else the nearest earlier one by someone else that asks. One read
	// covers both sides of the hit.
	t := h.PostedAt
	around, err := s.search.ChannelRun(ctx, h.WorkspaceID, h.ChannelID, h.TS, tsAt(t.Add(-runWindow)), tsAt(t.Add(runWindow)), runLimit, runLimit+1)
	if err != nil {
		return nil, err
	}
	at := slices.IndexFunc(around, func(m storage.MessageHit) bool { return m.ID == h.ID })
	if at < 0 {
		around, at = append([]storage.MessageHit{h}, around...), 0
	}
	root := at
	if !asks(h.Body) {
		for i := at - 1; i >= 0 && i >= at-runLimit; i-- {
			if b := around[i]; asks(b.Body) && author(b) != author(h) {
				root = i
				break
			}
		}
	}
	key := base + around[root].TS
	if c := convs[key]; c != nil {
		return c, nil
	}
	members := []storage.MessageHit{around[root]}
	end := around[root].PostedAt.Add(runWindow)
	for _, m := range around[root+1:] {
		if len(members) > runLimit || m.PostedAt.After(end) {
			break
		}
		members = append(members, m)
	}
	c := &conversation{key: key, root: around[root].ID, asker: author(around[root]), asks: asks(around[root].Body), members: members}
	convs[key] = c
	return c, nil
}

// tsAt is t as a Slack ts.
func tsAt(t time.Time) string {
	return storage.TSOf(t)
}

// author identifies who wrote a message (a person or a bot).
func author(m storage.MessageHit) string {
	if m.UserID != "" {
		return m.UserID
	}
	return "bot:" + m.BotID + m.AuthorName
}

// asks tells whether a message asks something.
func asks(body string) bool { return strings.Contains(body, "?") }

// score computes every candidate's coverage, relevance, role and score, and
// returns those that may be sources best first, the recency boost applied
// among the best.
func (s *Service) score(ctx context.Context, p Plan, cands []*candidate) ([]*candidate, error) {
	// One stemming pass over every word of every candidate.
	lists := make([][]string, 0, 2*len(cands))
	for _, c := range cands {
		lists = append(lists, c.words, c.context)
	}
	stemOf, err := s.stemsOf(ctx, lists...)
	if err != nil {
		return nil, err
	}
	// each index term stands for the question's terms it is or is a
	// variant of, at full weight or synonymWeight
	type stand struct {
		term int
		w    float64
	}
	terms := map[string][]stand{}
	qstems := map[string]bool{}
	qalts := s.lexicon.alternatives(p.Terms)
	for i, t := range p.Terms {
		terms[t.Stem] = append(terms[t.Stem], stand{i, 1})
		qstems[t.Stem] = true
		for _, v := range t.Variants {
			terms[v.Stem] = append(terms[v.Stem], stand{i, synonymWeight})
			qstems[v.Stem] = true
		}
	}
	// found is the idf²-weighted share of the terms c holds (in its text, and
	// in its context too when asked), and how many: a value of the shape a
	// term names counts as a variant of it, in the text alone.
	found := func(c *candidate, withContext bool) (float64, int) {
		hit := map[int]float64{}
		lists := [][]string{c.words}
		if withContext {
			lists = append(lists, c.context)
		}
		for _, list := range lists {
			for _, w := range list {
				for _, sd := range terms[stemOf(w)] {
					hit[sd.term] = max(hit[sd.term], sd.w)
				}
			}
		}
		for i, t := range p.Terms {
			if t.shape != nil && hit[i] < synonymWeight && t.shape.MatchString(strings.ToLower(textOf(c))) {
				hit[i] = synonymWeight
			}
		}
		var sum float64
		for i, w := range hit {
			sum += w * p.Terms[i].IDF * p.Terms[i].IDF
		}
		if p.weights == 0 {
			return 0, len(hit)
		}
		return sum / p.weights, len(hit)
	}

	byID := map[int64]*candidate{}
	for _, c := range cands {
		if c.doc == nil {
			byID[c.hit.ID] = c
		}
	}
	for _, c := range cands {
		if c.rank < 0 && p.SumIDF > 0 {
			c.rel = math.Min(1, -c.rank/(2.2*p.SumIDF)/0.5)
		}
		if c.conv != nil && c.rel > c.conv.bestRel {
			c.conv.bestRel = c.rel
		}
	}
	for _, c := range cands {
		if c.doc == nil && c.conv != nil {
			c.context = contextWords(c, byID)
		}
		c.cov, c.matched = found(c, true)
		c.own, _ = found(c, false)
		c.elsewhere = s.lexicon.elsewhere(qalts, stemOf, c.words, c.context)
		if c.rank == 0 && c.conv != nil {
			// found through its conversation: the index would have put the
			// conversation's words in its context column
			c.rel = c.conv.bestRel
		}
		c.role = role(c, qstems, stemOf)
		content := 0
		for _, w := range c.words {
			if !stopWords[w] {
				content++
			}
		}
		// an acknowledgement ("thanks, will do") says nothing
		substance := math.Min(1, float64(content)/substantial)
		c.score = (0.6*c.cov + 0.4*c.rel) * c.role * substance * (0.6 + 0.4*c.own)
		if c.elsewhere {
			c.score /= 2
		}
	}
	cands = slices.DeleteFunc(cands, func(c *candidate) bool { return c.lends })
	slices.SortStableFunc(cands, func(a, b *candidate) int { return cmpDesc(a.score, b.score) })
	recencyBoost(cands)
	slices.SortStableFunc(cands, func(a, b *candidate) int { return cmpDesc(a.score, b.score) })
	return cands, nil
}

// contextWords are the words that lend a message context in its
// conversation, as the index's context column does for threads: for a reply,
// the question's; for the question, its first answers'.
func contextWords(c *candidate, byID map[int64]*candidate) []string {
	if c.hit.ID != c.conv.root {
		if r := byID[c.conv.root]; r != nil {
			return r.words
		}
		return nil
	}
	var out []string
	n := 0
	for _, m := range c.conv.members {
		if m.ID == c.conv.root || author(m) == c.conv.asker {
			continue
		}
		if o := byID[m.ID]; o != nil {
			out = append(out, o.words...)
		}
		if n++; n == 3 {
			break
		}
	}
	return out
}

// role weighs what a message is in its conversation: the answer from
// someone else to a question counts fully, as does a statement that opens a
// conversation (an announcement); comments on a statement less; the
// question itself, the asker's follow-ups and other questions less still; a
// message that only repeats the question not at all.
func role(c *candidate, qstems map[string]bool, stemOf stemFunc) float64 {
	if c.doc != nil {
		return 1
	}
	asking := asks(c.hit.Body)
	if asking && repeats(c.words, qstems, stemOf) {
		return 0
	}
	conv := c.conv
	if conv == nil || len(conv.members) <= 1 || c.hit.ID == conv.root {
		if asking {
			return 0.5
		}
		return 1
	}
	switch {
	case asking:
		return 0.5
	case author(c.hit) == conv.asker:
		return 0.4
	case !conv.asks:
		return 0.7
	}
	return 1
}

// answersAQuestion tells whether a message replies to (or follows) a
// question from someone else in its conversation.
func answersAQuestion(c *candidate) bool {
	return c.conv != nil && c.conv.asks && c.hit.ID != c.conv.root && author(c.hit) != c.conv.asker
}

// repeats tells whether a question-like message says little beyond the
// question's own terms: never an answer.
func repeats(ws []string, qstems map[string]bool, stemOf stemFunc) bool {
	var content, shared int
	for _, w := range ws {
		if stopWords[w] {
			continue
		}
		content++
		if qstems[stemOf(w)] {
			shared++
		}
	}
	return content == 0 || float64(shared)/float64(content) >= 0.5
}

// recencyBoost multiplies the scores of the competing candidates (those
// within competing of the best) by up to maxRecencyBoost, in proportion to
// how late each was posted among them. A source without a date (a
// retriever's that gives none) is left as it is, and does not stretch the
// span the others are placed in.
func recencyBoost(cands []*candidate) {
	if len(cands) < 2 || cands[0].score <= 0 {
		return
	}
	var top []*candidate
	var first, last time.Time
	for _, c := range cands {
		if c.score < competing*cands[0].score || len(top) == 10 {
			continue
		}
		top = append(top, c)
		switch t := posted(c); {
		case t.IsZero():
		case first.IsZero():
			first, last = t, t
		case t.Before(first):
			first = t
		case t.After(last):
			last = t
		}
	}
	span := last.Sub(first)
	if span <= 0 {
		return
	}
	for _, c := range top {
		if t := posted(c); !t.IsZero() {
			c.score *= 1 + (maxRecencyBoost-1)*float64(t.Sub(first))/float64(span)
		}
	}
}

// textOf is a candidate's own text.
func textOf(c *candidate) string {
	if c.doc != nil {
		return c.doc.Source.Text
	}
	return c.hit.Body
}

func posted(c *candidate) time.Time {
	if c.doc != nil {
		return c.doc.Source.PostedAt
	}
	return c.hit.PostedAt
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// confidence is how sure Lore is that a source answers the question, from 0
// to 100 (README, "How confident"); an answer's confidence is the highest of
// its two best sources':
//
//	100 × (0.6 × coverage + 0.4 × min(1, −bm25 / (2.2 × Σ idf) / 0.5))
//
// coverage is the idf²-weighted share of the question's content terms that
// the best source holds in its text or its conversation's context (a
// variant or a value of the shape a term names counting synonymWeight of
// it): squared, because a question is about its rarest words, and a source
// holding only its common ones is about something else; bm25 is
// its rank in the index (SQLite's, negative; 2.2 × Σ idf is the most the
// question's terms can score) and Σ idf is over the question's content
// terms, those the history never mentions at half their idf (unseenWeight). A source that matches
// fewer than two of the terms (when the question has two or more) gets
// half, and so does a source that holds none of them itself unless it
// answers a question that does (a welcome message whose thread mentions the
// VPN is not about the VPN), and so does one about another alternative than
// the question's (staging, asked about production). bm25 scores are not comparable across
// queries; these shares are.
func confidence(best *candidate, p Plan) int {
	v := 100 * (0.6*best.cov + 0.4*best.rel)
	if best.matched < min(2, len(p.Terms)) {
		v /= 2
	}
	if best.own == 0 && !answersAQuestion(best) {
		v /= 2
	}
	if best.elsewhere {
		v /= 2
	}

	return int(math.Round(math.Max(0, math.Min(100, v))))
}
