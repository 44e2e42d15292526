package ui

import (
	"errors"
	"fmt"
	"net/http"

	"lore/app/scheduler"
)

// showSchedule lists every scheduled job of the organization: its cron, its
// next run in UTC and in words, and its last run and outcome.
func (h *handler) showSchedule(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	entries, err := h.app.Scheduler.Schedule(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"org_id": m.OrgID, "jobs": entries})
}

// runRetention queues the organization's retention run now: 202 with the
// job to follow, or 409 naming the run already queued or running.
func (h *handler) runRetention(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	j, err := h.app.Scheduler.RunRetention(r.Context(), m.OrgID)
	var active *scheduler.ErrRetentionActive
	if errors.As(err, &active) {
		h.fail(w, r, &requestError{status: http.StatusConflict, code: "retention_running",
			message: fmt.Sprintf("a retention run is already %s: job %d", active.Job.Status, active.Job.ID)})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"job_id": j.ID})
}
