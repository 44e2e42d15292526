// Package ui is Lore's HTTP layer: the JSON API and the pages, over the
// services of package app.
package ui

import (
	"io/fs"
	"log/slog"
	"net/http"

	"lore/app"
)

// handler holds the dependencies every HTTP handler needs.
type handler struct {
	app    *app.App
	logger *slog.Logger
	static fs.FS          // the embedded ui/static folder
	mux    *http.ServeMux // the router, for telling a wrong method from a wrong path
}

// New returns the HTTP handler serving every route of Lore; static is the
// embedded ui/static folder.
func New(a *app.App, static fs.FS) http.Handler {
	h := &handler{app: a, logger: a.Logger, static: static}
	return h.middleware(h.routes())
}
