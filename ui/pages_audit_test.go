package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"lore/storage"
)

var auditEntryID = regexp.MustCompile(`id="audit-(\d+)"`)

// auditIDs are the ids of the entries a page lists, in order.
func auditIDs(page string) []string {
	var out []string
	for _, m := range auditEntryID.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestAuditPage: each row says who touched which secret or setting in
// words, never the secret; the filters (action, who, dates) select their
// rows through the API's filters; a bad date is the form again with the
// problem beside it; a member gets the 403 page, another organization's
// owner the 404 page.
func TestAuditPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	api := fmt.Sprintf("/api/organizations/%d", f.orgA.ID)
	decodeBody[map[string]any](t, f.do(t, "PATCH", api+"/settings", f.adminA.Token, `{"confidence_threshold":55}`), http.StatusOK)
	if _, err := f.app.Credentials.Store(ctx, "user:"+fmt.Sprint(f.ownerA.ID), f.orgA.ID, f.wsA, credentialsOf(testBotToken)); err != nil {
		t.Fatal(err)
	}
	decodeBody[memberJSON](t, f.do(t, "PATCH", fmt.Sprintf("%s/members/%d", api, f.memberA.ID), f.ownerA.Token, `{"role":"admin"}`), http.StatusOK)
	decodeBody[map[string]any](t, f.do(t, "PATCH", fmt.Sprintf("/api/organizations/%d/settings", f.orgB.ID), f.ownerB.Token, `{"ai_tone":"casual"}`), http.StatusOK)

	audit := fmt.Sprintf("/organizations/%d/audit", f.orgA.ID)
	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	page := wantPage(t, admin.get(audit), http.StatusOK)
	wantLabels(t, page)
	wantNoSecret(t, page)
	if ids := auditIDs(page); len(ids) != 3 {
		t.Fatalf("A's log lists %v, want its 3 entries: %s", ids, page)
	}
	for _, want := range []string{
		"<b>" + f.adminA.Email + "</b> changed settings", "confidence_threshold: 40 → 55",
		"<b>" + f.ownerA.Email + "</b> stored the Slack secrets of workspace <code>" + f.wsA + "</code>",
		"<b>" + f.ownerA.Email + "</b> changed a member&#39;s role", "member: " + f.memberA.Email, "role: &#34;member&#34; → &#34;admin&#34;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the audit page lacks %q", want)
		}
	}
	if strings.Contains(page, "ai_tone") {
		t.Fatal("another organization's entry is listed")
	}

	byAction := wantPage(t, admin.get(audit+"?action=settings.update"), http.StatusOK)
	if ids := auditIDs(byAction); len(ids) != 1 || !strings.Contains(byAction, `<option value="settings.update" selected>`) {
		t.Fatalf("by action: %v", ids)
	}
	byActor := wantPage(t, admin.get(audit+"?actor=user:"+fmt.Sprint(f.ownerA.ID)), http.StatusOK)
	if ids := auditIDs(byActor); len(ids) != 2 || strings.Contains(byActor, "</b> changed settings") {
		t.Fatalf("by actor: %v", ids)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if ids := auditIDs(wantPage(t, admin.get(audit+"?since="+today+"&until="+today), http.StatusOK)); len(ids) != 3 {
		t.Fatalf("today: %v", ids)
	}
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	if page := wantPage(t, admin.get(audit+"?until="+yesterday), http.StatusOK); len(auditIDs(page)) != 0 || !strings.Contains(page, "No entries match these filters.") {
		t.Fatalf("until yesterday: %s", page)
	}
	page = wantPage(t, admin.get(audit+"?since=2026-13-40&action=settings.update"), http.StatusUnprocessableEntity)
	if !strings.Contains(page, `id="audit-since-error"`) || !strings.Contains(page, "must be a date") || !strings.Contains(page, `value="2026-13-40"`) ||
		!strings.Contains(page, `<option value="settings.update" selected>`) || len(auditIDs(page)) != 0 {
		t.Fatalf("a bad date: %s", page)
	}

	member := newBrowser(t, f.h)
	member.signIn(f.ownerB.Email)
	wantPage(t, member.get(audit), http.StatusNotFound)
	// memberA is an admin now; the fixture's member role is gone, so make one.
	plain := f.addUser(t, "plain@example.com", false, f.orgA.ID, storage.RoleMember)
	pb := newBrowser(t, f.h)
	pb.signIn(plain.Email)
	wantPage(t, pb.get(audit), http.StatusForbidden)
}

// TestAuditPagePaging: past a page of entries, "Older entries" leads to the
// next page with the filters kept, and every entry is listed once.
func TestAuditPagePaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for i := range auditPageSize + 7 {
		action := []string{"settings.update", "credentials.view"}[i%2]
		if err := f.app.Store.AddAudit(ctx, storage.AuditEntry{OrgID: f.orgA.ID, Actor: "cli", Action: action,
			Detail: map[string]any{"n": i}}); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, f.h)
	b.signIn(f.ownerA.Email)
	older := regexp.MustCompile(`href="(\?[^"]*)">Older entries`)
	path := fmt.Sprintf("/organizations/%d/audit", f.orgA.ID)
	seen := map[string]bool{}
	var pages []int
	next := path + "?actor=cli"
	for range 5 {
		page := wantPage(t, b.get(next), http.StatusOK)
		ids := auditIDs(page)
		pages = append(pages, len(ids))
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("entry %s listed twice", id)
			}
			seen[id] = true
		}
		if !strings.Contains(page, "the lore command line") {
			t.Fatal("the cli actor is not named")
		}
		m := older.FindStringSubmatch(page)
		if m == nil {
			if len(pages) > 1 && !strings.Contains(page, ">Newest</a>") {
				t.Fatal("no link back to the newest entries")
			}
			break
		}
		q, err := url.ParseQuery(strings.TrimPrefix(strings.ReplaceAll(m[1], "&amp;", "&"), "?"))
		if err != nil || q.Get("actor") != "cli" || q.Get("before") == "" {
			t.Fatalf("older link %q drops the filter", m[1])
		}
		next = path + "?" + q.Encode()
	}
	if fmt.Sprint(pages) != fmt.Sprint([]int{auditPageSize, 7}) {
		t.Fatalf("pages of %v entries", pages)
	}
	if page := wantPage(t, b.get(path+"?before=x"), http.StatusUnprocessableEntity); !strings.Contains(page, "must be an entry id") {
		t.Fatalf("a bad cursor: %s", page)
	}
}

// TestAuditDetails: a detail reads as lines: a setting's change as old →
// new, a member by email, nothing as "none", long text cut.
func TestAuditDetails(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 130)
	got := auditDetails(map[string]any{
		"changes": map[string]any{
			"confidence_threshold": map[string]any{"old": float64(40), "new": float64(55)},
			"custom_system_prompt": map[string]any{"old": nil, "new": long},
		},
		"user_id":      float64(7),
		"user_created": true,
	}, map[int64]string{7: "maya@example.com"})
	want := []string{
		"confidence_threshold: 40 → 55",
		"custom_system_prompt: none → \"" + strings.Repeat("é", 120) + "\"…",
		"user_created: true",
		"member: maya@example.com",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("auditDetails:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
