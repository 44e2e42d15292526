package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"lore/app/backfill"
	"lore/app/documents"
	"lore/app/jobs/importjob"
	"lore/app/scheduler"
	"lore/app/sync"
	"lore/storage"
)

// jobKinds are the kinds of job the jobs page filters by, in its order.
func jobKinds() []string {
	return []string{backfill.Kind, importjob.Kind, scheduler.KindRetention, documents.Kind}
}

// jobsPage lists an organization's jobs and, for admins, starts them.
type jobsPage struct {
	layout
	Jobs       []storage.Job
	Kind       string // the filter; "" for every kind
	Kinds      []string
	Workspaces []storage.Workspace
	// BackfillAvailable tells whether this Lore can backfill (it needs
	// the encryption keys to read bot tokens).
	BackfillAvailable bool
}

// showJobsPage lists the organization's jobs, newest first, of one kind
// when ?kind= says; admins get "backfill now" per workspace and "run
// retention now".
func (h *handler) showJobsPage(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	pg := &jobsPage{layout: layout{Title: "Jobs"}, Kinds: jobKinds(), BackfillAvailable: h.app.Backfill != nil}
	if k := r.URL.Query().Get("kind"); slices.Contains(pg.Kinds, k) {
		pg.Kind = k
	}
	var err error
	if pg.Jobs, err = h.app.Jobs.ListJobs(r.Context(), storage.JobFilter{OrgID: m.OrgID, Kind: pg.Kind, Limit: 100}); err != nil {
		h.fail(w, r, err)
		return
	}
	if pg.Workspaces, err = h.app.Accounts.ListWorkspaces(r.Context(), m.OrgID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "jobs", pg)
}

// WorkspaceName is the name of one of the page's workspaces, or its id.
func (p jobsPage) WorkspaceName(id string) string {
	for _, ws := range p.Workspaces {
		if ws.ID == id {
			return ws.TeamName
		}
	}
	return id
}

// jobPage follows one job.
type jobPage struct {
	layout
	Job     storage.Job
	Outcome jobOutcome
}

// jobOutcome is what the page shows of a job's result detail: the
// document an extraction made, and the channels (backfill) or
// channel-days (import) a partial run could not read, with why.
type jobOutcome struct {
	DocumentID int64                    `json:"document_id"`
	Failed     []backfill.ChannelResult `json:"failed"`
	FailedDays []sync.FailedDay         `json:"failed_days"`
	Notes      []string                 `json:"notes"`
}

// showJobPage shows a job's progress and outcome; the page's script
// follows it live through GET /api/jobs/{job_id}.
func (h *handler) showJobPage(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	j, err := h.app.Jobs.Job(r.Context(), m.OrgID, jobID(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg := &jobPage{layout: layout{Title: fmt.Sprintf("Job %d", j.ID)}, Job: j}
	if len(j.Result) > 0 {
		// A kind whose detail has none of these fields shows none.
		if err := json.Unmarshal(j.Result, &pg.Outcome); err != nil {
			h.logger.Warn("job page: result detail not read", "job_id", j.ID, "error", err)
		}
	}
	h.render(w, r, http.StatusOK, "job", pg)
}

// submitCancelJob cancels a job from its page (the same Cancel as the
// API): a queued one ends at once, a running one is asked to stop and the
// page follows it until it has.
func (h *handler) submitCancelJob(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	id := jobID(r)
	back := fmt.Sprintf("/jobs/%d", id)
	j, err := h.app.Jobs.Cancel(r.Context(), m.OrgID, id)
	switch {
	case errors.Is(err, storage.ErrJobFinished):
		h.redirect(w, r, back, flash{"error", "The job had already ended; nothing was cancelled."})
	case err != nil:
		h.fail(w, r, err)
	case j.Finished():
		h.redirect(w, r, back, flash{"ok", "The job is cancelled; it had not started."})
	default:
		h.redirect(w, r, back, flash{"ok", "The job is asked to stop; it ends within a few seconds, keeping what it stored so far."})
	}
}

// submitRunRetention queues the organization's retention run now (the
// same RunRetention as the API) and shows its job; one already queued or
// running is named on the jobs page instead.
func (h *handler) submitRunRetention(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	j, err := h.app.Scheduler.RunRetention(r.Context(), m.OrgID)
	var active *scheduler.ErrRetentionActive
	switch {
	case errors.As(err, &active):
		h.redirect(w, r, fmt.Sprintf("/organizations/%d/jobs", m.OrgID),
			flash{"error", fmt.Sprintf("A retention run is already %s (job %d); no other was queued.", active.Job.Status, active.Job.ID)})
	case err != nil:
		h.fail(w, r, err)
	default:
		h.redirect(w, r, fmt.Sprintf("/jobs/%d", j.ID), flash{"ok", "The retention run is queued; this page follows it to the end."})
	}
}
