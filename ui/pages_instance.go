package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"lore/app/instance"
	"lore/app/keys"
	"lore/app/notify"
	"lore/app/validation"
	"lore/storage"
)

// instancePage is the instance owner's page: the SMTP server and a test
// mail, the model endpoint, the encryption keys and the organizations. Each
// value says whether it comes from the environment or the database; no
// password or API key is ever put back into a form.
type instancePage struct {
	layout
	SMTP       notify.View
	SMTPForm   smtpForm
	SMTPErrors map[string]string
	TestTo     string
	TestErrors map[string]string
	LLM        instance.LLMView
	LLMForm    llmForm
	LLMErrors  map[string]string
	// StoredPassword and StoredKey tell whether the database holds an SMTP
	// password or a model API key, which the forms may then remove.
	StoredPassword, StoredKey bool
	// Keys are the key versions as `lore keys status` lists them.
	Keys       []keys.VersionStatus
	KeyOrigin  string
	KeysLoaded bool
	// Organizations are every organization of the instance, with the
	// owner's role in each ("" when not a member).
	Organizations []instanceOrg
	OrgName       string
	OrgErrors     map[string]string
}

// smtpForm is the SMTP form's fields as typed or stored, without the password.
type smtpForm struct {
	Host, Port, TLS, Username, From string
}

// llmForm is the model form's fields as typed or stored, without the key.
type llmForm struct {
	BaseURL, Model, Timeout string
}

// instanceOrg is one organization of the instance.
type instanceOrg struct {
	storage.Organization
	Role string
}

// TLSModes are the SMTP form's choices.
func (instancePage) TLSModes() []string {
	return []string{notify.TLSStartTLS, notify.TLSImplicit, notify.TLSNone}
}

// Days is a key's age in whole days.
func (instancePage) Days(d time.Duration) int { return int(d.Hours() / 24) }

// AdviceDays is keys.RotationAdvice in days.
func (instancePage) AdviceDays() int { return int(keys.RotationAdvice.Hours() / 24) }

// instancePageOf gathers the instance page, its forms filled from what is
// stored (never a secret).
func (h *handler) instancePageOf(ctx context.Context, p principal) (*instancePage, error) {
	pg := &instancePage{layout: layout{Title: "Instance"}, TestTo: p.Email, KeyOrigin: h.app.Config.Keys.Describe(),
		KeysLoaded: h.app.Keyring != nil}
	var err error
	if pg.SMTP, err = h.app.Notify.Settings(ctx); err != nil {
		return nil, err
	}
	if pg.SMTP.Source == notify.SourceInstance {
		v := pg.SMTP
		pg.SMTPForm = smtpForm{Host: v.Host, Port: strconv.Itoa(v.Port), TLS: v.TLS, Username: v.Username, From: v.From}
		pg.StoredPassword = v.Password != ""
	}
	if pg.LLM, err = h.app.Instance.LLM(ctx); err != nil {
		return nil, err
	}
	stored := &pg.LLM
	if pg.LLM.Source == "environment" {
		stored = pg.LLM.Stored // nil when nothing is stored
	}
	if stored != nil && stored.Enabled {
		pg.LLMForm = llmForm{BaseURL: stored.BaseURL, Model: stored.Model, Timeout: strconv.FormatFloat(stored.TimeoutSeconds, 'f', -1, 64)}
		pg.StoredKey = stored.APIKey != ""
	}
	if pg.Keys, err = h.app.Instance.KeyStatus(ctx); err != nil {
		return nil, err
	}
	orgs, err := h.app.Accounts.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	mine, err := h.app.Accounts.ListUserOrganizations(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	roles := map[int64]string{}
	for _, o := range mine {
		roles[o.ID] = o.Role
	}
	for _, o := range orgs {
		pg.Organizations = append(pg.Organizations, instanceOrg{Organization: o, Role: roles[o.ID]})
	}
	return pg, nil
}

// showInstancePage shows the instance's settings to its owner.
func (h *handler) showInstancePage(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	pg, err := h.instancePageOf(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "instance", pg)
}

// instanceAgain shows the instance page again after a form's bad input,
// with edit applied (the form as typed and its errors).
func (h *handler) instanceAgain(w http.ResponseWriter, r *http.Request, err error, edit func(pg *instancePage, fields map[string]string)) {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		h.fail(w, r, err)
		return
	}
	p, _ := principalFrom(r.Context())
	pg, perr := h.instancePageOf(r.Context(), p)
	if perr != nil {
		h.fail(w, r, perr)
		return
	}
	edit(pg, ve.Fields)
	h.render(w, r, http.StatusUnprocessableEntity, "instance", pg)
}

// formSecret reads a secret field with its "remove" checkbox: nil keeps
// the stored value, "" removes it.
func formSecret(r *http.Request, field, remove string) *string {
	if r.PostForm.Get(remove) == "true" {
		empty := ""
		return &empty
	}
	if v := r.PostForm.Get(field); v != "" {
		return &v
	}
	return nil
}

// submitSMTP stores the SMTP settings (the same SaveSettings as the API).
func (h *handler) submitSMTP(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	f := smtpForm{Host: r.PostForm.Get("host"), Port: strings.TrimSpace(r.PostForm.Get("port")), TLS: r.PostForm.Get("tls"),
		Username: r.PostForm.Get("username"), From: r.PostForm.Get("from")}
	port, _ := strconv.Atoi(f.Port) // not a number: 0, which the service names
	in := notify.Input{Host: f.Host, Port: port, TLS: f.TLS, Username: f.Username, From: f.From,
		Password: formSecret(r, "password", "remove_password")}
	v, err := h.app.Notify.SaveSettings(r.Context(), p.actor(), in)
	if err != nil {
		h.instanceAgain(w, r, err, func(pg *instancePage, fields map[string]string) { pg.SMTPForm, pg.SMTPErrors = f, fields })
		return
	}
	msg := "The SMTP settings are saved."
	if v.Source == notify.SourceEnvironment {
		msg += " The environment's (LORE_SMTP_URL) stay in force while it is set."
	}
	h.redirect(w, r, "/instance#smtp", flash{"ok", msg})
}

// testMailWait bounds a test mail from the page: the first attempt and a
// retry, not the minutes of backoff a notification may wait.
const testMailWait = 20 * time.Second

// submitTestMail sends a test mail through the SMTP server in force, to
// the address typed (the owner's by default), and says what the server
// answered or why it failed.
func (h *handler) submitTestMail(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	to := strings.TrimSpace(r.PostForm.Get("to"))
	if a, err := mail.ParseAddress(to); err != nil || a.Name != "" || a.Address != to {
		h.instanceAgain(w, r, &validation.Error{Code: "invalid_address", Message: "no test mail was sent",
			Fields: map[string]string{"to": "must be an email address, such as admin@example.com"}},
			func(pg *instancePage, fields map[string]string) { pg.TestTo, pg.TestErrors = to, fields })
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), testMailWait)
	defer cancel()
	sent, err := h.app.Notify.Test(ctx, to)
	switch {
	case errors.Is(err, notify.ErrNotConfigured):
		h.redirect(w, r, "/instance#smtp", flash{"error", "No test mail was sent: no SMTP server is configured. Save one below (or set LORE_SMTP_URL)."})
	case err != nil:
		// the notify service has logged it
		h.redirect(w, r, "/instance#smtp", flash{"error", "The test mail was not sent: " + err.Error()})
	default:
		h.redirect(w, r, "/instance#smtp", flash{"ok", fmt.Sprintf("A test mail went to %s through %s (%s settings, %d attempt(s)); the server said: %s",
			to, sent.Server, sent.Source, sent.Attempts, sent.Reply)})
	}
}

// submitLLM stores the model endpoint (the same SetLLM as the API).
func (h *handler) submitLLM(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	f := llmForm{BaseURL: r.PostForm.Get("base_url"), Model: r.PostForm.Get("model"), Timeout: strings.TrimSpace(r.PostForm.Get("timeout_seconds"))}
	c := instance.LLMChange{BaseURL: f.BaseURL, Model: f.Model, APIKey: formSecret(r, "api_key", "remove_api_key")}
	if f.Timeout != "" {
		secs, err := strconv.ParseFloat(f.Timeout, 64)
		if err != nil {
			secs = -1 // out of range: the service names the field
		}
		c.TimeoutSeconds = &secs
	}
	v, err := h.app.Instance.SetLLM(r.Context(), p.actor(), c)
	if err != nil {
		h.instanceAgain(w, r, err, func(pg *instancePage, fields map[string]string) { pg.LLMForm, pg.LLMErrors = f, fields })
		return
	}
	msg := "The model endpoint is saved."
	switch {
	case v.Source == "environment":
		msg += " The environment's (LORE_LLM_BASE_URL) stays in force while it is set."
	case !v.Enabled:
		msg = "The model is off: answers are extractive."
	}
	h.redirect(w, r, "/instance#llm", flash{"ok", msg})
}

// submitOrganization creates an organization owned by the instance owner.
func (h *handler) submitOrganization(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	name := r.PostForm.Get("name")
	o, err := h.app.Accounts.CreateOrganization(r.Context(), p.UserID, name)
	if err != nil {
		h.instanceAgain(w, r, err, func(pg *instancePage, fields map[string]string) { pg.OrgName, pg.OrgErrors = name, fields })
		return
	}
	h.redirect(w, r, "/instance#organizations", flash{"ok", "The organization " + o.Name + " is created; you are its owner."})
}
