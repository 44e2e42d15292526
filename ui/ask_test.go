package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"lore/app/answers"
	"lore/app/sync"
	"lore/storage"
)

// storeHistory stores a public and a private channel's messages in
// workspace A through the one message path.
func storeHistory(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	s := sync.New(f.app.Store, f.app.Logger, sync.Options{})
	if err := s.StoreChannelsAndUsers(ctx, f.wsA, []sync.Channel{{ID: "C1", Name: "general"}, {ID: "C2", Name: "secret", Private: true}},
		[]sync.User{{ID: "U1", RealName: "Ann"}, {ID: "U2", RealName: "Bo"}}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct{ ch, ts, user, text string }{
		{"C1", "1700000000.000100", "U1", "The staging deploy command is make deploy-staging from the infra repo"},
		{"C2", "1700000100.000100", "U2", "The acquisition codename is bluefalcon"},
	} {
		if _, err := s.StoreMessages(ctx, nil, f.wsA, m.ch, []sync.Message{{Type: "message", TS: m.ts, User: m.user, Text: m.text}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.app.Store.RefreshTermStats(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAsk(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	storeHistory(t, f)
	path := fmt.Sprintf("/api/organizations/%d/ask", f.orgA.ID)

	w := f.do(t, "POST", path, f.memberA.Token, `{"question": "What is the staging deploy command?"}`)
	got := decodeBody[answers.Answer](t, w, http.StatusOK)
	for _, key := range []string{`"question_id":`, `"answered":`, `"answer":`, `"confidence":`, `"sources":[{"kind":"message","workspace_id":`, `"channel_name":"general"`, `"permalink":`, `"score":`} {
		if !strings.Contains(w.Body.String(), key) {
			t.Errorf("the answer lacks %s: %s", key, w.Body)
		}
	}
	if !got.Answered || got.QuestionID == 0 || got.Confidence < 40 || len(got.Sources) == 0 ||
		got.Sources[0].Kind != "message" || got.Sources[0].ChannelName != "general" || got.Sources[0].UserName != "Ann" ||
		!strings.Contains(got.Sources[0].Permalink, "/archives/C1/p1700000000000100") || !strings.Contains(got.Text, "make deploy-staging") {
		t.Errorf("answer %+v", got)
	}

	// The private channel never answers on the web, filtered to it or not.
	for _, body := range []string{`{"question": "What is the acquisition codename?"}`,
		`{"question": "What is the acquisition codename?", "workspace_id": "` + f.wsA + `", "channel_id": "C2"}`} {
		w = f.do(t, "POST", path, f.memberA.Token, body)
		if got := decodeBody[answers.Answer](t, w, http.StatusOK); strings.Contains(w.Body.String(), "bluefalcon") || len(got.Sources) != 0 {
			t.Errorf("the web sees the private channel: %s", w.Body)
		}
	}

	// Bad questions are 422s naming the field.
	for _, body := range []string{`{"question": ""}`, `{"question": "  "}`, `{}`,
		`{"question": "` + strings.Repeat("a", answers.MaxQuestionLength+1) + `"}`} {
		w = f.do(t, "POST", path, f.memberA.Token, body)
		if e := wantError(t, w, http.StatusUnprocessableEntity, "invalid_question"); e.Error.Fields["question"] == "" {
			t.Errorf("%.40s: %s", body, w.Body)
		}
	}
	w = f.do(t, "POST", path, f.memberA.Token, `{"question": "x", "since": "yesterday"}`)
	wantError(t, w, http.StatusUnprocessableEntity, "invalid_request")

	// web_qa_enabled off: 403
	if err := f.app.Store.Tx(context.Background(), func(tx *storage.Tx) error {
		return tx.UpdateOrgSettings(context.Background(), f.orgA.ID, map[string]any{"web_qa_enabled": false})
	}); err != nil {
		t.Fatal(err)
	}
	wantError(t, f.do(t, "POST", path, f.memberA.Token, `{"question": "What is the staging deploy command?"}`), http.StatusForbidden, "web_qa_disabled")
}

func TestFeedbackAndUnansweredList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	storeHistory(t, f)
	ctx := context.Background()
	path := fmt.Sprintf("/api/organizations/%d/ask", f.orgA.ID)
	answered := decodeBody[answers.Answer](t, f.do(t, "POST", path, f.memberA.Token, `{"question": "What is the staging deploy command?"}`), http.StatusOK)
	missed := decodeBody[answers.Answer](t, f.do(t, "POST", path, f.memberA.Token, `{"question": "How much parental leave do we get?"}`), http.StatusOK)
	private, err := f.app.Answers.Ask(ctx, answers.Request{OrgID: f.orgA.ID, Question: "When does bluefalcon sign the contract?",
		Scope: answers.Channel, WorkspaceID: f.wsA, ChannelID: "C2", Source: answers.SourceAsk, AskedBy: "slack:U2"})
	if err != nil {
		t.Fatal(err)
	}
	if !answered.Answered || missed.Answered || private.Answered {
		t.Fatalf("answered %v, missed %v, private %v", answered.Answered, missed.Answered, private.Answered)
	}

	fb := fmt.Sprintf("/api/questions/%d/feedback", answered.QuestionID)
	w := f.do(t, "POST", fb, f.memberA.Token, `{"helpful": true}`)
	if w.Code != http.StatusOK {
		t.Fatalf("feedback: %d %s", w.Code, w.Body)
	}
	wantError(t, f.do(t, "POST", fb, f.memberA.Token, `{}`), http.StatusUnprocessableEntity, "invalid_request")
	wantError(t, f.do(t, "POST", fb, f.memberA.Token, `{"helpful": "yes"}`), http.StatusUnprocessableEntity, "invalid_request")
	wantError(t, f.do(t, "POST", fb, f.ownerB.Token, `{"helpful": false}`), http.StatusNotFound, "not_found")
	if q, _ := f.app.Store.Question(ctx, answered.QuestionID); q.Helpful == nil || !*q.Helpful {
		t.Errorf("feedback stored as %v", q.Helpful)
	}

	list := fmt.Sprintf("/api/organizations/%d/questions?answered=false", f.orgA.ID)
	wantError(t, f.do(t, "GET", list, f.memberA.Token, ""), http.StatusForbidden, "forbidden")
	w = f.do(t, "GET", list, f.adminA.Token, "")
	got := decodeBody[map[string][]answers.LoggedQuestion](t, w, http.StatusOK)["questions"]
	if len(got) != 2 || got[0].ID != private.QuestionID || got[1].ID != missed.QuestionID {
		t.Fatalf("unanswered: %s", w.Body)
	}
	if got[0].Question != answers.PrivateQuestion || !got[0].Private || strings.Contains(w.Body.String(), "bluefalcon") {
		t.Errorf("a private channel's question is listed with its words: %s", w.Body)
	}
	if got[1].Question != "How much parental leave do we get?" {
		t.Errorf("unanswered question listed as %q", got[1].Question)
	}
	wantError(t, f.do(t, "GET", list[:len(list)-5]+"maybe", f.adminA.Token, ""), http.StatusUnprocessableEntity, "invalid_request")
}
