package ui

import (
	"context"
	"net/http"
	"testing"

	"lore/app/sync"
	"lore/storage"
)

func TestBackfillAndChannelsAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	msgs := sync.New(f.app.Store, f.app.Logger, sync.Options{})
	if err := msgs.StoreChannelsAndUsers(ctx, f.wsA, []sync.Channel{{ID: "C01", Name: "deploys"}, {ID: "G02", Name: "secret", Private: true}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := msgs.StoreMessages(ctx, nil, f.wsA, "C01", []sync.Message{{TS: "1700000000.000100", Text: "hello"}}); err != nil {
		t.Fatal(err)
	}
	base := "/api/workspaces/" + f.wsA

	// A backfill with no body is queued: 202 with its id; a second is a 409 naming it.
	w := f.do(t, "POST", base+"/backfill", f.adminA.Token, "")
	first := decodeBody[struct {
		JobID int64 `json:"job_id"`
	}](t, w, http.StatusAccepted)
	if j, err := f.app.Store.Job(ctx, f.orgA.ID, first.JobID); err != nil || j.Kind != "backfill" || j.Status != storage.JobQueued {
		t.Fatalf("queued job = %+v, %v", j, err)
	}
	w = f.do(t, "POST", base+"/backfill", f.adminA.Token, `{"days_back": 7, "channels": ["C01"]}`)
	wantError(t, w, http.StatusConflict, "backfill_running")
	if got := decodeBody[struct {
		JobID int64 `json:"job_id"`
	}](t, w, http.StatusConflict); got.JobID != first.JobID {
		t.Fatalf("409 names job %d, want %d", got.JobID, first.JobID)
	}
	if _, err := f.app.Jobs.Cancel(ctx, f.orgA.ID, first.JobID); err != nil {
		t.Fatal(err)
	}
	e := wantError(t, f.do(t, "POST", base+"/backfill", f.adminA.Token, `{"days_back": 0.5}`), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["days_back"] == "" {
		t.Errorf("fields = %v", e.Error.Fields)
	}
	e = wantError(t, f.do(t, "POST", base+"/backfill", f.adminA.Token, `{"days_back": 400, "channels": ["#deploys"]}`), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["days_back"] == "" || e.Error.Fields["channels"] == "" {
		t.Errorf("fields = %v", e.Error.Fields)
	}
	decodeBody[struct{ JobID int64 }](t, f.do(t, "POST", base+"/backfill", f.adminA.Token, `{"days_back": 7, "channels": ["C01"]}`), http.StatusAccepted)

	// Channels: state, then include and exclude, all or nothing.
	list := decodeBody[channelsJSON](t, f.do(t, "GET", base+"/channels", f.adminA.Token, ""), http.StatusOK)
	if len(list.Channels) != 2 || list.Channels[0].ChannelID != "C01" || list.Channels[0].Messages != 1 ||
		list.Channels[0].Choice != "default" || list.Channels[0].Included || !list.Channels[1].Private || list.JoinAllPublic {
		t.Fatalf("channels = %+v", list)
	}
	list = decodeBody[channelsJSON](t, f.do(t, "PATCH", base+"/channels", f.adminA.Token,
		`{"join_all_public": true, "channels": [{"channel_id": "C01", "choice": "include"}, {"channel_id": "G02", "choice": "exclude"}]}`), http.StatusOK)
	if !list.JoinAllPublic || list.Channels[0].Choice != "include" || !list.Channels[0].Included || list.Channels[1].Choice != "exclude" {
		t.Fatalf("after patch = %+v", list)
	}
	e = wantError(t, f.do(t, "PATCH", base+"/channels", f.adminA.Token,
		`{"channels": [{"channel_id": "C01", "choice": "default"}, {"channel_id": "C99", "choice": "include"}]}`), http.StatusUnprocessableEntity, "invalid_request")
	if e.Error.Fields["channels"] == "" {
		t.Errorf("fields = %v", e.Error.Fields)
	}
	wantError(t, f.do(t, "PATCH", base+"/channels", f.adminA.Token, `{"channels": [{"channel_id": "C01", "choice": "maybe"}]}`),
		http.StatusUnprocessableEntity, "invalid_request")
	list = decodeBody[channelsJSON](t, f.do(t, "GET", base+"/channels", f.adminA.Token, ""), http.StatusOK)
	if list.Channels[0].Choice != "include" {
		t.Fatalf("a refused patch changed C01: %+v", list.Channels[0])
	}
}
