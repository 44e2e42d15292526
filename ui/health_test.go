package ui

import (
	"net/http"
	"testing"
)

func TestHealthShowsWALSize(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // its setup writes, so the WAL is not empty
	got := decodeBody[struct {
		Status  string
		Details map[string]float64
	}](t, f.do(t, "GET", "/healthz", "", ""), http.StatusOK)
	if got.Status != "ok" || got.Details["wal_bytes"] <= 0 || got.Details["wal_max_bytes"] < got.Details["wal_bytes"] {
		t.Fatalf("healthz = %+v, want wal_bytes > 0 and wal_max_bytes ≥ wal_bytes", got)
	}
}
