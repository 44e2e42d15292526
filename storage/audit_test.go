package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
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
		{OrgID: 1, Actor: "user:2"},
		{OrgID: 1, Action: "member.add", Actor: "user:2", Before: 10},
		{OrgID: 1, Since: time.Now().Add(-time.Hour), Until: time.Now(), Before: 10},
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

// TestListAuditByActorDateAndPage: the actor and date filters and the
// Before cursor select exactly their entries, and paging with Before walks
// the whole selection once, newest first.
func TestListAuditByActorDateAndPage(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		e := AuditEntry{OrgID: 1, Actor: []string{"user:1", "user:2"}[i%2], Action: "settings.update"}
		if err := s.AddAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Entry i was written on day i (ids 1-10).
	if err := s.Tx(ctx, func(tx *Tx) error {
		for i := range 10 {
			if _, err := tx.tx.ExecContext(ctx, `UPDATE audit_log SET created_at = ? WHERE audit_id = ?`,
				formatTime(day.AddDate(0, 0, i).Add(time.Hour)), i+1); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ids := func(f AuditFilter) string {
		t.Helper()
		got, err := s.ListAudit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range got {
			out = append(out, fmt.Sprint(e.ID))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		f    AuditFilter
		want string
	}{
		{AuditFilter{OrgID: 1, Actor: "user:2"}, "10 8 6 4 2"},
		{AuditFilter{OrgID: 1, Actor: "user:3"}, ""},
		{AuditFilter{OrgID: 1, Since: day.AddDate(0, 0, 7)}, "10 9 8"},
		{AuditFilter{OrgID: 1, Until: day.AddDate(0, 0, 2)}, "2 1"},
		{AuditFilter{OrgID: 1, Since: day.AddDate(0, 0, 3), Until: day.AddDate(0, 0, 6), Actor: "user:1"}, "5"},
		{AuditFilter{OrgID: 1, Before: 4}, "3 2 1"},
		{AuditFilter{OrgID: 1, Actor: "user:1", Before: 7, Limit: 2}, "5 3"},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("ListAudit(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
	var walked []string
	f := AuditFilter{OrgID: 1, Limit: 3}
	for range 5 {
		page, err := s.ListAudit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			walked = append(walked, fmt.Sprint(e.ID))
		}
		f.Before = page[len(page)-1].ID
	}
	if got := strings.Join(walked, " "); got != "10 9 8 7 6 5 4 3 2 1" {
		t.Fatalf("paging walked %q", got)
	}
}
