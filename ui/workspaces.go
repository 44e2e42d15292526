package ui

import (
	"net/http"
	"time"

	"lore/storage"
)

type workspaceJSON struct {
	WorkspaceID string    `json:"workspace_id"`
	OrgID       int64     `json:"org_id"`
	Name        string    `json:"name"`
	TeamURL     string    `json:"team_url"`
	Transport   string    `json:"transport"`
	CreatedAt   time.Time `json:"created_at"`
}

func toWorkspaceJSON(ws storage.Workspace) workspaceJSON {
	return workspaceJSON{WorkspaceID: ws.ID, OrgID: ws.OrgID, Name: ws.TeamName, TeamURL: ws.TeamURL, Transport: ws.Transport, CreatedAt: ws.CreatedAt}
}

// listWorkspaces lists the organization's Slack workspaces.
func (h *handler) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	list, err := h.app.Accounts.ListWorkspaces(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]workspaceJSON, 0, len(list))
	for _, ws := range list {
		out = append(out, toWorkspaceJSON(ws))
	}
	writeJSON(w, http.StatusOK, map[string]any{"workspaces": out})
}

type createWorkspaceRequest struct {
	WorkspaceID string `json:"workspace_id"`
	Name        string `json:"name"`
}

// createWorkspace connects a Slack workspace to the organization; a team id
// connected anywhere already is a 409.
func (h *handler) createWorkspace(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	var req createWorkspaceRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ws, err := h.app.Accounts.CreateWorkspace(r.Context(), m.OrgID, p.actor(), req.WorkspaceID, req.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toWorkspaceJSON(ws))
}

// showWorkspace returns one workspace.
func (h *handler) showWorkspace(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	ws, err := h.app.Accounts.Workspace(r.Context(), m.OrgID, r.PathValue("workspace_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toWorkspaceJSON(ws))
}

type updateWorkspaceRequest struct {
	Transport *string `json:"transport"`
}

// updateWorkspace changes a workspace's settings: its transport, "socket"
// (Socket Mode) or "http" (Slack posts to /slack/{workspace_id}/…).
func (h *handler) updateWorkspace(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	var req updateWorkspaceRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Transport == nil {
		h.fail(w, r, invalidField("transport", "is required"))
		return
	}
	ws, err := h.app.Accounts.SetWorkspaceTransport(r.Context(), m.OrgID, p.actor(), r.PathValue("workspace_id"), *req.Transport)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toWorkspaceJSON(ws))
}

// deleteWorkspace disconnects a workspace and deletes its synced history.
func (h *handler) deleteWorkspace(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	if err := h.app.Accounts.DeleteWorkspace(r.Context(), m.OrgID, p.actor(), r.PathValue("workspace_id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
