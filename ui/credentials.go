package ui

import (
	"net/http"
	"time"

	"lore/app/credentials"
	"lore/storage/secret"
)

// credentialsRequest is the body that stores a workspace's Slack secrets.
type credentialsRequest struct {
	BotToken      string `json:"bot_token"`
	AppToken      string `json:"app_token"`
	SigningSecret string `json:"signing_secret"`
}

// credentialsJSON shows a workspace's credentials masked (xoxb-…9f3a), never
// in full.
type credentialsJSON struct {
	WorkspaceID          string     `json:"workspace_id"`
	Configured           bool       `json:"configured"`
	BotToken             string     `json:"bot_token"`
	AppToken             string     `json:"app_token"`
	SigningSecret        string     `json:"signing_secret"`
	CredentialsEncrypted bool       `json:"credentials_encrypted"`
	EncryptionVersion    int        `json:"encryption_version"`
	Status               string     `json:"status"`
	IsValid              bool       `json:"is_valid"`
	LastVerifiedAt       *time.Time `json:"last_verified_at"`
	BotUserID            string     `json:"bot_user_id"`
	KeyProblem           string     `json:"key_problem,omitempty"`
}

func toCredentialsJSON(v credentials.View) credentialsJSON {
	out := credentialsJSON{
		WorkspaceID:          v.WorkspaceID,
		Configured:           v.Configured,
		BotToken:             v.BotToken,
		AppToken:             v.AppToken,
		SigningSecret:        v.SigningSecret,
		CredentialsEncrypted: v.Encrypted,
		EncryptionVersion:    v.EncryptionVersion,
		Status:               string(v.Status),
		IsValid:              v.IsValid,
		BotUserID:            v.BotUserID,
		KeyProblem:           v.KeyProblem,
	}
	if !v.LastVerifiedAt.IsZero() {
		t := v.LastVerifiedAt
		out.LastVerifiedAt = &t
	}
	return out
}

// verifyJSON is what Slack said of the stored credentials.
type verifyJSON struct {
	Valid           bool   `json:"valid"`
	Team            string `json:"team"`
	TeamID          string `json:"team_id"`
	BotUserID       string `json:"bot_user_id"`
	AppTokenChecked bool   `json:"app_token_checked"`
	Error           string `json:"error"`
}

// storeCredentials validates, encrypts and stores the workspace's Slack
// secrets, and answers with the masked view.
func (h *handler) storeCredentials(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	var req credentialsRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.app.Credentials.Store(r.Context(), p.actor(), m.OrgID, r.PathValue("workspace_id"),
		secret.Slack{BotToken: req.BotToken, AppToken: req.AppToken, SigningSecret: req.SigningSecret})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toCredentialsJSON(v))
}

// showCredentials answers the masked view and the verification state.
func (h *handler) showCredentials(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	v, err := h.app.Credentials.View(r.Context(), p.actor(), m.OrgID, r.PathValue("workspace_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toCredentialsJSON(v))
}

// verifyCredentials asks Slack whether the stored credentials work and
// records the answer. A rejection is a 200 with valid false; Slack not
// answering is a 502 and changes nothing. ?check_app_token=true checks the
// app-level token even if Slack accepted it before (see Verify).
func (h *handler) verifyCredentials(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	var opts []credentials.VerifyOption
	switch v := r.URL.Query().Get("check_app_token"); v {
	case "true":
		opts = append(opts, credentials.WithAppTokenCheck())
	case "", "false":
	default:
		h.fail(w, r, &requestError{status: http.StatusUnprocessableEntity, code: "invalid_query", message: "check_app_token must be true or false",
			fields: map[string]string{"check_app_token": "must be true or false"}})
		return
	}
	res, err := h.app.Credentials.Verify(r.Context(), p.actor(), m.OrgID, r.PathValue("workspace_id"), opts...)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, verifyJSON{Valid: res.Valid, Team: res.Team, TeamID: res.TeamID, BotUserID: res.BotUserID,
		AppTokenChecked: res.AppTokenChecked, Error: res.Error})
}

// deleteCredentials wipes the workspace's Slack secrets.
func (h *handler) deleteCredentials(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	if err := h.app.Credentials.Delete(r.Context(), p.actor(), m.OrgID, r.PathValue("workspace_id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
