package ui

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/dustin/go-humanize"

	"lore/app/accounts"
	"lore/app/answers"
	"lore/app/credentials"
	"lore/app/scheduler"
	"lore/storage"
)

// chartDays is how many days the dashboard's chart shows, today included.
const chartDays = 90

// dashboardQuestions is how many questions each of the dashboard's lists shows.
const dashboardQuestions = 8

// dashboardWorkspace is one workspace's state at a glance.
type dashboardWorkspace struct {
	storage.Workspace
	// Credentials is their state without the secrets (nil when this Lore
	// has no keys loaded to know of them).
	Credentials *credentials.View
	Socket      string       // "up", "down" or "" (see workspacePage)
	Backfill    *storage.Job // the newest backfill, or nil
	Messages    int64
}

// dashboardPage is an organization's dashboard.
type dashboardPage struct {
	layout
	Workspaces []dashboardWorkspace
	Chart      chart
	// Recent and Unanswered are the newest questions and the newest of
	// those Lore could not answer (admins only, as the questions API is);
	// one asked in a private channel comes without its words.
	Recent, Unanswered []answers.LoggedQuestion
	Schedule           []scheduler.Entry
}

// showDashboard is an organization's start page: each workspace's state,
// the messages per day of the last 90 days, the questions asked and those
// left unanswered, and the next scheduled runs.
func (h *handler) showDashboard(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	ctx := r.Context()
	list, err := h.app.Accounts.ListWorkspaces(ctx, m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg := &dashboardPage{layout: layout{Title: "Dashboard"}}
	for _, ws := range list {
		d := dashboardWorkspace{Workspace: ws, Socket: h.socketState(ws)}
		if h.app.Credentials != nil {
			v, err := h.app.Credentials.State(ctx, m.OrgID, ws.ID)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			d.Credentials = &v
		}
		backfills, err := h.app.Jobs.ListJobs(ctx, storage.JobFilter{OrgID: m.OrgID, WorkspaceID: ws.ID, Kind: scheduler.KindBackfill, Limit: 1})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if len(backfills) > 0 {
			d.Backfill = &backfills[0]
		}
		if d.Messages, err = h.app.Accounts.CountMessages(ctx, m.OrgID, ws.ID); err != nil {
			h.fail(w, r, err)
			return
		}
		pg.Workspaces = append(pg.Workspaces, d)
	}
	today := h.now().UTC()
	since := today.AddDate(0, 0, 1-chartDays)
	days, err := h.app.Accounts.MessagesPerDay(ctx, m.OrgID, since, today)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg.Chart = newChart(since, chartDays, days)
	if accounts.RoleAtLeast(m.Role, storage.RoleAdmin) {
		if pg.Recent, err = h.app.Answers.ListQuestions(ctx, m.OrgID, nil, dashboardQuestions); err != nil {
			h.fail(w, r, err)
			return
		}
		unanswered := false
		if pg.Unanswered, err = h.app.Answers.ListQuestions(ctx, m.OrgID, &unanswered, dashboardQuestions); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if pg.Schedule, err = h.app.Scheduler.Schedule(ctx, m.OrgID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "dashboard", pg)
}

// socketState says whether a workspace's Socket Mode connection is up in
// this process: "up", "down", or "" when the page cannot tell (HTTP mode,
// or no Socket Mode runtime).
func (h *handler) socketState(ws storage.Workspace) string {
	if ws.Transport == storage.TransportHTTP || h.app.Sockets == nil {
		return ""
	}
	if slices.Contains(h.app.Sockets.Connected(), ws.ID) {
		return "up"
	}
	return "down"
}

// chart is the messages-per-day bar chart, laid out here so that the page
// draws it as SVG with no script: a bar per day with messages, the y axis
// with its gridlines and the x axis with a date every 30 days. Total,
// Busiest and Quiet say the same in words, and Days lists it in a table.
type chart struct {
	Width, Height int // the viewBox
	N             int // days shown
	// Left, Right, Top, Bottom are the plot area's edges.
	Left, Right, Top, Bottom float64
	Bars                     []chartBar
	YTicks, XTicks           []chartTick
	From, To                 time.Time
	Total                    string // messages in all the days, "12,345"
	Busiest                  chartBar
	Quiet                    int // days without a message
	Days                     []chartBar
}

// chartBar is one day's bar.
type chartBar struct {
	Day        time.Time
	Messages   string // "1,234"
	X, Y, W, H float64
}

// Label is the bar's day and count in words.
func (b chartBar) Label() string {
	noun := " messages"
	if b.Messages == "1" {
		noun = " message"
	}
	return b.Day.Format("Mon 2 Jan 2006") + ": " + b.Messages + noun
}

// chartTick is a labelled point of an axis.
type chartTick struct {
	X, Y   float64
	Label  string
	Anchor string // the x axis label's text-anchor
}

// newChart lays out n days from the day of since, with the counts of days
// (those with messages, in order).
func newChart(since time.Time, n int, days []storage.DayCount) chart {
	c := chart{Width: 640, Height: 248, N: n, Left: 84, Right: 632, Top: 12, Bottom: 208}
	from := since.UTC().Truncate(24 * time.Hour)
	c.From, c.To = from, from.AddDate(0, 0, n-1)
	var most, total int64
	for _, d := range days {
		most, total = max(most, d.Messages), total+d.Messages
	}
	c.Total = humanize.Comma(total)
	c.Quiet = n - len(days)
	top := niceCeil(most)
	step := (c.Right - c.Left) / float64(n)
	height := c.Bottom - c.Top
	for _, d := range days {
		i := int(d.Day.Sub(from) / (24 * time.Hour))
		if i < 0 || i >= n {
			continue
		}
		h := math.Max(1, height*float64(d.Messages)/float64(top))
		b := chartBar{Day: d.Day, Messages: humanize.Comma(d.Messages), X: c.Left + float64(i)*step + step*0.1, W: step * 0.8,
			Y: c.Bottom - h, H: h}
		c.Bars = append(c.Bars, b)
		if d.Messages == most && c.Busiest.Day.IsZero() {
			c.Busiest = b
		}
	}
	c.Days = c.Bars
	ticks := []int64{0, top}
	if top%2 == 0 {
		ticks = []int64{0, top / 2, top}
	}
	for _, v := range ticks {
		c.YTicks = append(c.YTicks, chartTick{X: c.Left - 6, Y: c.Bottom - height*float64(v)/float64(top), Label: humanize.Comma(v)})
	}
	for i := 0; i < n; i += 30 {
		c.XTicks = append(c.XTicks, chartTick{X: c.Left + (float64(i)+0.5)*step, Y: c.Bottom + 30,
			Label: from.AddDate(0, 0, i).Format("2 Jan"), Anchor: "middle"})
	}
	if len(c.XTicks) > 0 {
		c.XTicks[0].X, c.XTicks[0].Anchor = c.Left, "start"
	}
	c.XTicks = append(c.XTicks, chartTick{X: c.Right, Y: c.Bottom + 30, Label: c.To.Format("2 Jan"), Anchor: "end"})
	return c
}

// niceCeil is the smallest of 1, 2 and 5 times a power of ten that is at
// least n: the top of the y axis.
func niceCeil(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

// F writes a coordinate for the SVG.
func (chart) F(v float64) string { return fmt.Sprintf("%.1f", v) }
