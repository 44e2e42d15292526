package ui

import "net/http"

// routes lists every route Lore serves.
func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.health)
	return mux
}
