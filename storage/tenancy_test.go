package storage

import (
	"context"
	"testing"
)

// exec runs one statement on the write connection, outside the writers'
// queue, as a test that pokes at the schema may.
func exec(t *testing.T, s *Store, q string, args ...any) error {
	t.Helper()
	_, err := s.write.ExecContext(context.Background(), q, args...)
	return err
}

func foreignKeyProblems(t *testing.T, s *Store) int {
	t.Helper()
	rows, err := s.write.QueryContext(context.Background(), "PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n
}

// TestCrossOrganizationRowsRefused: a job or a question cannot name a
// workspace of another organization, on insert or update.
func TestCrossOrganizationRowsRefused(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	a := seedWorkspace(t, s, "TA1")
	b := seedWorkspace(t, s, "TB1")

	for _, tc := range []struct {
		name string
		q    string
		args []any
		ok   bool
	}{
		{"job of its own workspace", `INSERT INTO jobs (org_id, workspace_id, kind) VALUES (?, 'TA1', 'backfill')`, []any{a}, true},
		{"job without a workspace", `INSERT INTO jobs (org_id, kind) VALUES (?, 'digest')`, []any{b}, true},
		{"job of another organization's workspace", `INSERT INTO jobs (org_id, workspace_id, kind) VALUES (?, 'TA1', 'backfill')`, []any{b}, false},
		{"job of no workspace at all", `INSERT INTO jobs (org_id, workspace_id, kind) VALUES (?, 'TNONE', 'backfill')`, []any{a}, false},
		{"job moved to another organization", `UPDATE jobs SET org_id = ? WHERE workspace_id = 'TA1'`, []any{b}, false},
		{"question in its own workspace", `INSERT INTO questions (org_id, workspace_id, source, question) VALUES (?, 'TA1', 'ask', 'why?')`, []any{a}, true},
		{"question on the web", `INSERT INTO questions (org_id, source, question) VALUES (?, 'web', 'why?')`, []any{b}, true},
		{"question in another organization's workspace", `INSERT INTO questions (org_id, workspace_id, source, question) VALUES (?, 'TA1', 'ask', 'why?')`, []any{b}, false},
		{"question of no workspace at all", `INSERT INTO questions (org_id, workspace_id, source, question) VALUES (?, 'TNONE', 'ask', 'why?')`, []any{a}, false},
		{"question moved to another organization's workspace", `UPDATE questions SET workspace_id = 'TA1' WHERE org_id = ?`, []any{b}, false},
		{"question moved to another organization", `UPDATE questions SET org_id = ? WHERE workspace_id = 'TA1'`, []any{b}, false},
		{"workspace moved under its questions and jobs", `UPDATE installations SET org_id = ? WHERE workspace_id = 'TA1'`, []any{b}, false},
	} {
		err := exec(t, s, tc.q, tc.args...)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case !tc.ok && err == nil:
			t.Errorf("%s: accepted", tc.name)
		case !tc.ok && !IsConstraintViolation(err):
			t.Errorf("%s: %v, want a constraint violation", tc.name, err)
		}
	}
	if n := foreignKeyProblems(t, s); n != 0 {
		t.Fatalf("foreign_key_check found %d problems", n)
	}
}

// TestDeletingAWorkspaceKeepsItsQuestions: its jobs go with it, its
// questions stay with workspace_id NULL.
func TestDeletingAWorkspaceKeepsItsQuestions(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	a := seedWorkspace(t, s, "TA1")
	for _, q := range []string{
		`INSERT INTO jobs (org_id, workspace_id, kind) VALUES (?, 'TA1', 'backfill')`,
		`INSERT INTO jobs (org_id, kind) VALUES (?, 'digest')`,
		`INSERT INTO questions (org_id, workspace_id, source, question) VALUES (?, 'TA1', 'ask', 'why?')`,
	} {
		if err := exec(t, s, q, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.DeleteWorkspace(ctx, a, "TA1") }); err != nil {
		t.Fatalf("deleting the workspace: %v", err)
	}
	var jobs, questions, orphans int
	s.read.QueryRowContext(ctx, `SELECT count(*) FROM jobs`).Scan(&jobs)
	s.read.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE workspace_id IS NULL AND org_id = ?) FROM questions`, a).Scan(&questions, &orphans)
	if jobs != 1 || questions != 1 || orphans != 1 {
		t.Fatalf("after the delete: %d jobs (want the one without a workspace), %d questions, %d of them without a workspace (want 1, 1)", jobs, questions, orphans)
	}
	if n := foreignKeyProblems(t, s); n != 0 {
		t.Fatalf("foreign_key_check found %d problems", n)
	}
}

// TestMigrationKeepsJobs: migrating a database at schema 9 keeps its jobs
// (dropping only one that names another organization's workspace), and the
// result passes foreign_key_check; down and up again keeps them too.
func TestMigrationKeepsJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openAt(t, 9)
	for _, q := range []string{
		`INSERT INTO organizations (org_id, name) VALUES (1, 'A'), (2, 'B')`,
		`INSERT INTO installations (workspace_id, org_id) VALUES ('TA1', 1)`,
		`INSERT INTO jobs (job_id, org_id, workspace_id, kind, status, progress) VALUES (1, 1, 'TA1', 'backfill', 'running', 40)`,
		`INSERT INTO jobs (job_id, org_id, kind) VALUES (2, 2, 'digest')`,
		`INSERT INTO jobs (job_id, org_id, workspace_id, kind) VALUES (3, 2, 'TA1', 'backfill')`, // another organization's
	} {
		if err := exec(t, s, q); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		var got string
		s.read.QueryRowContext(ctx, `SELECT group_concat(job_id || ':' || org_id || ':' || coalesce(workspace_id, '-') || ':' || status || ':' || progress, ' ')
			FROM (SELECT * FROM jobs ORDER BY job_id)`).Scan(&got)
		if got != "1:1:TA1:running:40 2:2:-:queued:0" {
			t.Fatalf("jobs %s: %s", when, got)
		}
		if n := foreignKeyProblems(t, s); n != 0 {
			t.Fatalf("foreign_key_check %s found %d problems", when, n)
		}
	}
	if err := s.MigrateTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	check("after 9→10")
	if err := s.MigrateTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	check("after 10→9")
	if err := s.MigrateTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	check("after 9→10 again")
}
