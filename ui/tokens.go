package ui

import (
	"net/http"
	"strconv"
	"time"

	"lore/storage"
)

type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Token      string     `json:"token,omitempty"` // only in the answer that creates it
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func toTokenJSON(t storage.APIToken) tokenJSON {
	j := tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt}
	if !t.LastUsedAt.IsZero() {
		j.LastUsedAt = &t.LastUsedAt
	}
	return j
}

type createTokenRequest struct {
	Name string `json:"name"`
}

// createToken makes a personal API token and shows its secret, once.
func (h *handler) createToken(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	var req createTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	t, secret, err := h.app.Accounts.CreateToken(r.Context(), p.UserID, req.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	j := toTokenJSON(t)
	j.Token = secret
	writeJSON(w, http.StatusCreated, j)
}

// listTokens lists the caller's API tokens, without their secrets.
func (h *handler) listTokens(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	list, err := h.app.Accounts.ListTokens(r.Context(), p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]tokenJSON, 0, len(list))
	for _, t := range list {
		out = append(out, toTokenJSON(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

// deleteToken revokes one of the caller's tokens; anyone else's is a 404.
func (h *handler) deleteToken(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("token_id"), 10, 64)
	if err != nil {
		writeNotFound(w)
		return
	}
	if err := h.app.Accounts.RevokeToken(r.Context(), p.UserID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
