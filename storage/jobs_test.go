package storage

import (
	"context"
	"errors"
	"testing"
)

func TestJobsKeepTheirWorkspaceInTheirOrganization(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	a, _ := s.CreateOrganization(ctx, "A")
	b, _ := s.CreateOrganization(ctx, "B")
	if _, err := s.CreateWorkspace(ctx, a.ID, "TA", "A"); err != nil {
		t.Fatal(err)
	}
	// The composite foreign key turns away a workspace of another organization.
	if _, err := s.CreateJob(ctx, NewJob{OrgID: b.ID, WorkspaceID: "TA", Kind: "import"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("job of B naming A's workspace: %v, want ErrNotFound", err)
	}
	j, err := s.CreateJob(ctx, NewJob{OrgID: a.ID, WorkspaceID: "TA", Kind: "import", Params: []byte(`{"path":"/x.zip"}`)})
	if err != nil || j.Status != JobQueued || string(j.Params) != `{"path":"/x.zip"}` {
		t.Fatalf("CreateJob: %+v, %v", j, err)
	}
	if _, err := s.Job(ctx, b.ID, j.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("B reads A's job: %v, want ErrNotFound", err)
	}
	if list, _ := s.ListJobs(ctx, JobFilter{OrgID: b.ID}); len(list) != 0 {
		t.Errorf("B lists %d jobs, want none", len(list))
	}
	if list, _ := s.ListJobs(ctx, JobFilter{OrgID: a.ID, WorkspaceID: "TA"}); len(list) != 1 || list[0].ID != j.ID {
		t.Errorf("A lists %+v", list)
	}
	// Disconnecting the workspace takes its jobs with it.
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.DeleteWorkspace(ctx, a.ID, "TA") }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Job(ctx, a.ID, j.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("job after its workspace went: %v, want ErrNotFound", err)
	}
}

func TestJobsChecks(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	if _, err := s.write.ExecContext(ctx, `INSERT INTO organizations (name) VALUES ('Acme')`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ bad, good string }{
		{`INSERT INTO jobs (org_id, kind, status) VALUES (1, 'import', 'half')`, `INSERT INTO jobs (org_id, kind, status) VALUES (1, 'import', 'partial')`},
		{`INSERT INTO jobs (org_id, kind, params) VALUES (1, 'import', '{nope')`, `INSERT INTO jobs (org_id, kind, params) VALUES (1, 'import', '{"path": "/x"}')`},
		{`INSERT INTO jobs (org_id, kind, result) VALUES (1, 'import', 'nope')`, `INSERT INTO jobs (org_id, kind, result) VALUES (1, 'import', '[]')`},
		{`INSERT INTO jobs (org_id, kind) VALUES (1, '')`, `INSERT INTO jobs (org_id, kind) VALUES (1, 'x')`},
		{`UPDATE jobs SET messages = -1`, `UPDATE jobs SET messages = 5`},
		{`UPDATE jobs SET channels_done = -1`, `UPDATE jobs SET channels_done = 1`},
		{`UPDATE jobs SET rate_limited = -1`, `UPDATE jobs SET rate_limited = 1`},
		{`UPDATE jobs SET cancel_requested = 2`, `UPDATE jobs SET cancel_requested = 1`},
	} {
		if _, err := s.write.ExecContext(ctx, c.bad); !IsConstraintViolation(err) {
			t.Errorf("%s: got %v, want a constraint violation", c.bad, err)
		}
		if _, err := s.write.ExecContext(ctx, c.good); err != nil {
			t.Errorf("%s: %v", c.good, err)
		}
	}
}

// TestMigration11KeepsJobsAndEndsRunningOnes: rows of the old jobs table
// come through 00011; one left running has no runner that could resume it.
func TestMigration11KeepsJobsAndEndsRunningOnes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openAt(t, 10)
	for _, q := range []string{
		`INSERT INTO organizations (name) VALUES ('Acme')`,
		`INSERT INTO installations (workspace_id, org_id) VALUES ('T1', 1)`,
		`INSERT INTO jobs (org_id, workspace_id, kind, status, progress) VALUES (1, 'T1', 'backfill', 'succeeded', 100)`,
		`INSERT INTO jobs (org_id, workspace_id, kind, status, progress) VALUES (1, 'T1', 'backfill', 'running', 40)`,
	} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	done, err := s.Job(ctx, 1, 1)
	if err != nil || done.Status != JobSucceeded || done.Progress.Percent != 100 || string(done.Params) != "{}" {
		t.Fatalf("succeeded job after 00011: %+v, %v", done, err)
	}
	was, err := s.Job(ctx, 1, 2)
	if err != nil || was.Status != JobFailed || was.Error != "interrupted" || was.FinishedAt.IsZero() || was.Progress.Percent != 40 {
		t.Fatalf("running job after 00011: %+v, %v", was, err)
	}
	// Down again: partial has no place in the old status set.
	if _, err := s.write.ExecContext(ctx, `INSERT INTO jobs (org_id, kind, status, summary) VALUES (1, 'import', 'partial', '2 days failed')`); err != nil {
		t.Fatal(err)
	}
	if err := s.MigrateTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	var status, msg string
	if err := s.write.QueryRowContext(ctx, `SELECT status, error FROM jobs WHERE job_id = 3`).Scan(&status, &msg); err != nil {
		t.Fatal(err)
	}
	if status != "failed" || msg != "partial: 2 days failed" {
		t.Fatalf("partial job after down: %s %q", status, msg)
	}
}
