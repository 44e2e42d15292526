package answers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"lore/app/sync"
	"lore/app/validation"
)

// A small history: a thread whose reply answers, a later message that
// changes its fact, a private channel, a channel without threads, noise.
var (
	testChannels = []sync.Channel{{ID: "C1", Name: "general"}, {ID: "C2", Name: "secret", Private: true}, {ID: "C3", Name: "eng"}}
	testHistory  = []msg{
		{channel: "C3", ts: "1700000000.000100", thread: "1700000000.000100", user: "U1", text: "Where do the runbooks live these days?"},
		{channel: "C3", ts: "1700000100.000100", thread: "1700000000.000100", user: "U2", text: "The runbooks are in the Confluence space OPS, under Runbooks, one page per service"},
		{channel: "C3", ts: "1700000200.000100", thread: "1700000000.000100", user: "U1", text: "thanks!"},
		{channel: "C3", ts: "1702000000.000100", user: "U3", text: "We moved the runbooks to Notion, under Engineering, Runbooks. The Confluence space is read-only now."},
		{channel: "C2", ts: "1700001000.000100", user: "U1", text: "The acquisition codename is bluefalcon, signing planned for March"},
		{channel: "C2", ts: "1700001100.000100", user: "U5", text: "<@U5> has joined the channel", subtype: "channel_join"},
		{channel: "C1", ts: "1700100000.000100", user: "U1", text: "how do I expense the team lunch on fridays?"},
		{channel: "C1", ts: "1700100120.000100", user: "U2", text: "Use the Team lunch category in Expensify, up to $20 per person, receipts attached"},
		{channel: "C1", ts: "1700100180.000100", user: "U1", text: "perfect, thanks"},
		{channel: "C1", ts: "1700100400.000100", user: "U3", text: "how do I expense the team lunch?"},
		{channel: "C1", ts: "1700200000.000100", user: "U3", text: "The office plants get watered on Mondays by the facilities team"},
	}
)

func newHistory(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, Options{})
	if _, err := e.store.CreateWorkspace(context.Background(), e.orgID, "T1", "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	e.history(t, "T1", testChannels, testHistory)
	return e
}

func TestPrivateChannelAnswersOnlyInsideIt(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	q := "What is the acquisition codename?"
	inSecret := func(a Answer) bool {
		for _, s := range a.Sources {
			if s.ChannelID == "C2" {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		name string
		r    Request
		want bool
	}{
		{"web", Request{Question: q}, false},
		{"web filtered to the private channel", Request{Question: q, WorkspaceID: "T1", ChannelID: "C2"}, false},
		{"askall elsewhere", Request{Question: q, Scope: Workspace, WorkspaceID: "T1", ChannelID: "C1", Source: SourceAskAll}, false},
		{"ask elsewhere", Request{Question: q, Scope: Channel, WorkspaceID: "T1", ChannelID: "C1", Source: SourceAsk}, false},
		{"askall inside", Request{Question: q, Scope: Workspace, WorkspaceID: "T1", ChannelID: "C2", Source: SourceAskAll}, true},
		{"ask inside", Request{Question: q, Scope: Channel, WorkspaceID: "T1", ChannelID: "C2", Source: SourceAsk}, true},
	} {
		a := e.ask(t, c.r)
		if got := inSecret(a); got != c.want {
			t.Errorf("%s: private channel among the sources %v, want %v (%v)", c.name, got, c.want, keys(a))
		}
		if !c.want && strings.Contains(a.Text, "bluefalcon") {
			t.Errorf("%s: the answer leaks the private channel: %q", c.name, a.Text)
		}
	}
	// Another organization sees nothing of this one.
	other, err := e.store.CreateOrganization(context.Background(), "Other")
	if err != nil {
		t.Fatal(err)
	}
	if a := e.ask(t, Request{OrgID: other.ID, Question: "Where do the runbooks live?"}); len(a.Sources) != 0 || a.Answered {
		t.Errorf("another organization got %v", keys(a))
	}
}

func TestTheReplyAnswersNotTheQuestion(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	// a thread
	a := e.ask(t, Request{Question: "Is there one runbook page per service?"})
	if len(a.Sources) == 0 || a.Sources[0].TS != "1700000100.000100" {
		t.Errorf("thread: sources %v, want the reply first", keys(a))
	}
	// a channel without threads: the answer minutes later, by someone else;
	// the later repeat of the question is never the answer
	a = e.ask(t, Request{Question: "How do I expense the team lunch?"})
	if len(a.Sources) == 0 || a.Sources[0].TS != "1700100120.000100" {
		t.Errorf("no threads: sources %v, want the answer first", keys(a))
	}
	if slices.Contains(keys(a), "general/1700100400.000100") {
		t.Errorf("a message repeating the question is a source: %v", keys(a))
	}
	if !strings.Contains(a.Text, "Team lunch category") || !strings.Contains(a.Text, "Bo Answer") {
		t.Errorf("the answer does not quote the answer with its author: %q", a.Text)
	}
}

func TestLaterMessageSupersedes(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	a := e.ask(t, Request{Question: "Where are the runbooks?"})
	if len(a.Sources) == 0 || a.Sources[0].TS != "1702000000.000100" {
		t.Fatalf("sources %v, want the later message (Notion) first", keys(a))
	}
	if !strings.Contains(a.Text, "Notion") {
		t.Errorf("answer %q does not say Notion", a.Text)
	}
}

func TestNoiseNeverRanks(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	a := e.ask(t, Request{Question: "who joined the channel?", Scope: Channel, WorkspaceID: "T1", ChannelID: "C2", Source: SourceAsk})
	for _, s := range a.Sources {
		if s.TS == "1700001100.000100" {
			t.Errorf("a join is a source: %v", keys(a))
		}
	}
}

func TestThresholdAtZeroAndHundred(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	e.setSettings(t, map[string]any{"confidence_threshold": 0})
	a := e.ask(t, Request{Question: "When do office plants get watered?"})
	if !a.Answered || len(a.Sources) == 0 {
		t.Errorf("threshold 0: answered %v with %v", a.Answered, keys(a))
	}
	e.setSettings(t, map[string]any{"confidence_threshold": 100})
	a = e.ask(t, Request{Question: "When do office plants get watered?"})
	if a.Answered || !strings.HasPrefix(a.Text, NotConfident) || len(a.Sources) == 0 {
		t.Errorf("threshold 100: answered %v, text %q, sources %v; want a refusal with the nearest sources", a.Answered, a.Text, keys(a))
	}
	if a.Confidence >= 100 {
		t.Errorf("confidence %d", a.Confidence)
	}
	// A question the history has nothing for: never answered.
	e.setSettings(t, map[string]any{"confidence_threshold": 0})
	if a := e.ask(t, Request{Question: "zzyzx quux?"}); a.Answered || len(a.Sources) != 0 || !strings.HasPrefix(a.Text, NotConfident) {
		t.Errorf("nothing found: %+v", a)
	}
}

func TestLengthsAndTones(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	e.setSettings(t, map[string]any{"confidence_threshold": 0})
	q := Request{Question: "Where do the runbooks live, Confluence or Notion?"}
	for length, max := range map[string]int{"concise": 1, "balanced": 3, "detailed": 5} {
		e.setSettings(t, map[string]any{"ai_response_length": length})
		a := e.ask(t, q)
		if len(a.Sources) == 0 || len(a.Sources) > max {
			t.Errorf("%s: %d sources, want 1-%d", length, len(a.Sources), max)
		}
		if length == "concise" && len(a.Sources) != 1 {
			t.Errorf("concise: %d sources", len(a.Sources))
		}
	}
	// detailed quotes a reply's question before it
	e.setSettings(t, map[string]any{"ai_response_length": "detailed"})
	a := e.ask(t, Request{Question: "Is there one runbook page per service?"})
	if !strings.Contains(a.Text, tones["professional"].inReplyTo) || !strings.Contains(a.Text, "Where do the runbooks live these days?") {
		t.Errorf("detailed answer lacks the thread's question: %q", a.Text)
	}
	e.setSettings(t, map[string]any{"ai_response_length": "balanced"})
	seen := map[string]bool{}
	for _, tone := range []string{"professional", "casual", "technical"} {
		e.setSettings(t, map[string]any{"ai_tone": tone})
		a := e.ask(t, q)
		if !strings.HasPrefix(a.Text, tones[tone].intro) {
			t.Errorf("%s: answer %q does not open with %q", tone, a.Text, tones[tone].intro)
		}
		first := strings.SplitN(a.Text, "\n", 2)[0]
		if seen[first] {
			t.Errorf("%s: same framing as another tone: %q", tone, first)
		}
		seen[first] = true
	}
}

func TestSourcesCarryPermalinksAndNames(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	a := e.ask(t, Request{Question: "Is there one runbook page per service?"})
	if len(a.Sources) == 0 {
		t.Fatal("no sources")
	}
	s := a.Sources[0]
	want := "https://acme-corp.slack.com/archives/C3/p1700000100000100?thread_ts=1700000000.000100&cid=C3"
	if s.Kind != KindMessage || s.Permalink != want || s.UserName != "Bo Answer" || s.ChannelName != "eng" {
		t.Errorf("source %+v; want permalink %s", s, want)
	}
	if !strings.Contains(a.Text, want) {
		t.Errorf("the answer does not link its source: %q", a.Text)
	}
}

func TestBadQuestions(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	for _, q := range []string{"", "   ", strings.Repeat("x", MaxQuestionLength+1)} {
		_, err := e.svc.Ask(context.Background(), Request{OrgID: e.orgID, Question: q})
		var ve *validation.Error
		if !errors.As(err, &ve) || ve.Fields["question"] == "" {
			t.Errorf("question of %d characters: %v, want a validation error naming question", len(q), err)
		}
	}
	if _, err := e.svc.Ask(context.Background(), Request{OrgID: e.orgID, Question: strings.Repeat("x", MaxQuestionLength)}); err != nil {
		t.Errorf("a question of exactly %d characters: %v", MaxQuestionLength, err)
	}
	var ve *validation.Error
	if _, err := e.svc.Ask(context.Background(), Request{OrgID: e.orgID, Question: "x", Source: "email"}); !errors.As(err, &ve) || ve.Fields["source"] == "" {
		t.Errorf("an unknown source: %v", err)
	}
	if _, err := e.svc.Ask(context.Background(), Request{OrgID: e.orgID, Question: "x", Scope: Channel}); !errors.Is(err, ErrBadScope) {
		t.Errorf("/ask without its channel: %v", err)
	}
	e.setSettings(t, map[string]any{"web_qa_enabled": false})
	if _, err := e.svc.Ask(context.Background(), Request{OrgID: e.orgID, Question: "runbooks?"}); !errors.Is(err, ErrWebQADisabled) {
		t.Errorf("web questions turned off: %v", err)
	}
	// Slack's commands are not the web page
	if _, err := e.svc.Ask(context.Background(), Request{OrgID: e.orgID, Question: "runbooks?", Scope: Channel,
		WorkspaceID: "T1", ChannelID: "C3", Source: SourceAsk}); err != nil {
		t.Errorf("/ask with web questions off: %v", err)
	}
}

func TestQuestionsLogFeedbackAndUnanswered(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	ctx := context.Background()
	answered := e.ask(t, Request{Question: "Is there one runbook page per service?", AskedBy: "user:1"})
	missed := e.ask(t, Request{Question: "What is our parental leave policy?", AskedBy: "user:1"})
	private := e.ask(t, Request{Question: "When is the bluefalcon signing?", Scope: Channel, WorkspaceID: "T1",
		ChannelID: "C2", Source: SourceAsk, AskedBy: "slack:U1"})
	if !answered.Answered || missed.Answered || answered.QuestionID == 0 || missed.QuestionID == 0 {
		t.Fatalf("answered %+v, missed %+v", answered, missed)
	}
	if err := e.svc.Feedback(ctx, e.orgID, answered.QuestionID, true); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Feedback(ctx, e.orgID+1, answered.QuestionID, false); err == nil {
		t.Error("feedback from another organization was recorded")
	}
	no := false
	list, err := e.svc.ListQuestions(ctx, e.orgID, &no, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, q := range list {
		ids = append(ids, q.ID)
		if q.Answered {
			t.Errorf("answered question %d in the unanswered list", q.ID)
		}
		if q.ID == private.QuestionID && (q.Question != PrivateQuestion || !q.Private) {
			t.Errorf("private question listed as %+v", q)
		}
		if strings.Contains(q.Question, "bluefalcon") {
			t.Errorf("the list shows a private channel's words: %q", q.Question)
		}
	}
	if !slices.Contains(ids, missed.QuestionID) || slices.Contains(ids, answered.QuestionID) {
		t.Errorf("unanswered list %v; want %d and not %d", ids, missed.QuestionID, answered.QuestionID)
	}
	all, err := e.svc.ListQuestions(ctx, e.orgID, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range all {
		if q.ID == answered.QuestionID && (q.Helpful == nil || !*q.Helpful || q.FeedbackAt == nil) {
			t.Errorf("feedback not recorded: %+v", q)
		}
	}
	logged, err := e.store.Question(ctx, answered.QuestionID)
	if err != nil {
		t.Fatal(err)
	}
	if logged.Source != SourceWeb || logged.AskedBy != "user:1" || logged.Confidence != answered.Confidence ||
		len(logged.Sources) != len(answered.Sources) || logged.Sources[0].TS != answered.Sources[0].TS {
		t.Errorf("logged %+v for %+v", logged, answered)
	}
}

// docs is a Retriever standing for the documents of issue 13.
type docs struct{ asked []Query }

func (d *docs) Retrieve(_ context.Context, q Query) ([]Hit, error) {
	d.asked = append(d.asked, q)
	return []Hit{{Source: Source{DocumentID: 7, Title: "Ops handbook", Position: 2,
		Text: "Runbooks: every service has one in Notion, under Engineering, Runbooks."}, Rank: -20}}, nil
}

// datedDocs is a Retriever of one document that mentions the runbooks'
// old place, dated at (zero for a retriever that gives no date).
type datedDocs struct{ at time.Time }

func (d datedDocs) Retrieve(context.Context, Query) ([]Hit, error) {
	return []Hit{{Source: Source{DocumentID: 7, Title: "Ops handbook", Position: 2, PostedAt: d.at,
		Text: "Runbooks: the runbooks used to be kept in Confluence, ask ops."}, Rank: -5}}, nil
}

// TestADocumentAmongTheSourcesKeepsTheLaterMessageFirst: a document that
// competes with the messages, dated or not, leaves the recency boost to put
// the later Notion message before the Confluence reply it supersedes.
func TestADocumentAmongTheSourcesKeepsTheLaterMessageFirst(t *testing.T) {
	t.Parallel()
	for _, at := range []time.Time{{}, time.Unix(1690000000, 0)} {
		e := newEnv(t, Options{Retrievers: []Retriever{datedDocs{at}}})
		if _, err := e.store.CreateWorkspace(context.Background(), e.orgID, "T1", "Acme Corp"); err != nil {
			t.Fatal(err)
		}
		e.history(t, "T1", testChannels, testHistory)
		a := e.ask(t, Request{Question: "Where are the runbooks?"})
		if len(a.Sources) == 0 || a.Sources[0].TS != "1702000000.000100" {
			t.Errorf("document dated %v: sources %v, want the Notion message first", at, keys(a))
		}
	}
}

// TestDatesBoundTheSourcesNotTheirContext: since and until bound the
// sources a thread brings, while the thread's question, outside them, still
// lends its words to the reply that answers it.
func TestDatesBoundTheSourcesNotTheirContext(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	between := time.Unix(1700000050, 0) // after the thread's question, before its answer
	a := e.ask(t, Request{Question: "Where do the runbooks live?", Until: between})
	for _, s := range a.Sources {
		if !s.PostedAt.Before(between) {
			t.Errorf("until %s: a source of %s (%s)", between, s.PostedAt, s.TS)
		}
	}
	a = e.ask(t, Request{Question: "Where do the runbooks live?", Since: between, Until: time.Unix(1701000000, 0)})
	if !a.Answered || len(a.Sources) == 0 || a.Sources[0].TS != "1700000100.000100" {
		t.Fatalf("since %s: answered %v, sources %v; want the Confluence reply", between, a.Answered, keys(a))
	}
	for _, s := range a.Sources {
		if s.PostedAt.Before(between) {
			t.Errorf("since %s: a source of %s (%s)", between, s.PostedAt, s.TS)
		}
	}
}

func TestDocumentsComeThroughTheRetrieverOnTheWebOnly(t *testing.T) {
	t.Parallel()
	d := &docs{}
	e := newEnv(t, Options{Retrievers: []Retriever{d}})
	if _, err := e.store.CreateWorkspace(context.Background(), e.orgID, "T1", "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	e.history(t, "T1", testChannels, testHistory)
	a := e.ask(t, Request{Question: "Does every service have runbooks in Notion?"})
	var doc *Source
	for i := range a.Sources {
		if a.Sources[i].Kind == KindDocument {
			doc = &a.Sources[i]
		}
	}
	if doc == nil || doc.DocumentID != 7 || !strings.Contains(a.Text, "Ops handbook, part 3") {
		t.Fatalf("no document among %+v; text %q", a.Sources, a.Text)
	}
	if len(d.asked) != 1 || d.asked[0].OrgID != e.orgID || d.asked[0].Match == "" || len(d.asked[0].Terms) == 0 {
		t.Errorf("the retriever was asked %+v", d.asked)
	}
	e.ask(t, Request{Question: "Does every service have runbooks?", Scope: Channel, WorkspaceID: "T1", ChannelID: "C3", Source: SourceAsk})
	e.ask(t, Request{Question: "Does every service have runbooks?", WorkspaceID: "T1", ChannelID: "C3"})
	if len(d.asked) != 1 {
		t.Errorf("documents searched for /ask or a channel filter: %d queries", len(d.asked))
	}
}

func TestSinceAndUntil(t *testing.T) {
	t.Parallel()
	e := newHistory(t)
	before := time.Unix(1701000000, 0)
	a := e.ask(t, Request{Question: "Where are the runbooks?", Until: before})
	if len(a.Sources) == 0 || a.Sources[0].TS != "1700000100.000100" {
		t.Errorf("until: %v, want the Confluence reply first", keys(a))
	}
	for _, s := range a.Sources {
		if !s.PostedAt.Before(before) {
			t.Errorf("until %s: a source of %s", before, s.PostedAt)
		}
	}
	a = e.ask(t, Request{Question: "Where are the runbooks?", Since: before})
	if len(a.Sources) != 1 || a.Sources[0].TS != "1702000000.000100" {
		t.Errorf("since: %v, want the Notion message only", keys(a))
	}
	if _, err := e.svc.Ask(context.Background(), Request{OrgID: e.orgID, Question: "x", Since: before, Until: before}); err == nil {
		t.Error("until equal to since accepted")
	}
}
