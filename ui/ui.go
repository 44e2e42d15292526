// Package ui is Lore's HTTP layer: the JSON API and the pages, over the
// services of package app.
package ui

import (
	"log/slog"
	"net/http"

	"lore/app"
)

// handler holds the dependencies every HTTP handler needs.
type handler struct {
	app    *app.App
	logger *slog.Logger
}

// New returns the HTTP handler serving every route of Lore.
func New(a *app.App) http.Handler {
	h := &handler{app: a, logger: a.Logger}
	return h.middleware(h.routes())
}
