package storage

import (
	"context"
	"testing"
)

func TestQuestionsChecks(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	if _, err := s.write.ExecContext(ctx, `INSERT INTO organizations (name) VALUES ('Acme')`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ bad, good string }{
		{`INSERT INTO questions (org_id, source, question) VALUES (1, 'email', 'why?')`, `INSERT INTO questions (org_id, source, question) VALUES (1, 'mention', 'why?')`},
		{`INSERT INTO questions (org_id, source, question) VALUES (1, 'sms', 'why?')`, `INSERT INTO questions (org_id, source, question) VALUES (1, 'dm', 'why?')`},
		{`INSERT INTO questions (org_id, source, question, sources) VALUES (1, 'cli', 'why?', '{}')`, `INSERT INTO questions (org_id, source, question, sources) VALUES (1, 'cli', 'why?', '[]')`},
		{`INSERT INTO questions (org_id, source, question, sources) VALUES (1, 'cli', 'why?', 'not json')`, `INSERT INTO questions (org_id, source, question, sources) VALUES (1, 'cli', 'why?', '[{"kind":"message"}]')`},
		{`UPDATE questions SET helpful = 2`, `UPDATE questions SET helpful = 0`},
		{`UPDATE questions SET channel_private = -1`, `UPDATE questions SET channel_private = 1`},
	} {
		if _, err := s.write.ExecContext(ctx, c.bad); !IsConstraintViolation(err) {
			t.Errorf("%s: got %v, want a constraint violation", c.bad, err)
		}
		if _, err := s.write.ExecContext(ctx, c.good); err != nil {
			t.Errorf("%s: %v", c.good, err)
		}
	}
}

// TestMigration14KeepsQuestionsAndTriggers: the rebuild of questions keeps
// every row and the triggers of migration 00010 that guard it.
func TestMigration14KeepsQuestionsAndTriggers(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	for v, err := s.SchemaVersion(ctx); v > 13; v, err = s.SchemaVersion(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.MigrateDown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO organizations (name) VALUES ('Acme')`,
		`INSERT INTO installations (workspace_id, org_id) VALUES ('T1', 1)`,
		`INSERT INTO questions (org_id, workspace_id, channel_id, asked_by, source, question, answer, answered, confidence)
		 VALUES (1, 'T1', 'C1', 'slack:U1', 'askall', 'where?', 'there', 1, 77)`,
	} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := s.Question(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if q.WorkspaceID != "T1" || q.ChannelID != "C1" || q.AskedBy != "slack:U1" || q.Source != "askall" || q.Question != "where?" ||
		q.Answer != "there" || !q.Answered || q.Confidence != 77 || q.Helpful != nil || len(q.Sources) != 0 {
		t.Errorf("after the migration: %+v", q)
	}
	for _, name := range []string{"questions_workspace_org_insert", "questions_workspace_org_update", "installations_org_keeps_questions"} {
		var n int
		if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = ?`, name).Scan(&n); err != nil || n != 1 {
			t.Errorf("trigger %s: %d (%v)", name, n, err)
		}
	}
	// the guard works: a question may not name another organization's workspace
	if _, err := s.write.ExecContext(ctx, `INSERT INTO organizations (name) VALUES ('Other')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateQuestion(ctx, Question{OrgID: 2, WorkspaceID: "T1", Source: "web", Question: "x"}); err == nil {
		t.Error("a question of organization 2 names organization 1's workspace")
	}
}
