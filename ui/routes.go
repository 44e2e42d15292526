package ui

import (
	"net/http"
	"time"
)

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
		{"GET /healthz", public, h.health},

		{"POST /api/auth/signup", public, h.signup},
		{"POST /api/auth/login", public, h.login},
		{"POST /api/auth/logout", signedIn, h.logout},
		{"GET /api/me", signedIn, h.showMe},
		{"POST /api/me/password", signedIn, h.changePassword},

		{"GET /api/tokens", signedIn, h.listTokens},
		{"POST /api/tokens", signedIn, h.createToken},
		{"DELETE /api/tokens/{token_id}", signedIn, h.deleteToken},

		{"GET /api/instance/smtp", instanceOwner, h.showSMTP},
		{"PUT /api/instance/smtp", instanceOwner, h.saveSMTP},

		{"GET /api/organizations", signedIn, h.listOrganizations},
		{"POST /api/organizations", instanceOwner, h.createOrganization},
		{"GET /api/instance/llm", instanceOwner, h.showLLM},
		{"PUT /api/instance/llm", instanceOwner, h.saveLLM},
		{"GET /api/organizations/{org_id}", orgMember, h.showOrganization},

		{"GET /api/organizations/{org_id}/members", orgAdmin, h.listMembers},
		{"POST /api/organizations/{org_id}/members", orgAdmin, h.addMember},
		{"DELETE /api/organizations/{org_id}/members/{user_id}", orgAdmin, h.removeMember},
		{"PATCH /api/organizations/{org_id}/members/{user_id}", orgAdmin, h.updateMember},

		{"GET /api/organizations/{org_id}/settings", orgMember, h.showSettings},
		{"PATCH /api/organizations/{org_id}/settings", orgAdmin, h.saveSettings},
		{"GET /api/organizations/{org_id}/settings/preview", orgAdmin, h.previewSettings},

		{"GET /api/organizations/{org_id}/audit", orgAdmin, h.listAudit},

		{"POST /api/organizations/{org_id}/ask", orgMember, h.ask},
		{"GET /api/organizations/{org_id}/questions", orgAdmin, h.listQuestions},
		{"POST /api/questions/{question_id}/feedback", questionMember, h.saveFeedback},
		{"GET /api/organizations/{org_id}/schedule", orgMember, h.showSchedule},
		{"POST /api/organizations/{org_id}/retention/run", orgAdmin, h.runRetention},

		{"GET /api/organizations/{org_id}/workspaces", orgMember, h.listWorkspaces},
		{"POST /api/organizations/{org_id}/workspaces", orgAdmin, h.createWorkspace},
		{"GET /api/workspaces/{workspace_id}", workspaceMember, h.showWorkspace},
		{"PATCH /api/workspaces/{workspace_id}", workspaceAdmin, h.updateWorkspace},
		{"DELETE /api/workspaces/{workspace_id}", workspaceAdmin, h.deleteWorkspace},

		{"POST /api/workspaces/{workspace_id}/credentials", workspaceAdmin, h.storeCredentials},
		{"GET /api/workspaces/{workspace_id}/credentials", workspaceAdmin, h.showCredentials},
		{"POST /api/workspaces/{workspace_id}/credentials/verify", workspaceAdmin, h.verifyCredentials},
		{"DELETE /api/workspaces/{workspace_id}/credentials", workspaceAdmin, h.deleteCredentials},
		{"POST " + checkSecretsPath, signedIn, h.checkSecrets}, // Validate only, as a form's fields are typed

		{"POST /api/workspaces/{workspace_id}/backfill", workspaceAdmin, h.startBackfill},
		{"GET /api/workspaces/{workspace_id}/channels", workspaceAdmin, h.listChannels},
		{"PATCH /api/workspaces/{workspace_id}/channels", workspaceAdmin, h.updateChannels},

		{"POST /api/workspaces/{workspace_id}/imports", workspaceAdmin, h.importToWorkspace},
		{"POST /api/organizations/{org_id}/imports", orgAdmin, h.importToOrganization},
		{"GET /api/workspaces/{workspace_id}/jobs", workspaceMember, h.listWorkspaceJobs},
		{"GET /api/organizations/{org_id}/jobs", orgMember, h.listOrganizationJobs},
		{"GET /api/jobs/{job_id}", jobMember, h.showJob},
		{"POST /api/jobs/{job_id}/cancel", jobAdmin, h.cancelJob},

		// Slack's requests in HTTP mode, each verified by its signature.
		{slackCommandsRoute, public, h.slackCommand},
		{slackEventsRoute, public, h.slackEvent},
		{slackInteractionsRoute, public, h.slackInteraction},

		{"POST /api/organizations/{org_id}/documents", orgAdmin, h.uploadDocument},
		{"GET /api/organizations/{org_id}/documents", orgMember, h.listDocuments},
		{"GET /api/organizations/{org_id}/documents/{document_id}", orgMember, h.showDocument},
		{"DELETE /api/organizations/{org_id}/documents/{document_id}", orgAdmin, h.deleteDocument},

		{apiFallback, public, h.apiNotFound}, // any other API request: a JSON 404 or 405

		// The pages (HTML; see pages.go). Their forms post here, to the same
		// services as the API.
		{"GET /{$}", public, h.showHome},
		{"GET /static/{hash}/{name}", public, h.serveStatic},
		{"POST /setup", public, h.submitSetup},
		{"GET /login", public, h.showLogin},
		{"POST /login", public, h.submitLogin},
		{"POST /logout", signedIn, h.submitLogout},
		{"GET /organizations/{org_id}", orgMember, h.showDashboard},
		{"GET /organizations/{org_id}/workspaces", orgMember, h.showWorkspacesPage},
		{"GET /organizations/{org_id}/setup", orgAdmin, h.showWizardApp},
		{"GET /organizations/{org_id}/setup/secrets", orgAdmin, h.showWizardSecrets},
		{"POST /organizations/{org_id}/setup/secrets", orgAdmin, h.submitWizardSecrets},
		{"POST /organizations/{org_id}/import", orgAdmin, h.uploadToOrganization},
		{"GET /workspaces/{workspace_id}", workspaceMember, h.showWorkspacePage},
		{"GET /workspaces/{workspace_id}/setup/secrets", workspaceAdmin, h.showWorkspaceSecrets},
		{"POST /workspaces/{workspace_id}/setup/secrets", workspaceAdmin, h.submitWorkspaceSecrets},
		{"GET /workspaces/{workspace_id}/setup/test", workspaceAdmin, h.showWizardTest},
		{"POST /workspaces/{workspace_id}/setup/test", workspaceAdmin, h.submitWizardTest},
		{"GET /workspaces/{workspace_id}/setup/sync", workspaceAdmin, h.showWizardSync},
		{"POST /workspaces/{workspace_id}/import", workspaceAdmin, h.uploadToWorkspace},
		{"POST /workspaces/{workspace_id}/backfill", workspaceAdmin, h.submitBackfill},
		{"POST /workspaces/{workspace_id}/channels", workspaceAdmin, h.submitChannels},
		{"GET /workspaces/{workspace_id}/delete", workspaceAdmin, h.showDeleteWorkspace},
		{"POST /workspaces/{workspace_id}/delete", workspaceAdmin, h.submitDeleteWorkspace},
		{"GET /jobs/{job_id}", jobMember, h.showJobPage},
		{"POST /jobs/{job_id}/cancel", jobAdmin, h.submitCancelJob},
		{"GET /organizations/{org_id}/jobs", orgMember, h.showJobsPage},
		{"POST /organizations/{org_id}/retention/run", orgAdmin, h.submitRunRetention},
		{"GET /organizations/{org_id}/ask", orgMember, h.showAskPage},
		{"POST /questions/{question_id}/feedback", questionMember, h.submitFeedback},
		{"GET /organizations/{org_id}/documents", orgMember, h.showDocumentsPage},
		{"POST /organizations/{org_id}/documents", orgAdmin, h.submitDocumentUpload},
		{"GET /documents/{document_id}", documentMember, h.showDocumentPage},
		{"GET /documents/{document_id}/delete", documentAdmin, h.showDeleteDocument},
		{"POST /documents/{document_id}/delete", documentAdmin, h.submitDeleteDocument},
		{"GET /organizations/{org_id}/settings", orgMember, h.showSettingsPage},
		{"POST /organizations/{org_id}/settings", orgAdmin, h.submitSettings},
		{"GET /instance", instanceOwner, h.showInstancePage},
		{"POST /instance/smtp", instanceOwner, h.submitSMTP},
		{"POST /instance/smtp/test", instanceOwner, h.submitTestMail},
		{"POST /instance/llm", instanceOwner, h.submitLLM},
		{"POST /instance/organizations", instanceOwner, h.submitOrganization},
		{"GET /organizations/{org_id}/members", orgAdmin, h.showMembersPage},
		{"POST /organizations/{org_id}/members", orgAdmin, h.submitAddMember},
		{"POST /organizations/{org_id}/members/{user_id}/role", orgAdmin, h.submitMemberRole},
		{"GET /organizations/{org_id}/members/{user_id}/remove", orgAdmin, h.showRemoveMember},
		{"POST /organizations/{org_id}/members/{user_id}/remove", orgAdmin, h.submitRemoveMember},
		{"GET /account", signedIn, h.showAccountPage},
		{"POST /account/password", signedIn, h.submitPassword},
		{"POST /account/tokens", signedIn, h.submitCreateToken},
		{"POST /account/tokens/{token_id}/revoke", signedIn, h.submitRevokeToken},
		{"GET /organizations/{org_id}/audit", orgAdmin, h.showAuditPage},
		{pageFallback, public, h.pageNotFound}, // any other page: the 404 page, or 405
	}
}

// streamedBody is a route's own body limit, and, when set, the deadline
// of the whole request (the server's read timeout is for small bodies).
type streamedBody struct {
	limit    int64
	deadline time.Duration
}

// streamedBodies are the routes whose bodies may pass maxBodyBytes, with
// their own limits: their handlers stream the body to disk. Imports move
// their read deadline on as data comes (uploadIdle); a document, at most
// tens of MiB, has one deadline.
func (h *handler) streamedBodies() map[string]streamedBody {
	imports := streamedBody{limit: h.app.Config.ImportLimit()}
	document := streamedBody{limit: h.app.Config.DocumentLimit(), deadline: h.app.Config.DocumentUploadDeadline()}
	return map[string]streamedBody{
		"POST /api/workspaces/{workspace_id}/imports": imports,
		"POST /api/organizations/{org_id}/imports":    imports,
		"POST /api/organizations/{org_id}/documents":  document,
		"POST /workspaces/{workspace_id}/import":      imports,
		"POST /organizations/{org_id}/import":         imports,
		"POST /organizations/{org_id}/documents":      document,
		// Slack's, under a small limit, read raw before anything else since
		// their signature covers the exact bytes.
		slackCommandsRoute:     {limit: slackBodyLimit},
		slackEventsRoute:       {limit: slackBodyLimit},
		slackInteractionsRoute: {limit: slackBodyLimit},
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
