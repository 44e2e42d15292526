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

	"lore/app/sync"
	"lore/storage"
)

// seedActivity gives workspace A messages on three of the last 90 days
// (two today, three 2 days ago, one 40 days ago) and one 120 days ago,
// and organization B one today; it returns the days with messages.
func (f *fixture) seedActivity(t testing.TB) []time.Time {
	t.Helper()
	ctx := context.Background()
	msgs := sync.New(f.app.Store, f.app.Logger, sync.Options{})
	today := time.Now().UTC().Truncate(24 * time.Hour)
	at := func(daysAgo int, minute int) sync.Message {
		return sync.Message{TS: fmt.Sprintf("%d.000100", today.AddDate(0, 0, -daysAgo).Add(time.Duration(minute)*time.Minute).Unix()),
			User: "U1", Text: fmt.Sprintf("note %d/%d", daysAgo, minute)}
	}
	for ws, list := range map[string][]sync.Message{
		f.wsA: {at(0, 1), at(0, 2), at(2, 1), at(2, 2), at(2, 3), at(40, 5), at(120, 5)},
		f.wsB: {at(0, 3)},
	} {
		if err := msgs.StoreChannelsAndUsers(ctx, ws, []sync.Channel{{ID: "C01", Name: "general"}}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := msgs.StoreMessages(ctx, nil, ws, "C01", list); err != nil {
			t.Fatal(err)
		}
	}
	return []time.Time{today.AddDate(0, 0, -40), today.AddDate(0, 0, -2), today}
}

var barTag = regexp.MustCompile(`<rect class="bar" [^>]*><title>([^<]*)</title>`)

// TestDashboardPage: the dashboard shows each workspace's state, a bar per
// day with messages in the last 90 days (and the same in a table), the
// questions for admins (a private channel's without its words) and the
// next scheduled runs. A member sees no questions; another organization's
// owner gets the 404 page, and a stranger the login page.
func TestDashboardPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	days := f.seedActivity(t)
	if _, err := f.app.Credentials.Store(ctx, "test", f.orgA.ID, f.wsA, credentialsOf(testBotToken)); err != nil {
		t.Fatal(err)
	}
	backfill, err := f.app.Store.CreateJob(ctx, storage.NewJob{OrgID: f.orgA.ID, WorkspaceID: f.wsA, Kind: "backfill"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []storage.Question{
		{OrgID: f.orgA.ID, Source: "web", Question: "where is the deploy runbook?", Answered: true, Confidence: 71},
		{OrgID: f.orgA.ID, Source: "web", Question: "who owns billing?"},
		{OrgID: f.orgA.ID, Source: "ask", WorkspaceID: f.wsA, ChannelID: "G9", ChannelPrivate: true, Question: "when is the layoff announced?"},
		{OrgID: f.orgB.ID, Source: "web", Question: "B's own question"},
	} {
		id, err := f.app.Store.CreateQuestion(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if q.Answered { // its asker said it did not help
			if err := f.app.Store.SetQuestionFeedback(ctx, q.OrgID, id, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := fmt.Sprintf("/organizations/%d", f.orgA.ID)

	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	page := wantPage(t, admin.get(path), http.StatusOK)
	wantLabels(t, page)
	for _, want := range []string{
		"Dashboard of Org A", `href="/workspaces/` + f.wsA + `"`, "A&#39;s Slack",
		"stored, not tested with Slack yet", "down: no Socket Mode connection",
		fmt.Sprintf(`href="/jobs/%d"`, backfill.ID), "queued",
		"<dt>Messages indexed</dt><dd>7</dd>",
		`role="img"`, `<title id="chart-title">`, `<desc id="chart-desc">`,
		"6 messages from", "87 days had none", "The numbers, day by day",
		"where is the deploy runbook?", "who owns billing?", "asked in a private channel",
		"answered, confidence 71 · 👎 did not help",
		"Next scheduled runs", "every day at 02:00 UTC", "every day at 03:00 UTC",
		fmt.Sprintf(`href="/organizations/%d/jobs"`, f.orgA.ID),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	for _, never := range []string{"layoff", "B&#39;s own question", "B's Slack", testBotToken} {
		if strings.Contains(page, never) {
			t.Errorf("the dashboard shows %q", never)
		}
	}
	bars := barTag.FindAllStringSubmatch(page, -1)
	if len(bars) != len(days) {
		t.Fatalf("%d bars, want one per day with messages (%d): %q", len(bars), len(days), bars)
	}
	for i, want := range []string{"1 message", "3 messages", "2 messages"} {
		if label := bars[i][1]; label != days[i].Format("Mon 2 Jan 2006")+": "+want {
			t.Errorf("bar %d is %q, want %s of %s", i, label, want, days[i].Format(time.DateOnly))
		}
	}
	// The unanswered list holds the two unanswered questions only.
	_, unanswered, _ := strings.Cut(page, "Unanswered questions")
	unanswered, _, _ = strings.Cut(unanswered, "Recent questions")
	if strings.Contains(unanswered, "deploy runbook") || !strings.Contains(unanswered, "who owns billing?") {
		t.Errorf("unanswered list: %s", unanswered)
	}

	owner := newBrowser(t, f.h)
	owner.signIn(f.ownerA.Email)
	if page := wantPage(t, owner.get(path), http.StatusOK); !strings.Contains(page, "who owns billing?") || strings.Contains(page, "layoff") ||
		len(barTag.FindAllString(page, -1)) != len(days) {
		t.Errorf("the owner's dashboard: %s", page)
	}

	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	page = wantPage(t, member.get(path), http.StatusOK)
	if !strings.Contains(page, "Dashboard of Org A") || !strings.Contains(page, `class="bar"`) || strings.Contains(page, "who owns billing?") ||
		strings.Contains(page, "Unanswered questions") {
		t.Errorf("a member's dashboard: %s", page)
	}
	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	wantPage(t, other.get(path), http.StatusNotFound)
	if page := wantPage(t, other.get(fmt.Sprintf("/organizations/%d", f.orgB.ID)), http.StatusOK); !strings.Contains(page, "B&#39;s Slack") ||
		len(barTag.FindAllString(page, -1)) != 1 || strings.Contains(page, "A&#39;s Slack") {
		t.Errorf("B's dashboard: %s", page)
	}
	anon := newBrowser(t, f.h)
	if w := anon.get(path); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next="+url.QueryEscape(path) {
		t.Errorf("signed out: %d %q", w.Code, w.Header().Get("Location"))
	}
}

// TestDashboardIsHome: signed in, / and the login form land on the first
// organization's dashboard.
func TestDashboardIsHome(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	loc, _ := b.follow(b.post("/login", url.Values{"email": {f.memberA.Email}, "password": {testPassword}, "next": {"/"}}))
	if loc != "/" {
		t.Fatalf("login goes to %s", loc)
	}
	w := b.get("/")
	if loc, w = b.follow(w); loc != fmt.Sprintf("/organizations/%d", f.orgA.ID) || !strings.Contains(wantPage(t, w, http.StatusOK), "Dashboard of Org A") {
		t.Fatalf("/ goes to %s", loc)
	}
}

// TestNewChart lays out the chart: a bar per day with messages, as high as
// its share of the y axis's top (a round number above the busiest day),
// the axes' labels, and the same in words.
func TestNewChart(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 9, 3, 15, 0, 0, 0, time.UTC)
	day := func(i int) time.Time { return time.Date(2026, 9, 3+i, 0, 0, 0, 0, time.UTC) }
	c := newChart(since, 90, []storage.DayCount{{Day: day(0), Messages: 40}, {Day: day(45), Messages: 1234}, {Day: day(89), Messages: 617}})
	if len(c.Bars) != 3 || c.Total != "1,891" || c.Quiet != 87 || c.Busiest.Day != day(45) || c.Busiest.Messages != "1,234" {
		t.Fatalf("chart %+v", c)
	}
	height := c.Bottom - c.Top
	// the top of the axis is 2,000: 1,234 is 61.7% of the plot's height
	if got := c.Bars[1].H / height; got < 0.616 || got > 0.618 {
		t.Errorf("the busiest bar is %.3f of the height, want 0.617", got)
	}
	if c.Bars[0].X >= c.Bars[1].X || c.Bars[1].X >= c.Bars[2].X || c.Bars[2].X+c.Bars[2].W > c.Right || c.Bars[0].X < c.Left {
		t.Errorf("bars out of order or out of the plot: %+v", c.Bars)
	}
	var y, x []string
	for _, tk := range c.YTicks {
		y = append(y, tk.Label)
	}
	for _, tk := range c.XTicks {
		x = append(x, tk.Label)
	}
	if strings.Join(y, " ") != "0 1,000 2,000" || strings.Join(x, " ") != "3 Sep 3 Oct 2 Nov 1 Dec" {
		t.Errorf("y axis %q, x axis %q", y, x)
	}
	if c.From != day(0) || c.To != day(89) || c.Bars[2].Label() != "Tue 1 Dec 2026: 617 messages" {
		t.Errorf("from %s to %s, last bar %q", c.From, c.To, c.Bars[2].Label())
	}
	if got := (chartBar{Day: day(3), Messages: "1"}).Label(); !strings.HasSuffix(got, ": 1 message") {
		t.Errorf("a day of one message: %q", got)
	}
	empty := newChart(since, 90, nil)
	if len(empty.Bars) != 0 || empty.Total != "0" || empty.Quiet != 90 || len(empty.YTicks) != 2 {
		t.Errorf("empty chart %+v", empty)
	}
}
