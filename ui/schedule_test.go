package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestScheduleShowsEveryJobAndFollowsTheSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := fmt.Sprintf("/api/organizations/%d/schedule", f.orgA.ID)
	get := func() map[string]map[string]any {
		t.Helper()
		w := f.do(t, "GET", path, f.memberA.Token, "")
		if w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		var body struct {
			Jobs []map[string]any `json:"jobs"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]any{}
		for _, j := range body.Jobs {
			out[j["job"].(string)] = j
		}
		return out
	}
	jobs := get()
	b := jobs["backfill"]
	if b["cron"] != "0 2 * * *" || b["every"] != "every day at 02:00 UTC" || b["enabled"] != true || b["last_run"] != nil {
		t.Fatalf("backfill = %v", b)
	}
	next, err := time.Parse(time.RFC3339, fmt.Sprint(b["next_run"]))
	if err != nil || next.Location() != time.UTC || next.Hour() != 2 || next.Minute() != 0 {
		t.Fatalf("next_run = %v (%v), want 02:00 UTC", b["next_run"], err)
	}
	if r := jobs["retention"]; r["cron"] != "0 3 * * *" || r["enabled"] != true {
		t.Fatalf("retention = %v", r)
	}
	if d := jobs["digest"]; d == nil || d["enabled"] != false || d["next_run"] != nil {
		t.Fatalf("digest = %v, want listed and off by default", d)
	}
	w := f.do(t, "PATCH", fmt.Sprintf("/api/organizations/%d/settings", f.orgA.ID), f.adminA.Token,
		`{"backfill_schedule": "0 8 * * 1", "auto_backfill_enabled": false}`)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	b = get()["backfill"]
	if b["every"] != "every Monday at 08:00 UTC" || b["enabled"] != false || b["next_run"] != nil {
		t.Fatalf("backfill after the patch = %v", b)
	}
	// Another organization's schedule is not found.
	wantError(t, f.do(t, "GET", fmt.Sprintf("/api/organizations/%d/schedule", f.orgB.ID), f.memberA.Token, ""), http.StatusNotFound, "not_found")
}

func TestRetentionRunQueuesOneJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := fmt.Sprintf("/api/organizations/%d/retention/run", f.orgA.ID)
	wantError(t, f.do(t, "POST", path, f.memberA.Token, ""), http.StatusForbidden, "forbidden")
	w := f.do(t, "POST", path, f.adminA.Token, "")
	if w.Code != http.StatusAccepted {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var body struct {
		JobID int64 `json:"job_id"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.JobID == 0 {
		t.Fatalf("%s: %v", w.Body, err)
	}
	j := f.do(t, "GET", fmt.Sprintf("/api/jobs/%d", body.JobID), f.adminA.Token, "")
	if j.Code != http.StatusOK || !json.Valid(j.Body.Bytes()) {
		t.Fatalf("%d %s", j.Code, j.Body)
	}
	// The runner is not started here: the job is still queued, so a second
	// request is refused with the job named.
	e := wantError(t, f.do(t, "POST", path, f.adminA.Token, ""), http.StatusConflict, "retention_running")
	if want := fmt.Sprintf("job %d", body.JobID); !strings.Contains(e.Error.Message, want) {
		t.Fatalf("message %q does not name %s", e.Error.Message, want)
	}
}
