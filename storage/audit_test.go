package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// seedAudit writes entries in two organizations and two workspaces, under
// two actions, and returns them oldest first.
func seedAudit(t *testing.T, s *Store) []AuditEntry {
	t.Helper()
	ctx := context.Background()
	var want []AuditEntry
	for i := range 24 {
		e := AuditEntry{OrgID: int64(1 + i%2), Actor: "user:1", Action: []string{"settings.update", "credentials.view", "member.add"}[i%3]}
		if i%4 == 0 {
			e.WorkspaceID = fmt.Sprintf("T%dWS", e.OrgID)
		}
		if err := s.AddAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	return want
}

func TestListAuditFilters(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	seeded := seedAudit(t, s)
	for _, f := range []AuditFilter{
		{},
		{OrgID: 1},
		{OrgID: 2, Action: "member.add"},
		{OrgID: 1, WorkspaceID: "T1WS"},
		{WorkspaceID: "T2WS"},
		{Action: "credentials.view"},
		{OrgID: 1, WorkspaceID: "T1WS", Action: "settings.update"},
		{OrgID: 1, Limit: 3},
		{OrgID: 3},
	} {
		got, err := s.ListAudit(ctx, f)
		if err != nil {
			t.Fatalf("ListAudit(%+v): %v", f, err)
		}
		var want []string
		for i := len(seeded) - 1; i >= 0; i-- {
			e := seeded[i]
			if (f.OrgID == 0 || e.OrgID == f.OrgID) && (f.WorkspaceID == "" || e.WorkspaceID == f.WorkspaceID) &&
				(f.Action == "" || e.Action == f.Action) {
				want = append(want, fmt.Sprint(e.OrgID, e.WorkspaceID, e.Action))
			}
		}
		if f.Limit > 0 && len(want) > f.Limit {
			want = want[:f.Limit]
		}
		var names []string
		for i, e := range got {
			names = append(names, fmt.Sprint(e.OrgID, e.WorkspaceID, e.Action))
			if i > 0 && e.ID >= got[i-1].ID {
				t.Fatalf("ListAudit(%+v): not newest first: %+v", f, got)
			}
		}
		if !slices.Equal(names, want) {
			t.Errorf("ListAudit(%+v) = %v, want %v", f, names, want)
		}
	}
}

// TestListAuditUsesAnIndex: every filter an admin's page sends (always the
// organization, maybe an action or a workspace) is answered from an index
// walked in order, never a scan of the whole log or a sort of it.
func TestListAuditUsesAnIndex(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	seedAudit(t, s)
	for _, f := range []AuditFilter{
		{OrgID: 1},
		{OrgID: 1, Action: "member.add"},
		{OrgID: 1, WorkspaceID: "T1WS"},
		{OrgID: 1, WorkspaceID: "T1WS", Action: "member.add"},
		{WorkspaceID: "T1WS"},
	} {
		query, args := auditQuery(f)
		rows, err := s.read.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		if !strings.Contains(text, "USING INDEX audit_log_") || strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("filter %+v: plan %q, want an audit_log index and no sort", f, text)
		}
	}
}
