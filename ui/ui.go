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
	mux    *http.ServeMux // the router, for telling a wrong method from a wrong path
	now    func() time.Time
}

// New returns the HTTP handler serving every route of Lore; static is the
// embedded ui/static folder.
func New(a *app.App, static fs.FS) http.Handler {
	return newHandler(a, static, time.Now)
}

// newHandler is New with a clock, which judges the age of Slack's requests.
func newHandler(a *app.App, static fs.FS, now func() time.Time) http.Handler {
	h := &handler{app: a, logger: a.Logger, static: static, now: now}
	return h.middleware(h.routes())
}
