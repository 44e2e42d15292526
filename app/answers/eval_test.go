package answers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// evalQuestion is one question of brightloom-questions.json.
type evalQuestion struct {
	ID         string `json:"id"`
	Question   string `json:"question"`
	Answerable bool   `json:"answerable"`
	Gold       []struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	} `json:"gold"`
	AnswerContains []string `json:"answer_contains"`
	Note           string   `json:"note"`
	Difficulty     string   `json:"difficulty"`
}

// TestEvaluationBrightloom is issue 10's evaluation: every question about the
// Brightloom export asked through the service with no model, and the four
// rates printed. Goals: top-3 source hits ≥ 90%, answered ≥ 90% of the
// answerable, refused ≥ 80% of the unanswerable, answer contains the gold
// words ≥ 85%.
func TestEvaluationBrightloom(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	e.importExport(t, shared(t, "testdata/brightloom-export.zip"), "T058E2SZ5")
	data, err := os.ReadFile(shared(t, "testdata/brightloom-questions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var qs []evalQuestion
	if err := json.Unmarshal(data, &qs); err != nil {
		t.Fatal(err)
	}
	var answerable, unanswerable, top3, answered, refused, contains int
	for _, q := range qs {
		a, err := e.svc.Ask(context.Background(), Request{OrgID: e.orgID, Question: q.Question})
		if err != nil {
			t.Fatalf("%s: %v", q.ID, err)
		}
		var got []string
		for _, s := range a.Sources {
			got = append(got, s.ChannelName+"/"+s.TS)
		}
		if !q.Answerable {
			unanswerable++
			if !a.Answered {
				refused++
			}
			t.Logf("%s unanswerable answered=%v conf=%d %v", q.ID, a.Answered, a.Confidence, got)
			continue
		}
		answerable++
		hit := false
		for i, s := range a.Sources {
			for _, g := range q.Gold {
				if i < 3 && s.ChannelName == g.Channel && s.TS == g.TS {
					hit = true
				}
			}
		}
		if hit {
			top3++
		}
		if a.Answered {
			answered++
		}
		all := a.Answered
		for _, w := range q.AnswerContains {
			if !strings.Contains(strings.ToLower(a.Text), strings.ToLower(w)) {
				all = false
			}
		}
		if all {
			contains++
		}
		t.Logf("%s hit=%v answered=%v contains=%v conf=%d %v", q.ID, hit, a.Answered, all, a.Confidence, got)
	}
	rate := func(n, d int) float64 { return 100 * float64(n) / float64(d) }
	summary := fmt.Sprintf("top-3 source hits %.0f%% (%d/%d), answered %.0f%% (%d/%d), refused %.0f%% (%d/%d), answer contains %.0f%% (%d/%d)",
		rate(top3, answerable), top3, answerable, rate(answered, answerable), answered, answerable,
		rate(refused, unanswerable), refused, unanswerable, rate(contains, answerable), contains, answerable)
	fmt.Println("evaluation:", summary)
	// The goals are 90, 90, 80 and 85; these floors are what the ranking
	// reaches now (25, 23, 7 and 23 of 25, 25, 8 and 25), so that a change
	// that loses ground fails.
	if rate(top3, answerable) < 100 || rate(answered, answerable) < 92 || rate(refused, unanswerable) < 87.5 || rate(contains, answerable) < 92 {
		t.Errorf("below the floors (100, 92, 87.5, 92): %s", summary)
	}
}
