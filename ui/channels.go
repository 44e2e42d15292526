package ui

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"lore/app/backfill"
	"lore/storage"
)

type channelJSON struct {
	ChannelID string `json:"channel_id"`
	Name      string `json:"name"`
	Private   bool   `json:"private"`
	Archived  bool   `json:"archived"`
	Member    bool   `json:"member"`
	// Choice is the admin's: "include", "exclude" or "default"; Included
	// is what the backfill does with it.
	Choice       string     `json:"choice"`
	Included     bool       `json:"included"`
	Messages     int64      `json:"messages"`
	LastSyncedAt *time.Time `json:"last_synced_at"`
	OldestTS     string     `json:"oldest_ts"`
	NewestTS     string     `json:"newest_ts"`
	LastError    string     `json:"last_error"`
}

type channelsJSON struct {
	JoinAllPublic bool          `json:"join_all_public"`
	Channels      []channelJSON `json:"channels"`
}

func toChannelsJSON(c backfill.Channels) channelsJSON {
	out := channelsJSON{JoinAllPublic: c.JoinPublic, Channels: make([]channelJSON, 0, len(c.Channels))}
	for _, ch := range c.Channels {
		choice := "default"
		if ch.Included != nil {
			choice = map[bool]string{true: "include", false: "exclude"}[*ch.Included]
		}
		out.Channels = append(out.Channels, channelJSON{ChannelID: ch.ID, Name: ch.Name, Private: ch.Private, Archived: ch.Archived,
			Member: ch.Member, Choice: choice, Included: backfill.Covered(ch), Messages: ch.Messages,
			LastSyncedAt: timeOrNil(ch.LastSyncedAt), OldestTS: ch.OldestTS, NewestTS: ch.NewestTS, LastError: ch.LastError})
	}
	return out
}

// listChannels lists a workspace's channels with their sync state.
func (h *handler) listChannels(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	c, err := h.app.Backfill.Channels(r.Context(), m.OrgID, r.PathValue("workspace_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toChannelsJSON(c))
}

type channelChoiceRequest struct {
	ChannelID string `json:"channel_id"`
	// Choice is "include", "exclude" or "default".
	Choice string `json:"choice"`
}

type updateChannelsRequest struct {
	JoinAllPublic *bool                  `json:"join_all_public"`
	Channels      []channelChoiceRequest `json:"channels"`
}

// updateChannels includes or excludes channels, and sets whether the
// backfill joins every public channel; all or nothing.
func (h *handler) updateChannels(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	var req updateChannelsRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	u := backfill.ChannelsUpdate{JoinPublic: req.JoinAllPublic}
	for i, c := range req.Channels {
		choice := storage.ChannelChoice{ChannelID: c.ChannelID}
		switch c.Choice {
		case "include", "exclude":
			v := c.Choice == "include"
			choice.Included = &v
		case "default":
		default:
			h.fail(w, r, invalidField("channels["+strconv.Itoa(i)+"].choice", `must be "include", "exclude" or "default"`))
			return
		}
		u.Choices = append(u.Choices, choice)
	}
	c, err := h.app.Backfill.UpdateChannels(r.Context(), m.OrgID, r.PathValue("workspace_id"), u)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toChannelsJSON(c))
}

type backfillRequest struct {
	DaysBack int      `json:"days_back"`
	Channels []string `json:"channels"`
}

// startBackfill queues a backfill of the workspace: 202 with its job id,
// or 409 with the id of the one already queued or running.
func (h *handler) startBackfill(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	var req backfillRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	j, err := h.app.Backfill.Start(r.Context(), m.OrgID, r.PathValue("workspace_id"),
		backfill.Request{DaysBack: req.DaysBack, Channels: req.Channels})
	var running *backfill.RunningError
	if errors.As(err, &running) {
		w.Header().Set("Location", "/api/jobs/"+strconv.FormatInt(running.JobID, 10))
		writeJSON(w, http.StatusConflict, map[string]any{"job_id": running.JobID,
			"error": apiError{Code: "backfill_running", Message: "a backfill of this workspace is already queued or running"}})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/jobs/"+strconv.FormatInt(j.ID, 10))
	writeJSON(w, http.StatusAccepted, map[string]int64{"job_id": j.ID})
}
