package ui

import (
	"net/http"
	"strings"
	"time"

	"lore/app/accounts"
	"lore/storage"
)

type userJSON struct {
	ID            int64     `json:"id"`
	Email         string    `json:"email"`
	InstanceOwner bool      `json:"is_instance_owner"`
	CreatedAt     time.Time `json:"created_at"`
}

func toUserJSON(u storage.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, InstanceOwner: u.InstanceOwner, CreatedAt: u.CreatedAt}
}

type meResponse struct {
	User          userJSON           `json:"user"`
	Organizations []organizationJSON `json:"organizations"`
}

type signupRequest struct {
	Email            string `json:"email"`
	Password         string `json:"password"`
	OrganizationName string `json:"organization_name"`
	SetupToken       string `json:"setup_token"` // needed from another machine
}

// signup creates the instance's first user and organization and signs the
// user in; once the instance has a user it is closed. From another machine
// it needs the setup token lore serve prints.
func (h *handler) signup(w http.ResponseWriter, r *http.Request) {
	var req signupRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	in, _, err := h.app.Accounts.Signup(r.Context(), accounts.SignupInput{Email: req.Email, Password: req.Password,
		OrganizationName: req.OrganizationName, SetupToken: req.SetupToken, FromLoopback: fromLoopback(r, h.app.Config.TrustedProxies)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setSessionCookie(w, r, in)
	h.writeMe(w, r, http.StatusCreated, in.User)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login checks an email and password and sets the session cookie.
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := h.app.Accounts.Login(r.Context(), req.Email, req.Password, clientAddr(r, h.app.Config.TrustedProxies))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setSessionCookie(w, r, in)
	h.writeMe(w, r, http.StatusOK, in.User)
}

// logout revokes the caller's session and clears the cookie. With an API
// token there is no session to revoke: revoke the token instead.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	if p.SessionID != 0 {
		if err := h.app.Accounts.Logout(r.Context(), p.UserID, p.SessionID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// clearSessionCookie tells the browser to drop its session cookie.
func (h *handler) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r)})
}

// showMe returns the caller and the organizations they belong to.
func (h *handler) showMe(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	u, err := h.app.Accounts.User(r.Context(), p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeMe(w, r, http.StatusOK, u)
}

func (h *handler) writeMe(w http.ResponseWriter, r *http.Request, status int, u storage.User) {
	orgs, err := h.app.Accounts.ListUserOrganizations(r.Context(), u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, status, meResponse{User: toUserJSON(u), Organizations: toOrganizationsJSON(orgs)})
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword replaces the caller's password and revokes all their
// sessions; a browser gets a fresh session cookie.
func (h *handler) changePassword(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	var req passwordRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := h.app.Accounts.ChangePassword(r.Context(), p.UserID, req.CurrentPassword, req.NewPassword, p.SessionID != 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p.SessionID != 0 {
		h.setSessionCookie(w, r, in)
	}
	w.WriteHeader(http.StatusNoContent)
}

// setSessionCookie hands the browser its session token: HttpOnly so scripts
// cannot read it, SameSite=Lax so other sites' forms do not send it, Secure
// when served over TLS (see secure).
func (h *handler) setSessionCookie(w http.ResponseWriter, r *http.Request, in accounts.SignedIn) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    in.Token,
		Path:     "/",
		Expires:  in.Session.ExpiresAt,
		MaxAge:   int(time.Until(in.Session.ExpiresAt).Seconds()),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   h.secure(r),
	})
}

// secure tells whether the browser reaches Lore over TLS: Lore's own TLS,
// or a public URL starting https:// (LORE_PUBLIC_URL), the case of a reverse
// proxy that terminates TLS. X-Forwarded-Proto is not trusted: anyone can
// send it.
func (h *handler) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(h.app.Config.PublicURL, "https://")
}
