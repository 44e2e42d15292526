package cli

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"lore/app/answers"
	"lore/app/sync"
)

func TestAskCommand(t *testing.T) {
	t.Parallel()
	vars, orgID := cliSetup(t)
	a := openApp(t, vars)
	ctx := context.Background()
	if _, err := a.Store.CreateWorkspace(ctx, orgID, "T1", "Acme"); err != nil {
		t.Fatal(err)
	}
	s := sync.New(a.Store, a.Logger, sync.Options{})
	if _, err := s.StoreMessages(ctx, nil, "T1", "C1", []sync.Message{{Type: "message", TS: "1700000000.000100", User: "U1",
		Text: "The staging deploy command is make deploy-staging from the infra repo"}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.RefreshTermStats(ctx); err != nil {
		t.Fatal(err)
	}
	a.Close()

	out, err := runLore(t, vars, "ask", "--org", itoa(orgID), "What is the staging deploy command?")
	if err != nil || !strings.Contains(out, "make deploy-staging") || !strings.Contains(out, "answered, confidence") {
		t.Fatalf("ask: %v\n%s", err, out)
	}
	out, err = runLore(t, vars, "ask", "What is the staging deploy command?", "--org", itoa(orgID), "--json")
	var got answers.Answer
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || !got.Answered || len(got.Sources) != 1 || got.QuestionID == 0 {
		t.Fatalf("ask --json: %v\n%s", err, out)
	}
	a = openApp(t, vars)
	defer a.Close()
	if q, err := a.Store.Question(ctx, got.QuestionID); err != nil || q.Source != answers.SourceCLI {
		t.Errorf("logged %+v, %v", q, err)
	}

	var usage *UsageError
	for _, args := range [][]string{
		{"ask", "where?"},
		{"ask", "--org", "x", "where?"},
		{"ask", "--org", itoa(orgID)},
		{"ask", "--org", itoa(orgID), "one", "two"},
		{"ask", "--org", itoa(orgID), " "},
	} {
		if _, err := runLore(t, vars, args...); !errors.As(err, &usage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if _, err := runLore(t, vars, "ask", "--org", "999", "where?"); err == nil || err.Error() != "no organization 999" {
		t.Errorf("a missing organization: %v", err)
	}
}
