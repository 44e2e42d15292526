package apptest

import (
	"context"
	"testing"

	"lore/storage"
)

// SameMessages fails the test unless two databases hold the same messages of
// the workspace (every stored field but the row id) and an index that finds
// as many of them for each query: how a test shows that an interrupted
// import, once resumed, ended exactly as an uninterrupted one.
func SameMessages(t testing.TB, got, want *storage.Store, ws string, queries ...string) {
	t.Helper()
	ctx := context.Background()
	g, err := got.ListMessages(ctx, ws, "")
	if err != nil {
		t.Fatal(err)
	}
	w, err := want.ListMessages(ctx, ws, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != len(w) {
		t.Fatalf("%d messages, want %d", len(g), len(w))
	}
	for i := range w {
		g[i].ID, w[i].ID = 0, 0
		if g[i] != w[i] {
			t.Fatalf("message %d: %+v, want %+v", i, g[i], w[i])
		}
	}
	for _, q := range queries {
		a, err := got.SearchMessages(ctx, ws, q, len(w)+1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := want.SearchMessages(ctx, ws, q, len(w)+1)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) || len(b) == 0 {
			t.Errorf("%q finds %d messages, want %d (and more than none)", q, len(a), len(b))
		}
	}
}
