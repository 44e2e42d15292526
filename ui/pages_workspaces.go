package ui

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"lore/app/accounts"
	"lore/app/backfill"
	"lore/app/credentials"
	"lore/app/jobs/importjob"
	"lore/app/settings"
	"lore/app/validation"
	"lore/storage"
	"lore/storage/secret"
)

// workspaceRow is one workspace on the workspaces page.
type workspaceRow struct {
	storage.Workspace
	LastJob  *storage.Job
	Messages int64 // stored and indexed
}

// workspacesPage lists the organization's workspaces.
type workspacesPage struct {
	layout
	Workspaces []workspaceRow
}

// showWorkspacesPage lists the organization's Slack workspaces with their
// last job.
func (h *handler) showWorkspacesPage(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	list, err := h.app.Accounts.ListWorkspaces(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg := &workspacesPage{layout: layout{Title: "Workspaces"}}
	for _, ws := range list {
		row := workspaceRow{Workspace: ws}
		if row.LastJob, err = h.lastJob(r, m.OrgID, ws.ID); err != nil {
			h.fail(w, r, err)
			return
		}
		if row.Messages, err = h.app.Accounts.CountMessages(r.Context(), m.OrgID, ws.ID); err != nil {
			h.fail(w, r, err)
			return
		}
		pg.Workspaces = append(pg.Workspaces, row)
	}
	h.render(w, r, http.StatusOK, "workspaces", pg)
}

// lastJob is a workspace's newest job, or nil.
func (h *handler) lastJob(r *http.Request, orgID int64, workspaceID string) (*storage.Job, error) {
	jobs, err := h.app.Jobs.ListJobs(r.Context(), storage.JobFilter{OrgID: orgID, WorkspaceID: workspaceID, Limit: 1})
	if err != nil || len(jobs) == 0 {
		return nil, err
	}
	return &jobs[0], nil
}

// workspacePage is one workspace's state and, for admins, its actions.
type workspacePage struct {
	layout
	Workspace storage.Workspace
	// Credentials is the masked view, shown to admins only (nil for members).
	Credentials *credentials.View
	LastJob     *storage.Job
	Messages    int64
	Transport   string
	// Socket says whether the workspace's Socket Mode connection is up
	// (see socketState).
	Socket string
	// Channels is the channel list with the admins' choices and message
	// counts (admins only: the API's listing is theirs too).
	Channels []storage.ChannelSync
	// Resume is the wizard step where an admin left off, with its label;
	// empty once the workspace is set up.
	Resume, ResumeLabel string
}

// showWorkspacePage shows a workspace: its credentials masked and their
// state (admins), the transport, and its last sync.
func (h *handler) showWorkspacePage(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	ws, err := h.app.Accounts.Workspace(r.Context(), m.OrgID, r.PathValue("workspace_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg := &workspacePage{layout: layout{Title: ws.TeamName}, Workspace: ws, Transport: "Socket Mode", Socket: h.socketState(ws)}
	if ws.Transport == storage.TransportHTTP {
		pg.Transport = "HTTP (Slack posts to Lore's request URLs)"
	}
	if accounts.RoleAtLeast(m.Role, storage.RoleAdmin) {
		v, err := h.app.Credentials.View(r.Context(), p.actor(), m.OrgID, ws.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		pg.Credentials = &v
		if h.app.Backfill != nil {
			c, err := h.app.Backfill.Channels(r.Context(), m.OrgID, ws.ID)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			pg.Channels = c.Channels
		}
	}
	if pg.LastJob, err = h.lastJob(r, m.OrgID, ws.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if pg.Messages, err = h.app.Accounts.CountMessages(r.Context(), m.OrgID, ws.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if c := pg.Credentials; c != nil {
		switch {
		case !c.Configured:
			pg.Resume, pg.ResumeLabel = "/workspaces/"+ws.ID+"/setup/secrets", "Continue the setup: paste the secrets"
		case !c.IsValid:
			pg.Resume, pg.ResumeLabel = "/workspaces/"+ws.ID+"/setup/test", "Continue the setup: test the connection"
		case pg.LastJob == nil:
			pg.Resume, pg.ResumeLabel = "/workspaces/"+ws.ID+"/setup/sync", "Continue the setup: first sync"
		}
	}
	h.render(w, r, http.StatusOK, "workspace", pg)
}

// Choice is a channel's include/exclude choice as the form names it.
func (workspacePage) Choice(c storage.ChannelSync) string {
	if c.Included == nil {
		return "default"
	}
	if *c.Included {
		return "include"
	}
	return "exclude"
}

// Covered tells whether a backfill reads the channel.
func (workspacePage) Covered(c storage.ChannelSync) bool { return backfill.Covered(c) }

// submitChannels records the channel list's include/exclude choices (the
// same UpdateChannels as the API, all or none) and shows the list again.
func (h *handler) submitChannels(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	id := r.PathValue("workspace_id")
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	if h.app.Backfill == nil {
		h.answer(w, r, problem(http.StatusServiceUnavailable, "backfill_unavailable",
			"the channel list needs Lore's encryption keys; none are loaded"))
		return
	}
	var u backfill.ChannelsUpdate
	for key, vs := range r.PostForm {
		ch, ok := strings.CutPrefix(key, "choice-")
		if !ok || len(vs) == 0 {
			continue
		}
		choice := storage.ChannelChoice{ChannelID: ch}
		switch vs[0] {
		case "include", "exclude":
			v := vs[0] == "include"
			choice.Included = &v
		case "default":
		default:
			h.redirect(w, r, "/workspaces/"+id+"#channels", flash{"error", "The choice for " + ch + ` must be "include", "exclude" or "default"; nothing was changed.`})
			return
		}
		u.Choices = append(u.Choices, choice)
	}
	slices.SortFunc(u.Choices, func(a, b storage.ChannelChoice) int { return strings.Compare(a.ChannelID, b.ChannelID) })
	if _, err := h.app.Backfill.UpdateChannels(r.Context(), m.OrgID, id, u); err != nil {
		var ve *validation.Error
		if errors.As(err, &ve) {
			h.redirect(w, r, "/workspaces/"+id+"#channels", flash{"error", "Nothing was changed: " + validationText(ve)})
			return
		}
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/workspaces/"+id+"#channels", flash{"ok", "The channel choices are saved; the next backfill follows them."})
}

// validationText is a validation error's fields as one line.
func validationText(ve *validation.Error) string {
	var parts []string
	for f, p := range ve.Fields {
		parts = append(parts, f+" "+p)
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return ve.Message
	}
	return strings.Join(parts, "; ")
}

// wizardStep is what the four steps of the setup wizard share: which step
// and, from the second on, the workspace.
type wizardStep struct {
	layout
	Step      int
	Workspace storage.Workspace // zero until the secrets name it
}

// appStepPage is step 1: creating the Slack app from the manifest.
type appStepPage struct {
	wizardStep
	Manifest string
}

// showWizardApp is the wizard's first step: the manifest to paste into
// Slack and the clicks that create the app and its tokens. An export can
// be uploaded from here too, before any Slack app exists.
func (h *handler) showWizardApp(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "wizard_app", &appStepPage{
		wizardStep: wizardStep{layout: layout{Title: "Set up Slack: create the app"}, Step: 1},
		Manifest:   slackManifest(),
	})
}

// secretsStepPage is step 2: the three secrets. Their values are never put
// back into the page; Errors holds each field's problem.
type secretsStepPage struct {
	wizardStep
	Action  string // where the form posts
	Check   string // where the fields are checked as they are typed
	Errors  map[string]string
	Message string
}

// checkSecretsPath is the JSON route the secrets form checks its fields with.
const checkSecretsPath = "/api/credentials/check"

// showWizardSecrets is step 2 for a workspace not connected yet: the bot
// token then names it.
func (h *handler) showWizardSecrets(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	h.render(w, r, http.StatusOK, "wizard_secrets", &secretsStepPage{
		wizardStep: wizardStep{layout: layout{Title: "Set up Slack: paste the secrets"}, Step: 2},
		Action:     fmt.Sprintf("/organizations/%d/setup/secrets", m.OrgID), Check: checkSecretsPath})
}

// showWorkspaceSecrets is step 2 for a connected workspace: replacing its
// secrets (or resuming the wizard there).
func (h *handler) showWorkspaceSecrets(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	ws, err := h.app.Accounts.Workspace(r.Context(), m.OrgID, r.PathValue("workspace_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "wizard_secrets", &secretsStepPage{
		wizardStep: wizardStep{layout: layout{Title: "Replace the Slack secrets"}, Step: 2, Workspace: ws},
		Action:     "/workspaces/" + ws.ID + "/setup/secrets", Check: checkSecretsPath})
}

// formSecrets reads the three secrets of a form, trimmed as a paste needs.
func formSecrets(r *http.Request) secret.Slack {
	return credentials.Normalize(secret.Slack{BotToken: r.PostForm.Get("bot_token"),
		AppToken: r.PostForm.Get("app_token"), SigningSecret: r.PostForm.Get("signing_secret")})
}

// submitWizardSecrets stores the secrets of a workspace not connected yet:
// checked (Validate), then the bot token asked which workspace it is of
// (auth.test), the workspace connected to the organization if new, and the
// secrets stored encrypted. Then step 3.
func (h *handler) submitWizardSecrets(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	pg := &secretsStepPage{wizardStep: wizardStep{layout: layout{Title: "Set up Slack: paste the secrets"}, Step: 2},
		Action: fmt.Sprintf("/organizations/%d/setup/secrets", m.OrgID), Check: checkSecretsPath}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	c := formSecrets(r)
	if err := credentials.Validate(c); err != nil {
		h.secretsAgain(w, r, pg, err)
		return
	}
	id, err := h.app.Credentials.Identify(r.Context(), c.BotToken)
	if err != nil {
		h.secretsAgain(w, r, pg, err)
		return
	}
	if !id.Valid {
		h.secretsAgain(w, r, pg, &validation.Error{Code: "invalid_credentials", Message: "Slack refused the bot token; nothing was stored",
			Fields: map[string]string{"bot_token": "was refused by Slack: " + fixIt(id.Error, id)}})
		return
	}
	ws, err := h.app.Accounts.Workspace(r.Context(), m.OrgID, id.TeamID)
	if errors.Is(err, storage.ErrNotFound) {
		ws, err = h.app.Accounts.CreateWorkspace(r.Context(), m.OrgID, p.actor(), id.TeamID, id.Team)
		if errors.Is(err, storage.ErrConflict) {
			h.secretsAgain(w, r, pg, &validation.Error{Code: "workspace_taken", Message: "nothing was stored",
				Fields: map[string]string{"bot_token": "is of the Slack workspace " + id.Team + ", which another organization on this Lore has connected"}})
			return
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg.Workspace = ws
	if _, err := h.app.Credentials.Store(r.Context(), p.actor(), m.OrgID, ws.ID, c, credentials.WithBotUserID(id.BotUserID)); err != nil {
		h.secretsAgain(w, r, pg, err)
		return
	}
	h.redirect(w, r, "/workspaces/"+ws.ID+"/setup/test", flash{"ok", "The secrets of " + ws.TeamName + " are stored, encrypted. Next: test the connection."})
}

// submitWorkspaceSecrets replaces a connected workspace's secrets. Then step 3.
func (h *handler) submitWorkspaceSecrets(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	ws, err := h.app.Accounts.Workspace(r.Context(), m.OrgID, r.PathValue("workspace_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg := &secretsStepPage{wizardStep: wizardStep{layout: layout{Title: "Replace the Slack secrets"}, Step: 2, Workspace: ws},
		Action: "/workspaces/" + ws.ID + "/setup/secrets", Check: checkSecretsPath}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.app.Credentials.Store(r.Context(), p.actor(), m.OrgID, ws.ID, formSecrets(r)); err != nil {
		h.secretsAgain(w, r, pg, err)
		return
	}
	h.redirect(w, r, "/workspaces/"+ws.ID+"/setup/test", flash{"ok", "The new secrets are stored, encrypted. Next: test the connection."})
}

// secretsAgain gives the secrets form again with what is wrong beside each
// field, empty: a secret is never put back into a page. Errors that are
// not the input's get their page.
func (h *handler) secretsAgain(w http.ResponseWriter, r *http.Request, pg *secretsStepPage, err error) {
	var ve *validation.Error
	var ue *credentials.UnavailableError
	switch {
	case errors.As(err, &ve):
		pg.Errors, pg.Message = ve.Fields, "Nothing was stored: "+ve.Message+"."
	case errors.As(err, &ue):
		pg.Message = "Slack could not be asked about the bot token (" + ue.Error() + "); nothing was stored. Try again in a moment."
	default:
		h.fail(w, r, err)
		return
	}
	p := h.problemOf(r, err)
	setRetryAfter(w, p.retryAfter)
	h.render(w, r, p.status, "wizard_secrets", pg)
}

// checkSecrets runs the credentials service's Validate on secrets being
// typed, storing nothing: 204 when they look right, else the 422 naming
// each field. The secrets form calls it as the admin types.
func (h *handler) checkSecrets(w http.ResponseWriter, r *http.Request) {
	var req credentialsRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	c := credentials.Normalize(secret.Slack{BotToken: req.BotToken, AppToken: req.AppToken, SigningSecret: req.SigningSecret})
	if err := credentials.Validate(c); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// testStepPage is step 3: test the connection.
type testStepPage struct {
	wizardStep
	Credentials credentials.View
}

// showWizardTest shows the credentials' state and the button that runs verify.
func (h *handler) showWizardTest(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	ws, err := h.app.Accounts.Workspace(r.Context(), m.OrgID, r.PathValue("workspace_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.app.Credentials.View(r.Context(), p.actor(), m.OrgID, ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "wizard_test", &testStepPage{
		wizardStep: wizardStep{layout: layout{Title: "Set up Slack: test the connection"}, Step: 3, Workspace: ws}, Credentials: v})
}

// submitWizardTest runs verify (the same as the API's, app-level token
// included) and says what Slack answered: the team and bot user, or what
// is wrong and how to fix it.
func (h *handler) submitWizardTest(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	ws := r.PathValue("workspace_id")
	back := "/workspaces/" + ws + "/setup/test"
	if r.URL.Query().Get("from") == "workspace" {
		back = "/workspaces/" + ws
	}
	res, err := h.app.Credentials.Verify(r.Context(), p.actor(), m.OrgID, ws, credentials.WithAppTokenCheck())
	var ue *credentials.UnavailableError
	switch {
	case errors.As(err, &ue):
		h.redirect(w, r, back, flash{"error", "Slack did not answer (" + ue.Error() + "); nothing changed. Try again in a moment."})
		return
	case errors.Is(err, credentials.ErrNoCredentials):
		h.redirect(w, r, "/workspaces/"+ws+"/setup/secrets", flash{"error", "This workspace has no secrets yet: paste them first."})
		return
	case err != nil:
		h.fail(w, r, err)
		return
	case !res.Valid:
		h.redirect(w, r, back, flash{"error", "The connection does not work: " + fixIt(res.Error, res)})
		return
	}
	if back == "/workspaces/"+ws+"/setup/test" {
		back = "/workspaces/" + ws + "/setup/sync"
	}
	h.redirect(w, r, back, flash{"ok", fmt.Sprintf("Connected to %s as bot user %s. Invite the bot where it should learn: /invite @lore in each channel.", res.Team, res.BotUserID)})
}

// fixIt says what a Slack refusal means and how to fix it.
func fixIt(code string, res credentials.Result) string {
	app, isApp := strings.CutPrefix(code, "app_token: ")
	switch {
	case code == "wrong_workspace":
		return fmt.Sprintf("the bot token is of another workspace (%s, %s). Install the app in this workspace and paste its bot token, or set up %s as a workspace of its own.", res.Team, res.TeamID, res.Team)
	case isApp && (app == "invalid_auth" || app == "not_authed" || app == "token_revoked"):
		return "Slack refused the app-level token (" + app + "). Generate a new one: Basic Information → App-Level Tokens → Generate Token and Scopes, scope connections:write, and paste the xapp- token."
	case isApp && app == "not_allowed_token_type":
		return "the app-level token is not one (" + app + "): it starts with xapp- and is made under Basic Information → App-Level Tokens."
	case isApp:
		return "Slack refused to open Socket Mode (" + app + "). Turn Socket Mode on: your app's settings → Socket Mode → Enable Socket Mode, then test again."
	case code == "token_revoked" || code == "token_expired":
		return "the bot token was revoked (" + code + "). Reinstall the app: Install App → Reinstall to Workspace, and paste the new xoxb- token."
	case code == "account_inactive":
		return "the app is no longer installed (" + code + "). Install it again: Install App → Install to Workspace, and paste the new xoxb- token."
	case code == "invalid_auth" || code == "not_authed":
		return "Slack does not know this bot token (" + code + "). Copy it again from OAuth & Permissions → Bot User OAuth Token (it starts with xoxb-)."
	case code == "not_allowed_token_type":
		return "this is not a bot token (" + code + "). Use the Bot User OAuth Token from OAuth & Permissions (xoxb-…)."
	}
	return "Slack answered " + code + "."
}

// syncStepPage is step 4: the first sync.
type syncStepPage struct {
	wizardStep
	Action string // where the export upload posts
	Errors map[string]string
	// BackfillAvailable tells whether this process can backfill from
	// Slack (it needs the encryption keys to read the bot token) and the
	// page is about a workspace.
	BackfillAvailable bool
	// DaysBack is the backfill form's field as typed; DefaultDays, MinDays
	// and MaxDays are the organization's backfill_days_back and its bounds.
	DaysBack                      string
	DefaultDays, MinDays, MaxDays int64
	// Channels is the workspace's channel list as the last backfill or
	// verify saw it (empty before any); Chosen the ones ticked.
	Channels []storage.ChannelSync
	Chosen   map[string]bool
	// RunningJob is the backfill already queued or running when one more
	// was refused (409).
	RunningJob int64
}

// showWizardSync is the last step: backfill from Slack or upload an
// export, then follow it to the end on the job's page.
func (h *handler) showWizardSync(w http.ResponseWriter, r *http.Request) {
	pg, ok := h.syncPage(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "wizard_sync", pg)
}

// syncPage builds step 4 of the workspace in the path: its channel list
// and the organization's default days back; ok is false once it failed
// the request.
func (h *handler) syncPage(w http.ResponseWriter, r *http.Request) (pg *syncStepPage, ok bool) {
	_, m := caller(r)
	ws, err := h.app.Accounts.Workspace(r.Context(), m.OrgID, r.PathValue("workspace_id"))
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	pg = &syncStepPage{wizardStep: wizardStep{layout: layout{Title: "Set up Slack: first sync"}, Step: 4, Workspace: ws},
		Action: "/workspaces/" + ws.ID + "/import", Errors: map[string]string{}, Chosen: map[string]bool{}}
	if h.app.Backfill == nil {
		return pg, true
	}
	pg.BackfillAvailable = true
	set, err := h.app.Settings.Get(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	days, _ := settings.Lookup("backfill_days_back")
	pg.DefaultDays, pg.MinDays, pg.MaxDays = set.Int("backfill_days_back"), days.Min, days.Max
	c, err := h.app.Backfill.Channels(r.Context(), m.OrgID, ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	pg.Channels = c.Channels
	return pg, true
}

// submitBackfill starts a backfill from the wizard's form or the jobs
// page's "backfill now" (the same Start as the API) and goes to its job's
// page; a bad field is the form again with what was typed, and one already
// queued or running (409) is the form again with a link to that job, or
// from the jobs page (from=jobs), that page saying so.
func (h *handler) submitBackfill(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	pg, ok := h.syncPage(w, r)
	if !ok {
		return
	}
	if !pg.BackfillAvailable {
		h.answer(w, r, problem(http.StatusServiceUnavailable, "backfill_unavailable",
			"backfilling needs Lore's encryption keys to read the bot token; none are loaded"))
		return
	}
	req := backfill.Request{Channels: r.PostForm["channel"]}
	for _, c := range req.Channels {
		pg.Chosen[c] = true
	}
	pg.DaysBack = strings.TrimSpace(r.PostForm.Get("days_back"))
	if pg.DaysBack != "" {
		n, err := strconv.Atoi(pg.DaysBack)
		if err != nil {
			pg.Errors["days_back"] = fmt.Sprintf("must be a whole number of days, %d-%d", pg.MinDays, pg.MaxDays)
			h.render(w, r, http.StatusUnprocessableEntity, "wizard_sync", pg)
			return
		}
		req.DaysBack = n
	}
	j, err := h.app.Backfill.Start(r.Context(), m.OrgID, pg.Workspace.ID, req)
	var running *backfill.RunningError
	switch {
	case errors.As(err, &running) && r.PostForm.Get("from") == "jobs":
		h.redirect(w, r, fmt.Sprintf("/organizations/%d/jobs", m.OrgID), flash{"error",
			fmt.Sprintf("A backfill of %s is already queued or running (job %d); no other was queued.", pg.Workspace.TeamName, running.JobID)})
		return
	case errors.As(err, &running):
		pg.RunningJob = running.JobID
		h.render(w, r, http.StatusConflict, "wizard_sync", pg)
		return
	case err != nil:
		if pr := h.problemOf(r, err); pr.status == http.StatusUnprocessableEntity && len(pr.fields) > 0 {
			pg.Errors = pr.fields
			h.render(w, r, http.StatusUnprocessableEntity, "wizard_sync", pg)
			return
		}
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/jobs/%d", j.ID), flash{"ok", "The backfill is queued; this page follows it to the end."})
}

// uploadToWorkspace receives an export from the page's form and shows its job.
func (h *handler) uploadToWorkspace(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	pg, ok := h.syncPage(w, r)
	if !ok {
		return
	}
	h.uploadPage(w, r, importjob.Params{OrgID: m.OrgID, WorkspaceID: pg.Workspace.ID}, pg)
}

// uploadToOrganization receives an export for a workspace not connected
// yet (the import creates it) and shows its job.
func (h *handler) uploadToOrganization(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	pg := &syncStepPage{wizardStep: wizardStep{layout: layout{Title: "Import a Slack export"}, Step: 4},
		Action: fmt.Sprintf("/organizations/%d/import", m.OrgID)}
	h.uploadPage(w, r, importjob.Params{OrgID: m.OrgID}, pg)
}

// uploadPage queues the import of an uploaded export (as the API does) and
// sends the browser to the job's page; a file that is not an export gives
// the form again.
func (h *handler) uploadPage(w http.ResponseWriter, r *http.Request, p importjob.Params, pg *syncStepPage) {
	job, err := h.queueImport(r, http.NewResponseController(w), p)
	if err != nil {
		// A file that is no usable export (by its first bytes or by its
		// entries) is the form again, saying why.
		if pr := h.problemOf(r, err); pr.status == http.StatusUnprocessableEntity && pr.fields["file"] != "" {
			pg.Errors = pr.fields
			h.render(w, r, http.StatusUnprocessableEntity, "wizard_sync", pg)
			return
		}
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/jobs/%d", job.ID), flash{"ok", "The export is uploaded; its import is running."})
}

// deletePage confirms a workspace's deletion, naming what goes.
type deletePage struct {
	layout
	Workspace storage.Workspace
}

// showDeleteWorkspace asks to confirm the deletion.
func (h *handler) showDeleteWorkspace(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	ws, err := h.app.Accounts.Workspace(r.Context(), m.OrgID, r.PathValue("workspace_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "delete", &deletePage{layout: layout{Title: "Delete " + ws.TeamName}, Workspace: ws})
}

// submitDeleteWorkspace deletes the workspace (the same DeleteWorkspace as
// the API) once its team id is typed to confirm.
func (h *handler) submitDeleteWorkspace(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	id := r.PathValue("workspace_id")
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	if strings.TrimSpace(r.PostForm.Get("confirm")) != id {
		h.redirect(w, r, "/workspaces/"+id+"/delete", flash{"error", "Type the workspace id " + id + " to confirm; nothing was deleted."})
		return
	}
	ws, err := h.app.Accounts.Workspace(r.Context(), m.OrgID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.app.Accounts.DeleteWorkspace(r.Context(), m.OrgID, p.actor(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/organizations/%d/workspaces", m.OrgID),
		flash{"ok", ws.TeamName + " is deleted, with its secrets, channels and messages."})
}
