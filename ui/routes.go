package ui

import "net/http"

// route is one entry of the route table: a Go method pattern, who may call
// it, and its handler.
type route struct {
	pattern string
	access  access
	handler http.HandlerFunc
}

// routeTable lists every route Lore serves and who may call it. Adding a
// route is one line here; guard enforces its access, and the handler tests
// walk this same list, so a route cannot miss its checks.
func (h *handler) routeTable() []route {
	return []route{
		{"GET /{$}", public, h.showHome},
		{"GET /healthz", public, h.health},

		{"POST /api/auth/signup", public, h.signup},
		{"POST /api/auth/login", public, h.login},
		{"POST /api/auth/logout", signedIn, h.logout},
		{"GET /api/me", signedIn, h.showMe},
		{"POST /api/me/password", signedIn, h.changePassword},

		{"GET /api/tokens", signedIn, h.listTokens},
		{"POST /api/tokens", signedIn, h.createToken},
		{"DELETE /api/tokens/{token_id}", signedIn, h.deleteToken},

		{"GET /api/organizations", signedIn, h.listOrganizations},
		{"POST /api/organizations", instanceOwner, h.createOrganization},
		{"GET /api/organizations/{org_id}", orgMember, h.showOrganization},

		{"GET /api/organizations/{org_id}/members", orgAdmin, h.listMembers},
		{"POST /api/organizations/{org_id}/members", orgAdmin, h.addMember},
		{"DELETE /api/organizations/{org_id}/members/{user_id}", orgAdmin, h.removeMember},

		{"GET /api/organizations/{org_id}/settings", orgMember, h.showSettings},
		{"PATCH /api/organizations/{org_id}/settings", orgAdmin, h.saveSettings},

		{"GET /api/organizations/{org_id}/audit", orgAdmin, h.listAudit},

		{"GET /api/organizations/{org_id}/workspaces", orgMember, h.listWorkspaces},
		{"POST /api/organizations/{org_id}/workspaces", orgAdmin, h.createWorkspace},
		{"GET /api/workspaces/{workspace_id}", workspaceMember, h.showWorkspace},
		{"DELETE /api/workspaces/{workspace_id}", workspaceAdmin, h.deleteWorkspace},

		{"POST /api/workspaces/{workspace_id}/credentials", workspaceAdmin, h.storeCredentials},
		{"GET /api/workspaces/{workspace_id}/credentials", workspaceAdmin, h.showCredentials},
		{"POST /api/workspaces/{workspace_id}/credentials/verify", workspaceAdmin, h.verifyCredentials},
		{"DELETE /api/workspaces/{workspace_id}/credentials", workspaceAdmin, h.deleteCredentials},

		{"POST /api/workspaces/{workspace_id}/backfill", workspaceAdmin, h.startBackfill},
		{"GET /api/workspaces/{workspace_id}/channels", workspaceAdmin, h.listChannels},
		{"PATCH /api/workspaces/{workspace_id}/channels", workspaceAdmin, h.updateChannels},

		{"POST /api/workspaces/{workspace_id}/imports", workspaceAdmin, h.importToWorkspace},
		{"POST /api/organizations/{org_id}/imports", orgAdmin, h.importToOrganization},
		{"GET /api/workspaces/{workspace_id}/jobs", workspaceMember, h.listWorkspaceJobs},
		{"GET /api/jobs/{job_id}", jobMember, h.showJob},
		{"POST /api/jobs/{job_id}/cancel", jobAdmin, h.cancelJob},

		{apiFallback, public, h.apiNotFound}, // any other API request: a JSON 404 or 405
	}
}

// streamedBodies are the routes whose bodies may pass maxBodyBytes, with
// their own limits: their handlers stream the body to disk.
func (h *handler) streamedBodies() map[string]int64 {
	limit := h.app.Config.ImportLimit()
	return map[string]int64{
		"POST /api/workspaces/{workspace_id}/imports": limit,
		"POST /api/organizations/{org_id}/imports":    limit,
	}
}

// apiFallback is the pattern of every API request no other route matches.
const apiFallback = "/api/"

// routes builds the router from the route table, each handler behind its guard.
func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range h.routeTable() {
		mux.Handle(rt.pattern, h.guard(rt.access, rt.handler))
	}
	h.mux = mux
	return mux
}
