package ui

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"lore/app/sync"
	"lore/app/testshared"
	"lore/storage"
)

// realImportServer is a real HTTP server over the fixture whose runner
// imports with the message path itself, as lore serve's does.
func realImportServer(t *testing.T, f *fixture) *httptest.Server {
	t.Helper()
	if err := f.app.Jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	return srv
}

// waitJob follows a job through GET /api/jobs/{id} until it ends.
func waitJob(t *testing.T, f *fixture, token string, id int64) jobJSON {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		job := decodeBody[jobJSON](t, f.do(t, "GET", fmt.Sprintf("/api/jobs/%d", id), token, ""), http.StatusOK)
		if job.FinishedAt != nil {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d did not end: %+v", id, job)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestImportUploadOfBrightloom: the real export, uploaded to the workspace's
// route, is imported by the server's runner through the message path.
func TestImportUploadOfBrightloom(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := realImportServer(t, f)
	export, err := os.ReadFile(testshared.Path(t, "testdata/brightloom-export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	resp, body := upload(t, srv.URL+"/api/workspaces/"+f.wsA+"/imports", f.adminA.Token, export, 0)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %d %v", resp.StatusCode, body)
	}
	job := waitJob(t, f, f.memberA.Token, int64(body["job_id"].(float64)))
	if job.Status != storage.JobSucceeded || job.WorkspaceID != f.wsA ||
		job.Summary != "6 channels, 600 messages new, 0 updated, 0 unchanged, 0 skipped" ||
		job.Progress.Percent != 100 || job.Progress.Messages != 600 {
		t.Fatalf("job: %+v", job)
	}
	var sum sync.ImportSummary
	if err := json.Unmarshal(job.Result, &sum); err != nil || sum.New != 600 || sum.Channels != 6 || sum.WorkspaceID != f.wsA ||
		sum.FailedDays == nil || len(sum.FailedDays) != 0 {
		t.Fatalf("result detail %s: %v", job.Result, err)
	}
	if n, err := f.app.Store.CountMessages(context.Background(), f.wsA); err != nil || n != 600 {
		t.Fatalf("%d messages stored (%v), want 600", n, err)
	}
	if left := uploadsLeft(t, f); len(left) != 0 {
		t.Errorf("uploads left after the job ended: %v", left)
	}

	// The same export again changes nothing.
	resp, body = upload(t, srv.URL+"/api/workspaces/"+f.wsA+"/imports", f.adminA.Token, export, 0)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("second upload: %d %v", resp.StatusCode, body)
	}
	if job := waitJob(t, f, f.memberA.Token, int64(body["job_id"].(float64))); job.Status != storage.JobSucceeded ||
		job.Summary != "6 channels, 0 messages new, 0 updated, 600 unchanged, 0 skipped" {
		t.Fatalf("second import: %+v", job)
	}

	// Another organization's workspace is not found, and nothing is queued.
	resp, body = upload(t, srv.URL+"/api/workspaces/"+f.wsB+"/imports", f.adminA.Token, export, 0)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("upload into another organization's workspace: %d %v", resp.StatusCode, body)
	}
	if list, _ := f.app.Store.ListJobs(context.Background(), storage.JobFilter{OrgID: f.orgB.ID}); len(list) != 0 {
		t.Errorf("jobs of organization B: %+v", list)
	}
}

// TestImportUploadOfABadExport: a ZIP that is no usable export is answered
// 422 naming the problem before any job is queued, and not kept.
func TestImportUploadOfABadExport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := realImportServer(t, f)
	zipOf := func(files map[string]string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, body := range files {
			w, _ := zw.Create(name)
			w.Write([]byte(body))
		}
		zw.Close()
		return buf.Bytes()
	}
	good := `[{"id":"C1","name":"general"}]`
	for _, c := range []struct {
		name, route string
		zip         []byte
		want        string
	}{
		{"traversal", "/api/workspaces/" + f.wsA + "/imports",
			zipOf(map[string]string{"channels.json": good, "../../etc/general/2026-03-01.json": "[]"}), "'..' path element"},
		{"no channels.json", "/api/workspaces/" + f.wsA + "/imports",
			zipOf(map[string]string{"general/2026-03-01.json": "[]"}), "it has no channels.json"},
		{"truncated", "/api/workspaces/" + f.wsA + "/imports",
			zipOf(map[string]string{"channels.json": good})[:40], "truncated or damaged"},
		{"no team for a new workspace", fmt.Sprintf("/api/organizations/%d/imports", f.orgA.ID),
			zipOf(map[string]string{"channels.json": good, "users.json": `[{"id":"U1","name":"maya"}]`}), "names no team_id"},
	} {
		resp, body := upload(t, srv.URL+c.route, f.adminA.Token, c.zip, 0)
		e, _ := body["error"].(map[string]any)
		fields, _ := e["fields"].(map[string]any)
		if resp.StatusCode != http.StatusUnprocessableEntity || e["code"] != "invalid_export" ||
			!strings.Contains(fmt.Sprint(fields["file"]), c.want) {
			t.Errorf("%s: %d %v, want 422 invalid_export naming %q", c.name, resp.StatusCode, body, c.want)
		}
		if strings.Contains(fmt.Sprint(body), f.app.Config.DataDir) {
			t.Errorf("%s: the answer names a server path: %v", c.name, body)
		}
	}
	if list, _ := f.app.Store.ListJobs(context.Background(), storage.JobFilter{OrgID: f.orgA.ID}); len(list) != 0 {
		t.Errorf("bad exports were queued: %+v", list)
	}
	if left := uploadsLeft(t, f); len(left) != 0 {
		t.Errorf("bad uploads kept: %v", left)
	}
}
