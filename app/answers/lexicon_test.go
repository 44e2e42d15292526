package answers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"lore/app/sync"
	"lore/storage"
)

// lexiconHistory is a team that writes its own words for things.
var lexiconHistory = []msg{
	{channel: "C1", ts: "1700000000.000100", user: "U1", text: "Reminder: the staging db password rotates every 90 days, run make rotate-db"},
	{channel: "C1", ts: "1700010000.000100", user: "U2", text: "Refunds above $500 need Fatima's approval before anyone clicks refund"},
	{channel: "C1", ts: "1700020000.000100", user: "U1", text: "The build cache lives at cache.buildfarm.io:7070 now, point your config there"},
	{channel: "C1", ts: "1700030000.000100", user: "U3", text: "We host the build cache ourselves, it is much cheaper than the vendor"},
	{channel: "C1", ts: "1700040000.000100", user: "U2", text: "If a release goes bad, /rollback web-app puts the previous one back in two minutes"},
	{channel: "C1", ts: "1700050000.000100", user: "U3", text: "Deleted workspaces are kept for 45 days before they are purged"},
	{channel: "C1", ts: "1700060000.000100", user: "U1", text: "Heads up: the metrics server moved to port 9102 from today"},
	{channel: "C1", ts: "1700061000.000100", user: "U3", text: "Do listen to the all-hands recording if you missed it, the roadmap part matters"},
	{channel: "C1", ts: "1700070000.000100", user: "U2", text: "In the cafeteria, the coffee machine is descaled every Friday morning"},
}

func newLexiconHistory(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, Options{})
	if _, err := e.store.CreateWorkspace(context.Background(), e.orgID, "T1", "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	// deploy notices that share the common words of a question and none of
	// its rare ones, among the chatter that makes them common
	h := slices.Clone(lexiconHistory)
	for i, sha := range []string{"6f1489c", "2f32fb5", "b1fe4b2", "faa92a7", "9b02f1a", "e169fd8", "747e848", "1c0ffee"} {
		h = append(h, msg{channel: "C1", ts: fmt.Sprintf("17001%d0000.000100", i), user: "U3",
			text: "web-app " + sha + " is live on production"})
	}
	topics := strings.Fields("lunch parking printer standup roadmap hiring offsite badge plants kitchen")
	for i := range 60 {
		h = append(h, msg{channel: "C1", ts: fmt.Sprintf("17002%02d000.000100", i), user: "U2",
			text: fmt.Sprintf("note %d about the %s and the %s", i, topics[i%10], topics[(i/10+i)%10])})
	}
	e.history(t, "T1", []sync.Channel{{ID: "C1", Name: "eng"}}, h)
	return e
}

// A question asked in other words than the history's finds the message:
// abbreviations, jargon, phrases, and the shape of the value it asks for.
func TestOtherWordsFindTheMessage(t *testing.T) {
	t.Parallel()
	e := newLexiconHistory(t)
	for _, c := range []struct {
		question, want, contains string
	}{
		{"How often does the staging database password change?", "1700000000.000100", "90 days"},            // db
		{"Who has to sign off on a large refund?", "1700010000.000100", "Fatima"},                           // sign off, approval
		{"What host and port is the build cache on?", "1700020000.000100", "cache.buildfarm.io:7070"},       // host:port
		{"A deploy broke the web app, how do I undo it quickly?", "1700040000.000100", "/rollback web-app"}, // undo, rollback
		{"How long do we retain a cancelled workspace?", "1700050000.000100", "45 days"},                    // how long, retain, cancel
	} {
		a := e.ask(t, Request{Question: c.question})
		if len(a.Sources) == 0 || a.Sources[0].TS != c.want {
			t.Errorf("%q: sources %v, want %s first", c.question, keys(a), c.want)
			continue
		}
		if !a.Answered || !strings.Contains(a.Text, c.contains) {
			t.Errorf("%q: answered %v (confidence %d), text %q, want an answer quoting %q", c.question, a.Answered, a.Confidence, a.Text, c.contains)
		}
	}
}

// A source about another alternative than the question's (staging, asked
// about production) is not its answer.
func TestAnotherAlternativeIsNoAnswer(t *testing.T) {
	t.Parallel()
	e := newLexiconHistory(t)
	staging := e.ask(t, Request{Question: "How often is the staging database password rotated?"})
	prod := e.ask(t, Request{Question: "How often is the production database password rotated?"})
	if !staging.Answered {
		t.Errorf("staging: not answered (confidence %d)", staging.Confidence)
	}
	if prod.Answered || prod.Confidence*2 > staging.Confidence+1 {
		t.Errorf("production: answered %v, confidence %d against staging's %d: want refused at about half", prod.Answered, prod.Confidence, staging.Confidence)
	}
}

// A question is about its rarest words: sources holding only its common ones
// do not answer it, however many there are.
func TestRareWordsDecide(t *testing.T) {
	t.Parallel()
	e := newLexiconHistory(t)
	a := e.ask(t, Request{Question: "Which port does web-app listen on in production?"})
	if a.Answered {
		t.Errorf("answered with confidence %d from %v: the notices say nothing of web-app's port", a.Confidence, keys(a))
	}
	a = e.ask(t, Request{Question: "Which port is the metrics server on?"})
	if !a.Answered || len(a.Sources) == 0 || a.Sources[0].TS != "1700060000.000100" {
		t.Errorf("metrics server: answered %v (confidence %d), sources %v", a.Answered, a.Confidence, keys(a))
	}
}

func TestJoinPhrases(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in      string
		replace bool
		want    string
	}{
		{"who has to sign off on it", true, "who has to signoff on it"},
		{"who has to sign off on it", false, "who has to sign off signoff on it"},
		{"how long do we keep it", true, "duration do we keep it"},
		{"roll back", true, "rollback"},
		{"sign", true, "sign"},
		{"nothing to join here", true, "nothing to join here"},
	} {
		if got := strings.Join(joinPhrases(strings.Fields(c.in), c.replace), " "); got != c.want {
			t.Errorf("joinPhrases(%q, %v) = %q, want %q", c.in, c.replace, got, c.want)
		}
	}
}

// A question whose every term is common reads the newest matches, of its two
// rarest terms together first, and ranks them here by bm25 over their text.
func TestCommonTermsReadTheNewestMatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	ctx := context.Background()
	if _, err := e.store.CreateWorkspace(ctx, e.orgID, "T1", "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	if err := e.sync.StoreChannelsAndUsers(ctx, "T1", []sync.Channel{{ID: "C1", Name: "ops"}}, []sync.User{{ID: "U1", RealName: "Ann"}}); err != nil {
		t.Fatal(err)
	}
	dir, err := e.sync.Directory(ctx, "T1")
	if err != nil {
		t.Fatal(err)
	}
	// both terms in more than queryBudget messages, neither in half of them
	var batch []sync.Message
	for i := range 4400 {
		text := fmt.Sprintf("status update %d: lunch is soup and bread", i)
		switch {
		case i%11 < 4:
			text = fmt.Sprintf("status update %d: the dashboard shows all green, nothing to report", i)
		case i%11 == 4:
			text = fmt.Sprintf("status update %d: the dashboard is slow again", i)
		}
		batch = append(batch, sync.Message{Type: "message", TS: fmt.Sprintf("17%08d.000100", i*600), User: "U1", Text: text})
	}
	if _, err := e.sync.StoreMessages(ctx, dir, "T1", "C1", batch); err != nil {
		t.Fatal(err)
	}
	if err := e.store.RefreshTermStats(ctx); err != nil {
		t.Fatal(err)
	}
	r := Request{OrgID: e.orgID, Question: "Is the dashboard green?"}
	if err := checkRequest(&r); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.retrieve(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !res.plan.Fallback || res.plan.Narrow == "" {
		t.Fatalf("plan %+v: want the newest matches of common terms, the two rarest together first", res.plan)
	}
	if len(res.candidates) == 0 {
		t.Fatal("no candidates")
	}
	// the index's hits (the rest came with their conversation) are ranked,
	// and among the newest: the 100 newest holding both terms span about
	// 275 messages, and the 200 newest holding green about 550 more
	newest, ranked := len(batch)-900, 0
	for _, c := range res.candidates {
		if c.rank == 0 {
			continue
		}
		ranked++
		var i int
		fmt.Sscanf(c.hit.Body, "status update %d", &i)
		if i < newest || !strings.Contains(c.hit.Body, "dashboard") {
			t.Errorf("%s is message %d, %q: not among the newest matches", c.hit.TS, i, c.hit.Body)
		}
	}
	if ranked != candidateLimit {
		t.Errorf("%d ranked hits, want %d", ranked, candidateLimit)
	}
}

// rankRecent ranks as FTS5's bm25 does: more of the terms, and a shorter
// text, rank higher.
func TestRankRecent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	p := Plan{Messages: 1000, Terms: []Term{{Word: "dashboard", Stem: "dashboard", DF: 600}, {Word: "green", Stem: "green", DF: 300}}}
	texts := []storage.MessageText{
		{ID: 1, Body: "the dashboard is " + strings.Repeat("very ", 30) + "slow"},
		{ID: 2, Body: "the dashboard is slow"},
		{ID: 3, Body: "the dashboard is green"},
		{ID: 4, Body: "nothing of either"},
	}
	r, err := e.svc.rankRecent(context.Background(), p, texts)
	if err != nil {
		t.Fatal(err)
	}
	if !(r[2] < r[1] && r[1] < r[0] && r[0] < r[3] && r[3] == 0) {
		t.Errorf("ranks %v, %v, %v, %v: want both terms < one term, short < long < none (0)", r[0], r[1], r[2], r[3])
	}
}
