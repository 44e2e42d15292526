package ui

import (
	"crypto/rand"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"lore/app/accounts"
	"lore/app/validation"
	"lore/storage"
)

// accountPage is the signed-in user's own page: their password and their
// personal API tokens.
type accountPage struct {
	layout
	Tokens []storage.APIToken
	// NewToken is the token created by the action that led here, with its
	// secret: shown on this one view, never again.
	NewToken *onceSecret
	// The forms as typed (never a password) and each field's problem.
	TokenName      string
	TokenErrors    map[string]string
	PasswordErrors map[string]string
}

// onceSecretCookie names the held secret for the page after the redirect;
// the cookie holds a random key, never the secret.
const onceSecretCookie = "lore_once"

// onceSecretTTL is how long a created token's secret waits for its one view.
const onceSecretTTL = time.Minute

// onceSecret is a just-created API token's secret, held in memory for the
// one page view after the redirect (post/redirect/get), for its creator only.
type onceSecret struct {
	userID  int64
	Name    string
	Secret  string
	expires time.Time
}

// onceSecrets are the secrets waiting for their one view. Kept in this
// process's memory only, they never travel in a cookie nor reach the
// database; a restart in between loses one, and the page then says to
// create another.
type onceSecrets struct {
	mu    sync.Mutex
	byKey map[string]onceSecret
}

func newOnceSecrets() *onceSecrets { return &onceSecrets{byKey: map[string]onceSecret{}} }

// put holds s until now+onceSecretTTL and returns the key to fetch it with.
func (o *onceSecrets) put(now time.Time, s onceSecret) string {
	key := rand.Text()
	s.expires = now.Add(onceSecretTTL)
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, v := range o.byKey {
		if !now.Before(v.expires) {
			delete(o.byKey, k)
		}
	}
	o.byKey[key] = s
	return key
}

// take returns the secret held under key for userID and forgets it; a key
// of another user's secret leaves it there.
func (o *onceSecrets) take(now time.Time, key string, userID int64) (onceSecret, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.byKey[key]
	if !ok || s.userID != userID {
		return onceSecret{}, false
	}
	delete(o.byKey, key)
	return s, now.Before(s.expires)
}

// accountPageOf builds the account page of the caller.
func (h *handler) accountPageOf(r *http.Request) (*accountPage, error) {
	p, _ := principalFrom(r.Context())
	tokens, err := h.app.Accounts.ListTokens(r.Context(), p.UserID)
	if err != nil {
		return nil, err
	}
	return &accountPage{layout: layout{Title: "Your account"}, Tokens: tokens}, nil
}

// showAccountPage shows the caller's tokens and the password form, and
// once, the secret of the token just created.
func (h *handler) showAccountPage(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	pg, err := h.accountPageOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if c, err := r.Cookie(onceSecretCookie); err == nil {
		http.SetCookie(w, &http.Cookie{Name: onceSecretCookie, Value: "", Path: "/account", MaxAge: -1,
			HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
		if s, ok := h.onceSecrets.take(h.now(), c.Value, p.UserID); ok {
			pg.NewToken = &s
		}
	}
	h.render(w, r, http.StatusOK, "account", pg)
}

// submitCreateToken creates a personal API token (the same CreateToken as
// the API) and shows its secret on the page after the redirect, once.
func (h *handler) submitCreateToken(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	name := r.PostForm.Get("name")
	t, secret, err := h.app.Accounts.CreateToken(r.Context(), p.UserID, name)
	var ve *validation.Error
	if errors.As(err, &ve) {
		pg, perr := h.accountPageOf(r)
		if perr != nil {
			h.fail(w, r, perr)
			return
		}
		pg.TokenName, pg.TokenErrors = name, ve.Fields
		h.render(w, r, http.StatusUnprocessableEntity, "account", pg)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	key := h.onceSecrets.put(h.now(), onceSecret{userID: p.UserID, Name: t.Name, Secret: secret})
	http.SetCookie(w, &http.Cookie{Name: onceSecretCookie, Value: key, Path: "/account", MaxAge: int(onceSecretTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
	h.redirect(w, r, "/account#new-token", flash{"ok", "The token " + t.Name + " is created."})
}

// submitRevokeToken revokes one of the caller's tokens (the same
// RevokeToken as the API); another user's is the 404 page.
func (h *handler) submitRevokeToken(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("token_id"), 10, 64)
	if err != nil {
		h.answer(w, r, notFound())
		return
	}
	tokens, err := h.app.Accounts.ListTokens(r.Context(), p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name := ""
	for _, t := range tokens {
		if t.ID == id {
			name = t.Name
		}
	}
	if err := h.app.Accounts.RevokeToken(r.Context(), p.UserID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/account#tokens", flash{"ok", "The token " + name + " is revoked: requests sending it are refused from now on."})
}

// submitPassword changes the caller's password (the same ChangePassword as
// the API): every session ends, and this browser gets a new one. A refusal
// gives the form again, empty, with the problem beside its field.
func (h *handler) submitPassword(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	next := r.PostForm.Get("new_password")
	var err error
	if next != r.PostForm.Get("new_password_confirm") {
		err = &validation.Error{Code: "invalid_request", Message: "some fields are invalid",
			Fields: map[string]string{"new_password_confirm": "does not match the new password"}}
	} else {
		var in accounts.SignedIn
		in, err = h.app.Accounts.ChangePassword(r.Context(), p.UserID, r.PostForm.Get("current_password"), next, p.SessionID != 0)
		if err == nil {
			if p.SessionID != 0 {
				h.setSessionCookie(w, r, in)
			}
			h.redirect(w, r, "/account", flash{"ok", "Your password is changed. Every other browser signed in as you is signed out."})
			return
		}
	}
	var ve *validation.Error
	if !errors.As(err, &ve) {
		h.fail(w, r, err)
		return
	}
	pg, perr := h.accountPageOf(r)
	if perr != nil {
		h.fail(w, r, perr)
		return
	}
	pg.PasswordErrors = ve.Fields
	h.render(w, r, http.StatusUnprocessableEntity, "account", pg)
}
