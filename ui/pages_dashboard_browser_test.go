package ui

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lore/app/jobs/importjob"
	"lore/ui/browsertest"
)

// recentExport is a Slack export of one channel whose messages were posted
// on the given days before today (UTC), as many as each day says.
func recentExport(t *testing.T, perDay map[int]int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	write := func(name string, v any) {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.NewEncoder(f).Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	write("users.json", []map[string]string{{"id": "U1", "team_id": "TDASH1", "name": "maya"}})
	write("channels.json", []map[string]string{{"id": "C0GENERAL", "name": "general"}})
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for ago, n := range perDay {
		day := today.AddDate(0, 0, -ago)
		var msgs []map[string]string
		for i := range n {
			msgs = append(msgs, map[string]string{"type": "message", "user": "U1", "text": fmt.Sprintf("note %d of %s", i, day.Format(time.DateOnly)),
				"ts": fmt.Sprintf("%d.%06d", day.Add(time.Duration(i)*time.Minute).Unix(), i+1)})
		}
		write("general/"+day.Format(time.DateOnly)+".json", msgs)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// syncImporter is the app's own importer, set once the app is open.
type syncImporter struct{ importjob.Importer }

// TestBrowserDashboardChart: after an export of four recent days (and one
// too old for the chart) is imported, sign-in lands on the dashboard,
// whose chart is an SVG with a bar for each of the four days, its title
// and the same numbers in words and in a table.
func TestBrowserDashboardChart(t *testing.T) {
	t.Parallel()
	slack := fakeSlackAPI(t)
	imp := &syncImporter{}
	a, orgID := wizardApp(t, slack.URL(), imp)
	imp.Importer = a.Sync
	b := browsertest.New(t, serveUI(t, a))

	b.Open("/login")
	b.Fill("login-email", "owner@acme.test")
	b.Fill("login-password", testPassword)
	b.Click("form.form button[type=submit]")
	b.WaitText("h1", "Dashboard of Acme")
	if p := b.Path(); p != fmt.Sprintf("/organizations/%d", orgID) {
		t.Fatalf("sign-in lands on %s, want the dashboard", p)
	}
	if n := browsertest.Get(b, "bars", chromedp.Evaluate[int](`document.querySelectorAll("svg.chart rect.bar").length`)); n != 0 {
		t.Fatalf("%d bars before any import", n)
	}
	b.CheckPage()
	b.Shot("dashboard-empty")

	export := filepath.Join(t.TempDir(), "recent.zip")
	if err := os.WriteFile(export, recentExport(t, map[int]int{1: 12, 3: 30, 10: 5, 60: 18, 200: 7}), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Open(fmt.Sprintf("/organizations/%d/setup", orgID))
	b.Upload("org-import-file", export)
	b.Click(`form[action$="/import"] button[type=submit]`)
	b.WaitText("h1", "Importing a Slack export")
	b.WaitFor("the import ends", `document.querySelector("[data-job-url]").dataset.finished === "succeeded"`)
	b.Shot("import-done")

	b.Click(`nav a[href="/organizations/` + fmt.Sprint(orgID) + `"]`)
	b.WaitText("h1", "Dashboard of Acme")
	bars := browsertest.Get(b, "bars", chromedp.Evaluate[[]string](`[...document.querySelectorAll("svg.chart rect.bar")]
		.filter(r => r.getBBox().height > 0).map(r => r.querySelector("title").textContent)`))
	if len(bars) != 4 {
		t.Fatalf("bars %q, want the four days of the last 90 with messages", bars)
	}
	for i, n := range []int{18, 5, 30, 12} {
		if !strings.HasSuffix(bars[i], fmt.Sprintf(": %d messages", n)) {
			t.Errorf("bar %d is %q, want %d messages", i, bars[i], n)
		}
	}
	svgText := func(css string) string {
		return browsertest.Get(b, "text of "+css, chromedp.Evaluate[string](`document.querySelector("`+css+`").textContent`))
	}
	if title := svgText("svg.chart #chart-title"); title != "Messages per day (UTC)" {
		t.Errorf("chart title %q", title)
	}
	if s := b.Text("#chart-summary"); !strings.HasPrefix(s, "65 messages from") || !strings.Contains(s, "with 30") || !strings.Contains(s, "86 days had none") {
		t.Errorf("chart summary %q", s)
	}
	if labels := svgText("svg.chart .axis"); !strings.Contains(labels, "50") {
		t.Errorf("the y axis %q does not reach 50", labels)
	}
	if ws := b.Text("#ws-heading + h3"); ws == "" {
		t.Errorf("the imported workspace is not listed")
	}
	b.CheckPage()
	b.Shot("dashboard-chart")
	b.Tap("details summary")
	b.WaitText("details table", "30")
	b.Shot("dashboard-chart-table")
}
