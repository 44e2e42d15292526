package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"lore/app/credentials"
	"lore/storage"
)

// pageCSP is the Content-Security-Policy of every page: scripts, styles and
// everything else from Lore itself only, so the pages work offline and an
// injected tag can neither run nor send anything away.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// assets are the static files, each served under a URL holding a hash of
// its content, so that browsers may cache them for good and a new binary's
// files are fetched anew.
type assets struct {
	byName map[string]string // file name → hash
}

// hashAssets hashes every file of the static folder.
func hashAssets(static fs.FS) (*assets, error) {
	a := &assets{byName: map[string]string{}}
	err := fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.byName[name] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	return a, nil
}

// url is the content-hashed URL of a static file; a name that is not one is
// an error, so that a template naming a missing file fails its tests.
func (a *assets) url(name string) (string, error) {
	h, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("ui: no static file %q", name)
	}
	return "/static/" + h + "/" + name, nil
}

// serveStatic serves a static file under its content-hashed URL; an old
// hash is a 404, not the new content under a stale name.
func (h *handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if want, ok := h.assets.byName[name]; !ok || want != r.PathValue("hash") {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(h.static, name)
	if err != nil {
		h.fail(w, r, fmt.Errorf("ui: static file %s: %w", name, err))
		return
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

// when is a time as pages show it, in UTC to the minute.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// pages are the page templates: the layout, parsed once with each page.
type pages struct {
	byName map[string]*template.Template
}

// parsePages parses layout.html with each other template of the folder;
// a page is named by its file name without .html.
func parsePages(templates fs.FS, a *assets) (*pages, error) {
	funcs := template.FuncMap{
		"static": a.url,
		"percent": func(n int) int {
			return min(max(n, 0), 100)
		},
		"when": when,
		// yes is a *bool's value, false for nil: a template's if takes any
		// non-nil pointer, a pointer to false too, as true.
		"yes": func(b *bool) bool { return b != nil && *b },
		"statusText": func(s credentials.Status) string {
			switch s {
			case credentials.StatusNotConfigured:
				return "no secrets stored"
			case credentials.StatusNotVerified:
				return "stored, not tested with Slack yet"
			case credentials.StatusValid:
				return "valid: Slack accepted them"
			case credentials.StatusInvalid:
				return "refused by Slack"
			}
			return string(s)
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templates, "layout.html")
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	names, err := fs.Glob(templates, "*.html")
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, file := range names {
		if file == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templates, file)
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", file, err)
		}
		p.byName[strings.TrimSuffix(file, ".html")] = t
	}
	return p, nil
}

// layout is what every page shows around its content: who is signed in,
// their organizations, the one the page is about, and the flash message of
// the action that led here. Every page struct embeds it.
type layout struct {
	Title string
	User  *principal
	Orgs  []storage.OrganizationRole
	// Org is the organization the page is about; its ID is 0 when none.
	Org   storage.OrganizationRole
	Flash flash
}

func (l *layout) base() *layout { return l }

// page is a typed page struct: one per template, each embedding layout.
type page interface{ base() *layout }

// OrgAdmin tells whether the caller is an admin or owner of the page's organization.
func (l *layout) OrgAdmin() bool {
	return l.Org.Role == storage.RoleOwner || l.Org.Role == storage.RoleAdmin
}

// flash is the message of the action that redirected to the page:
// post/redirect/get keeps it in a short-lived cookie for one page view.
type flash struct {
	Kind    string // "ok" or "error"
	Message string
}

const flashCookie = "lore_flash"

// setFlash stores a message for the next page the browser shows.
func (h *handler) setFlash(w http.ResponseWriter, r *http.Request, f flash) {
	v := base64.RawURLEncoding.EncodeToString([]byte(f.Kind + "\n" + f.Message))
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v, Path: "/", MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r)})
}

// takeFlash reads and clears the flash message, if any.
func (h *handler) takeFlash(w http.ResponseWriter, r *http.Request) flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return flash{}
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r)})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return flash{}
	}
	kind, msg, _ := strings.Cut(string(b), "\n")
	if kind != "ok" && kind != "error" {
		return flash{}
	}
	return flash{Kind: kind, Message: msg}
}

// redirect ends a form's action (post/redirect/get): a 303 to the page to
// show next, with the message saying what was done.
func (h *handler) redirect(w http.ResponseWriter, r *http.Request, to string, f flash) {
	if f.Message != "" {
		h.setFlash(w, r, f)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// render executes a page's template into a buffer, so that a template
// error becomes a clean 500 page instead of half a page, and writes it.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	l := p.base()
	if pr, ok := principalFrom(r.Context()); ok {
		l.User = &pr
		orgs, err := h.app.Accounts.ListUserOrganizations(r.Context(), pr.UserID)
		if err != nil {
			h.logger.Error("page: organizations of the caller", "path", r.URL.Path, "error", err)
		}
		l.Orgs = orgs
		if m, ok := membershipFrom(r.Context()); ok {
			for _, o := range orgs {
				if o.ID == m.OrgID {
					l.Org = o
				}
			}
		}
	}
	l.Flash = h.takeFlash(w, r)
	t, ok := h.pages.byName[name]
	var buf bytes.Buffer
	err := fmt.Errorf("ui: no page template %q", name)
	if ok {
		err = t.ExecuteTemplate(&buf, "layout.html", p)
	}
	if err != nil {
		h.logger.Error("page did not render", "page", name, "path", r.URL.Path, "error", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("Lore could not show this page (internal error). The server log has the detail.\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// servesPage tells whether r is for a page, answered in HTML, rather than
// for the JSON API (/api/…, /healthz) or Slack's requests (/slack/…).
func servesPage(r *http.Request) bool {
	p := r.URL.Path
	return !strings.HasPrefix(p, "/api/") && p != "/healthz" && !strings.HasPrefix(p, "/slack/")
}

// errorPage is the page of a failed request.
type errorPage struct {
	layout
	Status  int
	Heading string
	Message string
}

// errorPage answers a page's failure: signed out, the login page (a 303
// that comes back here after); else a page saying what went wrong, with
// the status problemOf chose.
func (h *handler) errorPage(w http.ResponseWriter, r *http.Request, p *requestError) {
	if p.status == http.StatusUnauthorized {
		next := ""
		if r.Method == http.MethodGet {
			next = "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, "/login"+next, http.StatusSeeOther)
		return
	}
	page := &errorPage{Status: p.status, Message: p.message}
	switch p.status {
	case http.StatusForbidden:
		page.Heading = "You may not do this"
	case http.StatusNotFound:
		page.Heading = "Not found"
		page.Message = "There is no such page here, or it belongs to an organization you are not in."
	case http.StatusInternalServerError:
		page.Heading = "Something went wrong"
		page.Message = "Lore could not do this because of an internal error. The server log has the detail."
	default:
		page.Heading = http.StatusText(p.status)
	}
	page.Title = page.Heading
	h.render(w, r, p.status, "error", page)
}

// pageNotFound answers every path no route matches outside the API: the
// 404 page, or 405 with Allow when the path exists for other methods.
func (h *handler) pageNotFound(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		probe := *r
		probe.Method = method
		if _, pattern := h.mux.Handler(&probe); pattern != "" && pattern != pageFallback {
			allowed = append(allowed, method)
		}
	}
	if len(allowed) == 0 {
		h.answer(w, r, notFound())
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	h.answer(w, r, problem(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here"))
}

// pageFallback is the pattern of every page request no other route matches.
const pageFallback = "/"

// localPath returns next when it is a path on this site, else "/": a
// login's ?next= must not send the browser to another site.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
