package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lore/app/sync"
)

// storeChannels gives workspace A two channels, one with a message, as a
// backfill would have listed them.
func (f *fixture) storeChannels(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	msgs := sync.New(f.app.Store, f.app.Logger, sync.Options{})
	if err := msgs.StoreChannelsAndUsers(ctx, f.wsA, []sync.Channel{{ID: "C01", Name: "deploys"}, {ID: "G02", Name: "secret", Private: true}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := msgs.StoreMessages(ctx, nil, f.wsA, "C01", []sync.Message{{TS: "1700000000.000100", Text: "hello"}}); err != nil {
		t.Fatal(err)
	}
}

// TestWizardBackfillForm: step 4 offers a backfill with days back and the
// workspace's channels; starting one (the same Start as the API) goes to
// the job's page with its progress bar; a bad number is the form again
// with what was typed; a second while one is queued is a 409 page linking
// to that job. A member may not start one; another organization's owner
// gets the 404 page.
func TestWizardBackfillForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.storeChannels(t)
	sync4 := "/workspaces/" + f.wsA + "/setup/sync"
	post := "/workspaces/" + f.wsA + "/backfill"
	b := newBrowser(t, f.h)
	b.signIn(f.adminA.Email)
	page := wantPage(t, b.get(sync4), http.StatusOK)
	wantLabels(t, page)
	if strings.Contains(page, "not part of this build yet") || !strings.Contains(page, `action="`+post+`"`) ||
		!strings.Contains(page, `name="days_back"`) || !strings.Contains(page, `placeholder="90"`) ||
		!strings.Contains(page, `value="C01"`) || !strings.Contains(page, "#deploys") || !strings.Contains(page, "🔒secret") {
		t.Fatalf("step 4: %s", page)
	}

	page = wantPage(t, b.post(post, url.Values{"days_back": {"a week"}, "channel": {"C01"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(page, "Days back must be a whole number") || !strings.Contains(page, `value="a week"`) ||
		!strings.Contains(page, `value="C01" checked`) {
		t.Fatalf("bad days back: %s", page)
	}
	page = wantPage(t, b.post(post, url.Values{"days_back": {"400"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(page, "Days back must be 1-365") || !strings.Contains(page, `value="400"`) {
		t.Fatalf("days back out of range: %s", page)
	}

	loc, w := b.follow(b.post(post, url.Values{"days_back": {"7"}, "channel": {"C01"}}))
	page = wantPage(t, w, http.StatusOK)
	if !strings.HasPrefix(loc, "/jobs/") || !strings.Contains(page, "Backfilling from Slack") || !strings.Contains(page, "<progress") ||
		!strings.Contains(page, "The backfill is queued") {
		t.Fatalf("after starting: %s %s", loc, page)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/jobs/"), 10, 64)
	j, err := f.app.Store.Job(context.Background(), f.orgA.ID, id)
	if err != nil || j.Kind != "backfill" || j.WorkspaceID != f.wsA || !strings.Contains(string(j.Params), `"days_back":7`) ||
		!strings.Contains(string(j.Params), `"channels":["C01"]`) {
		t.Fatalf("job %+v %s %v", j, j.Params, err)
	}
	// a full one queued: the next is refused, linking to it
	if _, err := f.app.Jobs.Cancel(context.Background(), f.orgA.ID, id); err != nil {
		t.Fatal(err)
	}
	loc, _ = b.follow(b.post(post, url.Values{}))
	full, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/jobs/"), 10, 64)
	page = wantPage(t, b.post(post, url.Values{"days_back": {"7"}}), http.StatusConflict)
	if !strings.Contains(page, "already queued or running") || !strings.Contains(page, fmt.Sprintf(`href="/jobs/%d"`, full)) {
		t.Fatalf("409: %s", page)
	}

	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	wantPage(t, member.post(post, url.Values{}), http.StatusForbidden)
	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	wantPage(t, other.post(post, url.Values{}), http.StatusNotFound)
	if active, err := f.app.Store.ListActiveJobs(context.Background(), "backfill"); err != nil || len(active) != 1 {
		t.Fatalf("active backfills %+v %v, want the one full run", active, err)
	}
}

// TestWorkspacePageChannels: an admin sees the channel list with message
// counts and include/exclude, and saves choices through UpdateChannels
// (post/redirect/get); an unknown channel changes nothing. A member sees
// no channel list. The page says the socket is down when none runs.
func TestWorkspacePageChannels(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.storeChannels(t)
	wsPage := "/workspaces/" + f.wsA
	b := newBrowser(t, f.h)
	b.signIn(f.adminA.Email)
	page := wantPage(t, b.get(wsPage), http.StatusOK)
	wantLabels(t, page)
	if !strings.Contains(page, "#deploys") || !strings.Contains(page, "<td>1</td>") || !strings.Contains(page, `name="choice-G02"`) ||
		!strings.Contains(page, "down: no Socket Mode connection") || strings.Contains(page, "later version") {
		t.Fatalf("workspace page: %s", page)
	}
	save := func(form url.Values) (string, string) {
		t.Helper()
		w := b.post(wsPage+"/channels", form)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("save: %d %s", w.Code, w.Body)
		}
		loc := w.Header().Get("Location")
		path, _, _ := strings.Cut(loc, "#") // a browser keeps the fragment to itself
		return loc, wantPage(t, b.get(path), http.StatusOK)
	}
	loc, page := save(url.Values{"choice-C01": {"include"}, "choice-G02": {"exclude"}})
	if loc != wsPage+"#channels" || !strings.Contains(page, "The channel choices are saved") ||
		!strings.Contains(page, `<option value="include" selected>`) || !strings.Contains(page, `<option value="exclude" selected>`) {
		t.Fatalf("after saving: %s %s", loc, page)
	}
	c, err := f.app.Backfill.Channels(context.Background(), f.orgA.ID, f.wsA)
	if err != nil || c.Channels[0].Included == nil || !*c.Channels[0].Included || c.Channels[1].Included == nil || *c.Channels[1].Included {
		t.Fatalf("choices stored %+v %v", c, err)
	}
	if _, page = save(url.Values{"choice-C01": {"default"}, "choice-C99": {"include"}}); !strings.Contains(page, "Nothing was changed") {
		t.Fatalf("unknown channel: %s", page)
	}
	if _, page = save(url.Values{"choice-C01": {"maybe"}}); !strings.Contains(page, "nothing was changed") {
		t.Fatalf("bad choice: %s", page)
	}
	if c, _ := f.app.Backfill.Channels(context.Background(), f.orgA.ID, f.wsA); c.Channels[0].Included == nil || !*c.Channels[0].Included {
		t.Fatalf("a refused save changed C01: %+v", c.Channels[0])
	}

	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	if page = wantPage(t, member.get(wsPage), http.StatusOK); strings.Contains(page, "#deploys") || strings.Contains(page, "choice-") {
		t.Fatalf("a member sees the channel list: %s", page)
	}
	wantPage(t, member.post(wsPage+"/channels", url.Values{"choice-C01": {"exclude"}}), http.StatusForbidden)
}
