package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lore/storage"
)

// finishJob runs a queued job to its end with a result, as a runner would.
func (f *fixture) finishJob(t testing.TB, kind, workspaceID string, end storage.JobEnd) storage.Job {
	t.Helper()
	ctx := context.Background()
	j, err := f.app.Store.CreateJob(ctx, storage.NewJob{OrgID: f.orgA.ID, WorkspaceID: workspaceID, Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Store.ClaimJobByID(ctx, "test-runner", f.orgA.ID, j.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.app.Store.FinishJob(ctx, j.ID, "test-runner", end); err != nil {
		t.Fatal(err)
	}
	if j, err = f.app.Store.Job(ctx, f.orgA.ID, j.ID); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestOrganizationJobsAPI: GET /api/organizations/{org_id}/jobs lists every
// kind of the organization's jobs, newest first, narrowed by kind and
// workspace, never another organization's.
func TestOrganizationJobsAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	var want []int64
	for _, nj := range []storage.NewJob{
		{OrgID: f.orgA.ID, WorkspaceID: f.wsA, Kind: "import"},
		{OrgID: f.orgA.ID, WorkspaceID: f.wsA, Kind: "backfill"},
		{OrgID: f.orgA.ID, Kind: "retention"},
		{OrgID: f.orgA.ID, Kind: "extract"},
		{OrgID: f.orgB.ID, WorkspaceID: f.wsB, Kind: "backfill"},
	} {
		j, err := f.app.Store.CreateJob(ctx, nj)
		if err != nil {
			t.Fatal(err)
		}
		if nj.OrgID == f.orgA.ID {
			want = append([]int64{j.ID}, want...)
		}
	}
	path := fmt.Sprintf("/api/organizations/%d/jobs", f.orgA.ID)
	ids := func(q string) string {
		t.Helper()
		list := decodeBody[struct{ Jobs []jobJSON }](t, f.do(t, "GET", path+q, f.memberA.Token, ""), http.StatusOK)
		var out []string
		for _, j := range list.Jobs {
			out = append(out, fmt.Sprintf("%d:%s", j.ID, j.Kind))
		}
		return strings.Join(out, " ")
	}
	if got, w := ids(""), fmt.Sprintf("%d:extract %d:retention %d:backfill %d:import", want[0], want[1], want[2], want[3]); got != w {
		t.Errorf("all jobs: %s, want %s", got, w)
	}
	if got := ids("?kind=backfill"); got != fmt.Sprintf("%d:backfill", want[2]) {
		t.Errorf("backfills: %s", got)
	}
	if got := ids("?workspace_id=" + f.wsA + "&limit=1"); got != fmt.Sprintf("%d:backfill", want[2]) {
		t.Errorf("the workspace's newest: %s", got)
	}
	if got := ids("?workspace_id=" + f.wsB); got != "" {
		t.Errorf("B's workspace through A: %s", got)
	}
	e := wantError(t, f.do(t, "GET", path+"?limit=201", f.memberA.Token, ""), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["limit"] == "" {
		t.Errorf("limit not named: %+v", e)
	}
	wantError(t, f.do(t, "GET", path, f.ownerB.Token, ""), http.StatusNotFound, "not_found")
}

// TestJobsPage: every member sees the organization's jobs, filtered by
// kind; admins also get "backfill now" per workspace and "run retention
// now". Another organization's owner gets the 404 page; a stranger, the
// login page.
func TestJobsPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	imp := f.finishJob(t, "import", f.wsA, storage.JobEnd{Status: storage.JobSucceeded, Summary: "2 channels, 120 messages new"})
	ret, err := f.app.Store.CreateJob(ctx, storage.NewJob{OrgID: f.orgA.ID, Kind: "retention"})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := f.app.Store.CreateJob(ctx, storage.NewJob{OrgID: f.orgB.ID, WorkspaceID: f.wsB, Kind: "backfill"})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/organizations/%d/jobs", f.orgA.ID)

	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	page := wantPage(t, admin.get(path), http.StatusOK)
	wantLabels(t, page)
	for _, want := range []string{"Jobs of Org A", fmt.Sprintf(`href="/jobs/%d"`, imp.ID), fmt.Sprintf(`href="/jobs/%d"`, ret.ID),
		"2 channels, 120 messages new", "A&#39;s Slack", `action="/workspaces/` + f.wsA + `/backfill"`, `name="from" value="jobs"`,
		"Backfill A&#39;s Slack now", fmt.Sprintf(`action="/organizations/%d/retention/run"`, f.orgA.ID)} {
		if !strings.Contains(page, want) {
			t.Errorf("the jobs page lacks %q", want)
		}
	}
	if strings.Contains(page, fmt.Sprintf(`href="/jobs/%d"`, theirs.ID)) {
		t.Errorf("the jobs page lists B's job")
	}
	page = wantPage(t, admin.get(path+"?kind=retention"), http.StatusOK)
	if !strings.Contains(page, fmt.Sprintf(`href="/jobs/%d"`, ret.ID)) || strings.Contains(page, fmt.Sprintf(`href="/jobs/%d"`, imp.ID)) ||
		!strings.Contains(page, `<option value="retention" selected>`) {
		t.Errorf("filtered by kind: %s", page)
	}
	if page = wantPage(t, admin.get(path+"?kind=extract"), http.StatusOK); !strings.Contains(page, "No extract jobs yet.") {
		t.Errorf("no extractions: %s", page)
	}

	owner := newBrowser(t, f.h)
	owner.signIn(f.ownerA.Email)
	if page := wantPage(t, owner.get(path), http.StatusOK); !strings.Contains(page, "/retention/run") || !strings.Contains(page, "Backfill A&#39;s Slack now") {
		t.Errorf("the owner's jobs page: %s", page)
	}
	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	page = wantPage(t, member.get(path), http.StatusOK)
	if !strings.Contains(page, fmt.Sprintf(`href="/jobs/%d"`, imp.ID)) || strings.Contains(page, "/retention/run") || strings.Contains(page, "/backfill") {
		t.Errorf("a member's jobs page: %s", page)
	}
	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	wantPage(t, other.get(path), http.StatusNotFound)
	if w := newBrowser(t, f.h).get(path); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("signed out: %d %q", w.Code, w.Header().Get("Location"))
	}
}

// TestJobsPageRunNow: "run retention now" and "backfill now" queue their
// job (post/redirect/get to its page, with a flash); a second while the
// first is queued says so on the jobs page and queues nothing. A member
// gets the 403 page, another organization's owner the 404 page, and a
// cross-site post is refused.
func TestJobsPageRunNow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	jobs := fmt.Sprintf("/organizations/%d/jobs", f.orgA.ID)
	retention := fmt.Sprintf("/organizations/%d/retention/run", f.orgA.ID)
	backfill := "/workspaces/" + f.wsA + "/backfill"
	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)

	if page := wantPage(t, admin.post(retention, nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), http.StatusForbidden); !strings.Contains(page, "cross-origin") {
		t.Fatalf("a cross-site post: %s", page)
	}
	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	wantPage(t, member.post(retention, nil), http.StatusForbidden)
	wantPage(t, member.post(backfill, url.Values{"from": {"jobs"}}), http.StatusForbidden)
	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	wantPage(t, other.post(retention, nil), http.StatusNotFound)
	if list, _ := f.app.Jobs.ListJobs(ctx, storage.JobFilter{OrgID: f.orgA.ID}); len(list) != 0 {
		t.Fatalf("refused posts queued %+v", list)
	}

	for _, c := range []struct{ path, kind, again string }{
		{retention, "retention", "A retention run is already queued"},
		{backfill, "backfill", "A backfill of A&#39;s Slack is already queued or running"},
	} {
		loc, w := admin.follow(admin.post(c.path, url.Values{"from": {"jobs"}}))
		page := wantPage(t, w, http.StatusOK)
		id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/jobs/"), 10, 64)
		j, err := f.app.Store.Job(ctx, f.orgA.ID, id)
		if err != nil || j.Kind != c.kind || j.Status != storage.JobQueued || !strings.Contains(page, "queued") || !strings.Contains(page, `class="flash flash-ok"`) {
			t.Fatalf("%s: %s %+v %v %s", c.path, loc, j, err, page)
		}
		loc, w = admin.follow(admin.post(c.path, url.Values{"from": {"jobs"}}))
		page = wantPage(t, w, http.StatusOK)
		if loc != jobs || !strings.Contains(page, c.again) || !strings.Contains(page, fmt.Sprintf("(job %d)", id)) {
			t.Fatalf("%s again: %s %s", c.path, loc, page)
		}
		if list, _ := f.app.Jobs.ListJobs(ctx, storage.JobFilter{OrgID: f.orgA.ID, Kind: c.kind}); len(list) != 1 {
			t.Fatalf("%d %s jobs, want 1", len(list), c.kind)
		}
	}
}

// TestJobPageCancel: an admin sees the cancel button of a job that has not
// ended and cancels it (post/redirect/get); once it has ended there is no
// button, and a second cancel says it had ended. A member sees no button
// and gets the 403 page; another organization's owner the 404 page; a
// cross-site post is refused.
func TestJobPageCancel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	j, err := f.app.Store.CreateJob(ctx, storage.NewJob{OrgID: f.orgA.ID, WorkspaceID: f.wsA, Kind: "backfill"})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/jobs/%d", j.ID)
	cancel := path + "/cancel"
	form := fmt.Sprintf(`action="%s"`, cancel)

	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	if page := wantPage(t, member.get(path), http.StatusOK); strings.Contains(page, form) || !strings.Contains(page, "429s met") {
		t.Fatalf("a member's job page: %s", page)
	}
	wantPage(t, member.post(cancel, nil), http.StatusForbidden)
	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	wantPage(t, other.post(cancel, nil), http.StatusNotFound)

	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	page := wantPage(t, admin.get(path), http.StatusOK)
	wantLabels(t, page)
	if !strings.Contains(page, form) || !strings.Contains(page, "Backfilling from Slack") {
		t.Fatalf("an admin's job page: %s", page)
	}
	wantPage(t, admin.post(cancel, nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), http.StatusForbidden)
	if j, _ := f.app.Store.Job(ctx, f.orgA.ID, j.ID); j.Status != storage.JobQueued {
		t.Fatalf("refused cancels changed the job: %+v", j)
	}
	loc, w := admin.follow(admin.post(cancel, nil))
	page = wantPage(t, w, http.StatusOK)
	if loc != path || !strings.Contains(page, "The job is cancelled") || strings.Contains(page, form) || !strings.Contains(page, `data-finished="cancelled"`) ||
		strings.Contains(page, "Ask your first question") {
		t.Fatalf("after cancelling: %s %s", loc, page)
	}
	if j, _ := f.app.Store.Job(ctx, f.orgA.ID, j.ID); j.Status != storage.JobCancelled {
		t.Fatalf("job %+v, want cancelled", j)
	}
	if _, w = admin.follow(admin.post(cancel, nil)); !strings.Contains(wantPage(t, w, http.StatusOK), "had already ended") {
		t.Fatalf("a second cancel: %s", w.Body)
	}

	// A running job is asked to stop; its page says so until it has.
	running, err := f.app.Store.CreateJob(ctx, storage.NewJob{OrgID: f.orgA.ID, Kind: "retention"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Store.ClaimJobByID(ctx, "test-runner", f.orgA.ID, running.ID); err != nil {
		t.Fatal(err)
	}
	loc, w = admin.follow(admin.post(fmt.Sprintf("/jobs/%d/cancel", running.ID), nil))
	if page = wantPage(t, w, http.StatusOK); !strings.Contains(page, "asked to stop") || !strings.Contains(page, "stopping: a cancel was asked for") ||
		!strings.Contains(page, "Deleting old messages") {
		t.Fatalf("cancelling a running job: %s %s", loc, page)
	}
}

// TestJobPageOutcome: a partial backfill lists the channels it could not
// read and why, a partial import its channel-days; a finished extraction
// offers its document and the documents, not a first question.
func TestJobPageOutcome(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	result := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bf := f.finishJob(t, "backfill", f.wsA, storage.JobEnd{Status: storage.JobPartial, Summary: "3 channels, 40 messages new; 1 channels not read",
		Progress: storage.JobProgress{Percent: 99, ChannelsDone: 3, ChannelsTotal: 4, Messages: 40, APICalls: 17, RateLimited: 2},
		Result: result(map[string]any{"failed": []map[string]string{{"channel_id": "C0SECRET", "name": "ops", "status": "failed", "reason": "not_in_channel: invite the bot"}},
			"notes": []string{"users.list was rate limited twice"}})})
	imp := f.finishJob(t, "import", f.wsA, storage.JobEnd{Status: storage.JobPartial,
		Result: result(map[string]any{"failed_days": []map[string]string{{"channel": "general", "date": "2026-03-04", "file": "general/2026-03-04.json", "reason": "not JSON"}}})})
	doc := f.finishJob(t, "extract", "", storage.JobEnd{Status: storage.JobSucceeded, Summary: "runbook.md: 11 words, 2 chunks",
		Progress: storage.JobProgress{Percent: 100}, Result: result(map[string]any{"document_id": 42, "title": "Runbook"})})
	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)

	page := wantPage(t, member.get(fmt.Sprintf("/jobs/%d", bf.ID)), http.StatusOK)
	for _, want := range []string{"Channels not read", "#ops", "C0SECRET", "not_in_channel: invite the bot", "<dd data-count=\"channels\">3 of 4</dd>",
		"<dd data-count=\"api_calls\">17</dd>", "<dd data-count=\"rate_limited\">2</dd>", "users.list was rate limited twice", `data-finished="partial"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the partial backfill's page lacks %q", want)
		}
	}
	page = wantPage(t, member.get(fmt.Sprintf("/jobs/%d", imp.ID)), http.StatusOK)
	if !strings.Contains(page, "Days not imported") || !strings.Contains(page, "#general") || !strings.Contains(page, "2026-03-04") || !strings.Contains(page, "not JSON") {
		t.Errorf("the partial import's page: %s", page)
	}
	page = wantPage(t, member.get(fmt.Sprintf("/jobs/%d", doc.ID)), http.StatusOK)
	if !strings.Contains(page, `href="/documents/42"`) || !strings.Contains(page, "Open the document") ||
		!strings.Contains(page, fmt.Sprintf(`href="/organizations/%d/documents"`, f.orgA.ID)) || strings.Contains(page, "Ask your first question") ||
		strings.Contains(page, "Channels not read") {
		t.Errorf("the extraction's page: %s", page)
	}
}
