package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lore/app/jobs/importjob/importtest"
	"lore/app/slackfake"
	"lore/storage"
	"lore/ui/browsertest"
)

// TestBrowserCancelBackfill: against the fake Slack, a long backfill (six
// channels read two messages a page, every fourth call a 429) started
// with "backfill now" on the jobs page shows its counts moving, 429s met
// among them, and the admin cancels it from its page: it ends cancelled,
// keeping what it stored, and the jobs page says so.
func TestBrowserCancelBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	slack := fakeSlackAPI(t)
	base := time.Now().Add(-72 * time.Hour).Unix()
	const channels, perChannel = 6, 40
	for c := range channels {
		id := fmt.Sprintf("C0CHAN%d", c)
		slack.AddChannel(slackfake.Channel{ID: id, Name: fmt.Sprintf("team-%d", c), Member: true})
		for i := range perChannel {
			slack.Post(id, slackfake.Message{TS: fmt.Sprintf("%d.%06d", base+int64(60*i), i+1), User: "U1", Text: fmt.Sprintf("update %d of team %d", i, c)})
		}
	}
	slack.CapPages(2)
	slack.Disturb("conversations.history", 4, 0)
	a, orgID := wizardApp(t, slack.URL(), &importtest.Fake{})
	if _, err := a.Accounts.CreateWorkspace(ctx, orgID, "test", slackfake.Acme.ID, slackfake.Acme.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Credentials.Store(ctx, "test", orgID, slackfake.Acme.ID, credentialsOf(testBotToken)); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, serveUI(t, a))

	b.Open(fmt.Sprintf("/organizations/%d/jobs", orgID))
	b.Fill("login-email", "owner@acme.test")
	b.Fill("login-password", testPassword)
	b.Click("form.form button[type=submit]")
	b.WaitText("h1", "Jobs of Acme")
	b.CheckPage()
	b.Shot("jobs-before")
	b.Click(`form[action="/workspaces/` + slackfake.Acme.ID + `/backfill"] button`)
	b.WaitText("h1", "Backfilling from Slack")
	b.WaitFor("messages stored and a 429 met", `Number(document.querySelector('[data-count="messages"]').textContent) > 0 &&
		Number(document.querySelector('[data-count="rate_limited"]').textContent) > 0`)
	b.CheckPage()
	b.Shot("backfill-running")
	id, err := strconv.ParseInt(strings.TrimPrefix(b.Path(), "/jobs/"), 10, 64)
	if err != nil {
		t.Fatalf("job page %s: %v", b.Path(), err)
	}

	b.Click("form[data-job-cancel] button")
	b.WaitText(".flash", "asked to stop")
	b.WaitFor("the job ends cancelled", `document.querySelector("[data-job-url]").dataset.finished === "cancelled"`)
	if b.Text("#job-status") != "cancelled" {
		t.Errorf("status shown %q", b.Text("#job-status"))
	}
	if n := browsertest.Get(b, "cancel button", chromedp.Evaluate[int](`document.querySelectorAll("form[data-job-cancel], [data-job-ask]").length`)); n != 0 {
		t.Errorf("the cancel button or the first question is still there once the job is cancelled")
	}
	b.CheckPage()
	b.Shot("backfill-cancelled")
	j, err := a.Jobs.Job(ctx, orgID, id)
	if err != nil || j.Status != storage.JobCancelled || j.Progress.RateLimited == 0 {
		t.Fatalf("job %+v %v, want cancelled having met a 429", j, err)
	}
	stored, err := a.Accounts.CountMessages(ctx, orgID, slackfake.Acme.ID)
	if err != nil || stored == 0 || stored >= channels*perChannel {
		t.Fatalf("%d messages stored (%v), want some but not all %d: the cancel came mid-run", stored, err, channels*perChannel)
	}

	b.Open(fmt.Sprintf("/organizations/%d/jobs", orgID))
	b.WaitText("table.jobs", "cancelled")
	b.Shot("jobs-after")
}

// TestBrowserPartialBackfillOutcome: a backfill that cannot read one
// channel ends partial while its page is open, and the page then names
// that channel and why.
func TestBrowserPartialBackfillOutcome(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	slack := fakeSlackAPI(t)
	base := time.Now().Add(-24 * time.Hour).Unix()
	slack.AddChannel(slackfake.Channel{ID: "C0GENERAL", Name: "general", Member: true})
	slack.AddChannel(slackfake.Channel{ID: "C0LOCKED", Name: "locked", Member: true})
	for i := range 5 {
		slack.Post("C0GENERAL", slackfake.Message{TS: fmt.Sprintf("%d.%06d", base+int64(60*i), i+1), User: "U1", Text: "hello"})
	}
	slack.FailChannel("C0LOCKED", "channel_not_found")
	a, orgID := wizardApp(t, slack.URL(), &importtest.Fake{})
	if _, err := a.Accounts.CreateWorkspace(ctx, orgID, "test", slackfake.Acme.ID, slackfake.Acme.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Credentials.Store(ctx, "test", orgID, slackfake.Acme.ID, credentialsOf(testBotToken)); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, serveUI(t, a))
	b.Open(fmt.Sprintf("/organizations/%d/jobs", orgID))
	b.Fill("login-email", "owner@acme.test")
	b.Fill("login-password", testPassword)
	b.Click("form.form button[type=submit]")
	b.Click(`form[action="/workspaces/` + slackfake.Acme.ID + `/backfill"] button`)
	b.WaitText("h1", "Backfilling from Slack")
	b.WaitText("#outcome-channels", "#locked")
	if why := b.Text("#outcome-channels td:last-child"); !strings.Contains(why, "channel_not_found") {
		t.Errorf("the reason shown is %q", why)
	}
	if status := b.Text("#job-status"); status != "partial" {
		t.Errorf("status %q, want partial", status)
	}
	if ended := b.Text(`[data-when="finished_at"]`); !strings.HasSuffix(ended, " UTC") || ended == "never" {
		t.Errorf("the job's end shows %q", ended)
	}
	b.CheckPage()
	b.Shot("backfill-partial")
}
