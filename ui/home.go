package ui

import (
	"net/http"
)

// showHome serves the start page: what to do after a first start.
func (h *handler) showHome(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
	http.ServeFileFS(w, r, h.static, "index.html")
}
