package ui

import (
	"context"
	"net/http"
	"testing"

	"lore/storage"
)

// TestWorkspaceTransportAPI: an admin switches a workspace to HTTP mode and
// back; a member may not, another organization gets a 404, and a transport
// other than socket or http is a 422 naming the field. The change is audited.
func TestWorkspaceTransportAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := "/api/workspaces/" + f.wsA
	got := decodeBody[workspaceJSON](t, f.do(t, "GET", path, f.memberA.Token, ""), http.StatusOK)
	if got.Transport != storage.TransportSocket {
		t.Fatalf("a new workspace's transport %q, want socket", got.Transport)
	}
	got = decodeBody[workspaceJSON](t, f.do(t, "PATCH", path, f.adminA.Token, `{"transport":"http"}`), http.StatusOK)
	if got.Transport != storage.TransportHTTP || got.WorkspaceID != f.wsA {
		t.Fatalf("after PATCH %+v", got)
	}
	if got := decodeBody[workspaceJSON](t, f.do(t, "GET", path, f.memberA.Token, ""), http.StatusOK); got.Transport != storage.TransportHTTP {
		t.Fatalf("stored transport %q", got.Transport)
	}
	wantError(t, f.do(t, "PATCH", path, f.memberA.Token, `{"transport":"socket"}`), http.StatusForbidden, "forbidden")
	wantError(t, f.do(t, "PATCH", path, f.ownerB.Token, `{"transport":"socket"}`), http.StatusNotFound, "not_found")
	for body, field := range map[string]string{`{"transport":"websocket"}`: "transport", `{}`: "transport", `{"transport":1}`: "transport", `{"name":"x"}`: "name"} {
		e := wantError(t, f.do(t, "PATCH", path, f.adminA.Token, body), http.StatusUnprocessableEntity, "invalid_request")
		if e.Error.Fields[field] == "" {
			t.Errorf("%s: fields %+v, want %s named", body, e.Error.Fields, field)
		}
	}
	entries, err := f.app.Store.ListAudit(context.Background(), storage.AuditFilter{OrgID: f.orgA.ID, Action: "workspace.update"})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit %+v, %v; want one workspace.update", entries, err)
	}
}
