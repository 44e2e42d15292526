package ui

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"lore/app/validation"
	"lore/storage"
)

type progressJSON struct {
	Percent       int    `json:"percent"`
	ChannelsDone  int    `json:"channels_done"`
	ChannelsTotal int    `json:"channels_total"`
	Messages      int64  `json:"messages"`
	APICalls      int64  `json:"api_calls"`
	RateLimited   int64  `json:"rate_limited"`
	Current       string `json:"current"`
}

// jobJSON is a job as the API shows it. Its params stay on the server
// (an upload's path there is nobody else's business).
type jobJSON struct {
	ID              int64           `json:"job_id"`
	OrgID           int64           `json:"org_id"`
	WorkspaceID     string          `json:"workspace_id,omitempty"`
	Kind            string          `json:"kind"`
	Status          string          `json:"status"`
	Progress        progressJSON    `json:"progress"`
	Summary         string          `json:"summary"`
	Result          json.RawMessage `json:"result"`
	ErrorMessage    string          `json:"error_message"`
	Attempts        int             `json:"attempts"`
	CancelRequested bool            `json:"cancel_requested"`
	CreatedAt       time.Time       `json:"created_at"`
	StartedAt       *time.Time      `json:"started_at"`
	FinishedAt      *time.Time      `json:"finished_at"`
	HeartbeatAt     *time.Time      `json:"heartbeat_at"`
}

func toJobJSON(j storage.Job) jobJSON {
	p := j.Progress
	out := jobJSON{ID: j.ID, OrgID: j.OrgID, WorkspaceID: j.WorkspaceID, Kind: j.Kind, Status: j.Status,
		Progress: progressJSON{Percent: p.Percent, ChannelsDone: p.ChannelsDone, ChannelsTotal: p.ChannelsTotal,
			Messages: p.Messages, APICalls: p.APICalls, RateLimited: p.RateLimited, Current: p.Current},
		Summary: j.Summary, Result: j.Result, ErrorMessage: j.Error, Attempts: j.Attempts,
		CancelRequested: j.CancelRequested, CreatedAt: j.CreatedAt,
		StartedAt: timeOrNil(j.StartedAt), FinishedAt: timeOrNil(j.FinishedAt), HeartbeatAt: timeOrNil(j.HeartbeatAt)}
	if out.Result == nil {
		out.Result = json.RawMessage("null")
	}
	return out
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// jobID is the {job_id} of a route guard has already checked.
func jobID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("job_id"), 10, 64)
	return id
}

// showJob returns a job of the caller's organization, with its live progress.
func (h *handler) showJob(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	j, err := h.app.Jobs.Job(r.Context(), m.OrgID, jobID(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toJobJSON(j))
}

// maxJobs bounds one page of a job list.
const maxJobs = 200

// listWorkspaceJobs lists a workspace's jobs, newest first. Query: kind,
// limit (1-200, default 50).
func (h *handler) listWorkspaceJobs(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	h.listJobs(w, r, storage.JobFilter{OrgID: m.OrgID, WorkspaceID: r.PathValue("workspace_id")})
}

// listOrganizationJobs lists all the organization's jobs (imports,
// backfills, retention runs, extractions), newest first. Query: kind,
// workspace_id, limit (1-200, default 50).
func (h *handler) listOrganizationJobs(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	h.listJobs(w, r, storage.JobFilter{OrgID: m.OrgID, WorkspaceID: r.URL.Query().Get("workspace_id")})
}

// listJobs answers a job list of f, narrowed by the query's kind and limit.
func (h *handler) listJobs(w http.ResponseWriter, r *http.Request, f storage.JobFilter) {
	q := r.URL.Query()
	f.Kind, f.Limit = q.Get("kind"), 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxJobs {
			h.fail(w, r, &validation.Error{Code: "invalid_request", Message: "some fields are invalid",
				Fields: map[string]string{"limit": "must be 1-200"}})
			return
		}
		f.Limit = n
	}
	list, err := h.app.Jobs.ListJobs(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]jobJSON, 0, len(list))
	for _, j := range list {
		out = append(out, toJobJSON(j))
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": out})
}

// cancelJob cancels a job through its row: a queued one ends cancelled at
// once (200), a running one is asked to stop and ends within a heartbeat
// (202); one that has ended is a 409.
func (h *handler) cancelJob(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	j, err := h.app.Jobs.Cancel(r.Context(), m.OrgID, jobID(r))
	if errors.Is(err, storage.ErrJobFinished) {
		writeError(w, http.StatusConflict, "job_finished", "the job has already ended", nil)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if !j.Finished() {
		status = http.StatusAccepted
	}
	writeJSON(w, status, toJobJSON(j))
}
