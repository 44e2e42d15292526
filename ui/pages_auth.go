package ui

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"lore/app/accounts"
	"lore/app/validation"
)

// setupTokenShape is the alphabet and length of a setup token, so that
// only something that may be one is put back into the page.
var setupTokenShape = regexp.MustCompile(`^[A-Z2-7]{16,64}$`)

// setupPage is the first run's form: the owner account and organization.
type setupPage struct {
	layout
	Email            string
	OrganizationName string
	SetupToken       string
	NeedsToken       bool // the browser is not on the machine Lore runs on
	Errors           map[string]string
	Message          string
}

// noOrgPage tells a user who belongs to no organization what to do.
type noOrgPage struct{ layout }

// showHome is the start page: with no user yet, the first run's form;
// signed out, the login page; signed in, the first organization's
// dashboard.
func (h *handler) showHome(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if p, ok := principalFrom(ctx); ok {
		orgs, err := h.app.Accounts.ListUserOrganizations(ctx, p.UserID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if len(orgs) == 0 {
			h.render(w, r, http.StatusOK, "noorg", &noOrgPage{layout{Title: "No organization"}})
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/organizations/%d", orgs[0].ID), http.StatusSeeOther)
		return
	}
	token, err := h.app.Accounts.SetupToken(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if token == "" { // signup is closed
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	pg := &setupPage{layout: layout{Title: "Set up Lore"}, NeedsToken: !fromLoopback(r, h.app.Config.TrustedProxies)}
	if t := r.URL.Query().Get("setup"); setupTokenShape.MatchString(t) {
		pg.SetupToken = t
	}
	h.render(w, r, http.StatusOK, "setup", pg)
}

// submitSetup creates the owner account and organization (the same Signup
// as POST /api/auth/signup), signs the owner in and opens the Slack setup
// wizard. A mistake gives the form again with what was typed, never the
// password.
func (h *handler) submitSetup(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	in := accounts.SignupInput{Email: r.PostForm.Get("email"), Password: r.PostForm.Get("password"),
		OrganizationName: r.PostForm.Get("organization_name"), SetupToken: r.PostForm.Get("setup_token"),
		FromLoopback: fromLoopback(r, h.app.Config.TrustedProxies)}
	signedIn, org, err := h.app.Accounts.Signup(r.Context(), in)
	if err == nil {
		h.setSessionCookie(w, r, signedIn)
		h.redirect(w, r, fmt.Sprintf("/organizations/%d/setup", org.ID),
			flash{"ok", "Welcome! Your account and " + org.Name + " are ready. Next: connect Slack."})
		return
	}
	pg := &setupPage{layout: layout{Title: "Set up Lore"}, Email: in.Email, OrganizationName: in.OrganizationName,
		NeedsToken: !in.FromLoopback, Errors: map[string]string{}}
	if setupTokenShape.MatchString(in.SetupToken) {
		pg.SetupToken = in.SetupToken
	}
	var ve *validation.Error
	switch {
	case errors.Is(err, accounts.ErrSignupClosed):
		h.redirect(w, r, "/login", flash{"error", "Lore already has an owner: sign in, or ask an admin to add you."})
		return
	case errors.As(err, &ve):
		pg.Errors = ve.Fields
		pg.Message = "Some fields need a change."
	case errors.Is(err, accounts.ErrSetupTokenRequired), errors.Is(err, accounts.ErrSetupTokenWrong):
		pg.Errors["setup_token"] = "is missing or wrong"
	default:
		h.fail(w, r, err)
		return
	}
	p := h.problemOf(r, err)
	if pg.Message == "" {
		pg.Message = p.message
	}
	h.render(w, r, p.status, "setup", pg)
}

// loginPage is the sign-in form.
type loginPage struct {
	layout
	Email   string
	Next    string
	Message string
}

// showLogin is the sign-in form; signed in already, it goes on to next.
func (h *handler) showLogin(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if _, ok := principalFrom(r.Context()); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", &loginPage{layout: layout{Title: "Sign in"}, Next: next})
}

// submitLogin signs in with an email and password (the same Login as the
// API, with its limits). A wrong password gives the form again with a
// message and the email kept.
func (h *handler) submitLogin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	email, next := r.PostForm.Get("email"), localPath(r.PostForm.Get("next"))
	in, err := h.app.Accounts.Login(r.Context(), email, r.PostForm.Get("password"), clientAddr(r, h.app.Config.TrustedProxies))
	if err == nil {
		h.setSessionCookie(w, r, in)
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	var rl *accounts.RateLimitError
	if !errors.Is(err, accounts.ErrInvalidCredentials) && !errors.As(err, &rl) {
		h.fail(w, r, err)
		return
	}
	p := h.problemOf(r, err)
	setRetryAfter(w, p.retryAfter)
	msg := "Wrong email or password."
	if rl != nil {
		msg = "Too many failed sign-ins: " + rl.Error() + "."
	}
	h.render(w, r, p.status, "login", &loginPage{layout: layout{Title: "Sign in"}, Email: email, Next: next, Message: msg})
}

// submitLogout ends the browser's session (the same Logout as the API) and
// shows the sign-in form.
func (h *handler) submitLogout(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	if p.SessionID != 0 {
		if err := h.app.Accounts.Logout(r.Context(), p.UserID, p.SessionID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.clearSessionCookie(w, r)
	h.redirect(w, r, "/login", flash{"ok", "You are signed out."})
}
