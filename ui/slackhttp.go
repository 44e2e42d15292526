package ui

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"lore/app/bot"
	"lore/app/credentials"
	"lore/app/slack"
	"lore/storage"
)

// slackBodyLimit is the largest body Slack's routes read: a command or an
// event is a few KiB, a click carries the message's blocks (at most 50).
const slackBodyLimit = 256 << 10

// The routes Slack posts to in HTTP mode. They are public to the guard:
// each request proves itself with the workspace's signing secret instead.
const (
	slackCommandsRoute     = "POST /slack/{workspace_id}/commands"
	slackEventsRoute       = "POST /slack/{workspace_id}/events"
	slackInteractionsRoute = "POST /slack/{workspace_id}/interactions"
)

// slackRequest reads a request Slack posted to one workspace's route and
// checks it before anything else looks at the body: the workspace exists
// and has credentials (read once, through the credentials service), and the
// body is signed with its signing secret within five minutes of now. It
// answers 401 alike for every failure, with the reason in the log only,
// and returns ok false when it has answered.
func (h *handler) slackRequest(w http.ResponseWriter, r *http.Request) (conn bot.Conn, ws storage.Workspace, body []byte, ok bool) {
	ctx := r.Context()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.fail(w, r, err)
		return conn, ws, nil, false
	}
	id := r.PathValue("workspace_id")
	refuse := func(reason string) {
		h.logger.Warn("slack request refused", "workspace_id", id, "path", r.URL.Path, "reason", reason)
		writeError(w, http.StatusUnauthorized, "bad_signature", "the request is not signed by this workspace's Slack app", nil)
	}
	orgID, err := h.app.Accounts.WorkspaceOrg(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		refuse("no such workspace")
		return conn, ws, nil, false
	}
	if err == nil {
		ws, err = h.app.Accounts.Workspace(ctx, orgID, id)
	}
	if err != nil {
		h.fail(w, r, err)
		return conn, ws, nil, false
	}
	if h.app.Credentials == nil {
		h.fail(w, r, credentials.ErrNoKey)
		return conn, ws, nil, false
	}
	c, err := h.app.Credentials.Connect(ctx, "http:"+id, orgID, id)
	if errors.Is(err, credentials.ErrNoCredentials) {
		refuse("the workspace has no credentials")
		return conn, ws, nil, false
	}
	if err != nil {
		h.fail(w, r, err)
		return conn, ws, nil, false
	}
	if err := slack.VerifySignature(c.Credentials.SigningSecret, r.Header, body, h.now()); err != nil {
		refuse(err.Error())
		return conn, ws, nil, false
	}
	return bot.Conn{OrgID: c.OrgID, WorkspaceID: c.WorkspaceID, API: c.Slack}, ws, body, true
}

// slackTeam checks that a verified body names the workspace of its route:
// a request signed by one workspace's app is not another's.
func (h *handler) slackTeam(w http.ResponseWriter, r *http.Request, ws storage.Workspace, teamID string) bool {
	if teamID == ws.ID {
		return true
	}
	h.logger.Warn("slack request refused", "workspace_id", ws.ID, "path", r.URL.Path, "reason", "the body names team "+teamID)
	writeError(w, http.StatusUnauthorized, "bad_signature", "the request is not signed by this workspace's Slack app", nil)
	return false
}

// slackHTTPMode checks that the workspace chose HTTP mode: one in Socket
// Mode gets its commands over the socket, and answering here too would
// answer twice.
func (h *handler) slackHTTPMode(w http.ResponseWriter, r *http.Request, ws storage.Workspace) bool {
	if ws.Transport == storage.TransportHTTP {
		return true
	}
	h.logger.Warn("slack request refused: the workspace uses Socket Mode; set its transport to http (PATCH /api/workspaces/{workspace_id})",
		"workspace_id", ws.ID, "path", r.URL.Path)
	writeError(w, http.StatusConflict, "socket_mode", "this workspace uses Socket Mode, not HTTP requests", nil)
	return false
}

// slackAck answers Slack at once: with the reply, or an empty 200.
func slackAck(w http.ResponseWriter, reply *bot.Reply) {
	if reply == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, reply)
}

// slackCommand takes a slash command (/ask, /askall): acked at once, the
// answer follows through its response_url.
func (h *handler) slackCommand(w http.ResponseWriter, r *http.Request) {
	conn, ws, body, ok := h.slackRequest(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_body", "a slash command must be form-encoded", nil)
		return
	}
	if !h.slackTeam(w, r, ws, form.Get("team_id")) || !h.slackHTTPMode(w, r, ws) {
		return
	}
	cmd := slackgo.SlashCommand{TeamID: form.Get("team_id"), TeamDomain: form.Get("team_domain"),
		EnterpriseID: form.Get("enterprise_id"), ChannelID: form.Get("channel_id"), ChannelName: form.Get("channel_name"),
		UserID: form.Get("user_id"), UserName: form.Get("user_name"), Command: form.Get("command"), Text: form.Get("text"),
		ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"), APIAppID: form.Get("api_app_id")}
	slackAck(w, h.app.Bot.Command(r.Context(), conn, cmd))
}

// slackEvent takes an Events API request: url_verification (which names no
// team) is answered with its challenge; an event is handed to the bot, and
// acked whether or not it was one Lore handles, so that Slack does not send
// it again. Slack's retries (X-Slack-Retry-Num) of an event already taken
// are acked and not handled twice.
func (h *handler) slackEvent(w http.ResponseWriter, r *http.Request) {
	conn, ws, body, ok := h.slackRequest(w, r)
	if !ok {
		return
	}
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
		TeamID    string `json:"team_id"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "an event must be a JSON object", nil)
		return
	}
	if outer.Type == slackevents.URLVerification {
		writeJSON(w, http.StatusOK, map[string]string{"challenge": outer.Challenge})
		return
	}
	if !h.slackTeam(w, r, ws, outer.TeamID) || !h.slackHTTPMode(w, r, ws) {
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		h.logger.Debug("a slack event Lore does not read", "workspace_id", ws.ID, slog.Any("error", err))
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := h.app.Bot.Event(r.Context(), conn, ev); err != nil {
		h.logger.Error("handling a slack event failed", "workspace_id", ws.ID, "retry", r.Header.Get("X-Slack-Retry-Num"), slog.Any("error", err))
		writeError(w, http.StatusInternalServerError, "internal", "internal error", nil)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// slackInteraction takes a click on an answer's buttons.
func (h *handler) slackInteraction(w http.ResponseWriter, r *http.Request) {
	conn, ws, body, ok := h.slackRequest(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	var cb slackgo.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &cb)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_body", "an interaction must carry a JSON payload", nil)
		return
	}
	if !h.slackTeam(w, r, ws, cb.Team.ID) || !h.slackHTTPMode(w, r, ws) {
		return
	}
	slackAck(w, h.app.Bot.Interaction(r.Context(), conn, cb))
}
