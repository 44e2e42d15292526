package ui

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestTokensAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	created := decodeBody[tokenJSON](t, f.do(t, "POST", "/api/tokens", f.memberA.Token, `{"name":"deploy script"}`), http.StatusCreated)
	if !strings.HasPrefix(created.Token, "lore_") || created.Name != "deploy script" || !strings.HasPrefix(created.Token, created.Prefix) {
		t.Fatalf("created %+v", created)
	}
	if w := f.do(t, "GET", "/api/me", created.Token, ""); w.Code != http.StatusOK {
		t.Fatalf("new token: %d", w.Code)
	}
	list := decodeBody[struct{ Tokens []tokenJSON }](t, f.do(t, "GET", "/api/tokens", f.memberA.Token, ""), http.StatusOK)
	if len(list.Tokens) != 2 {
		t.Fatalf("tokens %+v", list.Tokens)
	}
	for _, tk := range list.Tokens {
		if tk.Token != "" {
			t.Fatalf("list shows a secret: %+v", tk)
		}
	}
	// Another user's token is a 404, like a missing one.
	wantError(t, f.do(t, "DELETE", fmt.Sprintf("/api/tokens/%d", created.ID), f.ownerB.Token, ""), http.StatusNotFound, "not_found")
	wantError(t, f.do(t, "DELETE", "/api/tokens/424242", f.memberA.Token, ""), http.StatusNotFound, "not_found")
	if w := f.do(t, "DELETE", fmt.Sprintf("/api/tokens/%d", created.ID), f.memberA.Token, ""); w.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	wantError(t, f.do(t, "GET", "/api/me", created.Token, ""), http.StatusUnauthorized, "unauthenticated")
}
