// Package ui is Lore's HTTP layer: the JSON API and the pages, over the
// services of package app.
//
// Handlers reach data only through app's services (h.app.Accounts,
// h.app.Settings, h.app.Credentials, h.app.Audit, …), never through
// h.app.Store, the guard's membership look-ups included: a read or write
// then goes through the one place that checks, audits and scopes it to an
// organization, and a new handler has one way to do it. The services may
// return storage's row types, and a thin read-through method on a service is
// the way to expose a plain read. The one exception is /healthz, whose job
// is to probe the database itself.
package ui

import (
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"lore/app"
)

// handler holds the dependencies every HTTP handler needs.
type handler struct {
	app    *app.App
	logger *slog.Logger
	static fs.FS          // the embedded ui/static folder
	assets *assets        // the static files by content-hashed URL
	pages  *pages         // the page templates, parsed once
	mux    *http.ServeMux // the router, for telling a wrong method from a wrong path
	// asker answers questions on the Ask page (nil only for an App opened
	// without its services).
	asker asker
	// now is the clock that judges the age of Slack's signed requests.
	now func() time.Time
	// onceSecrets hold each new API token's secret for its one page view.
	onceSecrets *onceSecrets
}

// New returns the HTTP handler serving every route of Lore; static and
// templates are the embedded ui/static and ui/templates folders. The
// templates are parsed here, once; since they are compiled into the
// binary, one that does not parse is a bug every test meets, so New panics
// on it as regexp.MustCompile does.
func New(a *app.App, static, templates fs.FS) http.Handler {
	h, err := newHandler(a, static, templates)
	if err != nil {
		panic(err)
	}
	return h.middleware(h.routes())
}

func newHandler(a *app.App, static, templates fs.FS) (*handler, error) {
	h := &handler{app: a, logger: a.Logger, static: static, now: time.Now, onceSecrets: newOnceSecrets()}
	if a.Answers != nil {
		h.asker = answersAsker{answers: a.Answers}
	}
	var err error
	if h.assets, err = hashAssets(static); err != nil {
		return nil, err
	}
	if h.pages, err = parsePages(templates, h.assets); err != nil {
		return nil, err
	}
	return h, nil
}
