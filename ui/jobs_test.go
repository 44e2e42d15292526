package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lore/app/jobs/importjob"
	"lore/app/jobs/importjob/importtest"
	"lore/app/sync"
	"lore/storage"
)

func TestJobRoutesAreIsolatedAcrossOrganizations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	jobA, err := f.app.Store.CreateJob(ctx, storage.NewJob{OrgID: f.orgA.ID, WorkspaceID: f.wsA, Kind: "test"})
	if err != nil {
		t.Fatal(err)
	}
	jobB, err := f.app.Store.CreateJob(ctx, storage.NewJob{OrgID: f.orgB.ID, WorkspaceID: f.wsB, Kind: "test"})
	if err != nil {
		t.Fatal(err)
	}
	aPath := fmt.Sprintf("/api/jobs/%d", jobA.ID)

	// B sees A's job exactly as a job that does not exist.
	missing := f.do(t, "GET", "/api/jobs/999999", f.ownerB.Token, "")
	wantError(t, missing, http.StatusNotFound, "not_found")
	for _, c := range []struct{ method, path string }{
		{"GET", aPath},
		{"POST", aPath + "/cancel"},
		{"GET", "/api/workspaces/" + f.wsA + "/jobs"},
	} {
		w := f.do(t, c.method, c.path, f.ownerB.Token, "")
		wantError(t, w, http.StatusNotFound, "not_found")
		if w.Body.String() != missing.Body.String() {
			t.Errorf("%s %s by B: %s, want the same as a missing job: %s", c.method, c.path, w.Body, missing.Body)
		}
	}
	if j, _ := f.app.Store.Job(ctx, f.orgA.ID, jobA.ID); j.Status != storage.JobQueued || j.CancelRequested {
		t.Fatalf("B's cancel touched A's job: %+v", j)
	}

	// A member of A reads A's job and lists its workspace's, never B's.
	got := decodeBody[jobJSON](t, f.do(t, "GET", aPath, f.memberA.Token, ""), http.StatusOK)
	if got.ID != jobA.ID || got.OrgID != f.orgA.ID || got.WorkspaceID != f.wsA || got.Status != "queued" || string(got.Result) != "null" {
		t.Errorf("A's job: %+v", got)
	}
	list := decodeBody[struct{ Jobs []jobJSON }](t, f.do(t, "GET", "/api/workspaces/"+f.wsA+"/jobs", f.memberA.Token, ""), http.StatusOK)
	if len(list.Jobs) != 1 || list.Jobs[0].ID != jobA.ID {
		t.Errorf("A's workspace jobs: %+v", list.Jobs)
	}
	list = decodeBody[struct{ Jobs []jobJSON }](t, f.do(t, "GET", "/api/workspaces/"+f.wsB+"/jobs", f.ownerB.Token, ""), http.StatusOK)
	if len(list.Jobs) != 1 || list.Jobs[0].ID != jobB.ID {
		t.Errorf("B's workspace jobs: %+v", list.Jobs)
	}
	wantError(t, f.do(t, "GET", "/api/workspaces/"+f.wsA+"/jobs?limit=0", f.memberA.Token, ""), http.StatusUnprocessableEntity, "invalid_request")

	// A member may look but not cancel; an admin cancels; an ended job is a 409.
	wantError(t, f.do(t, "POST", aPath+"/cancel", f.memberA.Token, ""), http.StatusForbidden, "forbidden")
	got = decodeBody[jobJSON](t, f.do(t, "POST", aPath+"/cancel", f.adminA.Token, ""), http.StatusOK)
	if got.Status != "cancelled" || got.FinishedAt == nil {
		t.Errorf("cancelled queued job: %+v", got)
	}
	wantError(t, f.do(t, "POST", aPath+"/cancel", f.adminA.Token, ""), http.StatusConflict, "job_finished")
}

// importServer is a real HTTP server over the fixture, its runner started
// with the fake importer, and the server's read timeout short.
func importServer(t *testing.T, f *fixture, fake *importtest.Fake, readTimeout time.Duration) *httptest.Server {
	t.Helper()
	importjob.Register(f.app.Jobs, fake)
	if err := f.app.Jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(f.h)
	srv.Config.ReadTimeout = readTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// upload posts a multipart body whose field "file" is content, streamed
// (no Content-Length) in pieces with pause between them.
func upload(t *testing.T, url, token string, content []byte, pause time.Duration) (*http.Response, map[string]any) {
	t.Helper()
	return uploadNamed(t, url, token, "export.zip", content, pause)
}

// uploadNamed is upload with the file's name given.
func uploadNamed(t *testing.T, url, token, filename string, content []byte, pause time.Duration) (*http.Response, map[string]any) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("note", "from the test")
		part, err := mw.CreateFormFile("file", filename)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		step := max(len(content)/5, 1)
		for i := 0; i < len(content); i += step {
			if _, err := part.Write(content[i:min(i+step, len(content))]); err != nil {
				pw.CloseWithError(err)
				return
			}
			time.Sleep(pause)
		}
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequest("POST", url, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

func exportZip(t *testing.T, channels []string, days, perDay, padding int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := importtest.WriteExport(&buf, channels, days, perDay, padding); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// uploadsLeft returns the uploads still there after their jobs ended. The
// runner removes a job's upload just after it stores the job's end, so a
// test that saw the end waits a little for the removal.
func uploadsLeft(t *testing.T, f *fixture) []string {
	t.Helper()
	var names []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		entries, _ := os.ReadDir(filepath.Join(f.app.Config.DataDir, "uploads"))
		names = names[:0]
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if len(names) == 0 || time.Now().After(deadline) {
			return names
		}
	}
}

// uploadsLeftAfterEnd is uploadsLeft once an ended job's upload had time to
// go: the runner removes it just after it stores the job's end, which the
// test may read first.
func uploadsLeftAfterEnd(t *testing.T, f *fixture) []string {
	t.Helper()
	left := uploadsLeft(t, f)
	for deadline := time.Now().Add(5 * time.Second); len(left) > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		left = uploadsLeft(t, f)
	}
	return left
}

// TestImportUploadRunsAsAJob: an upload larger than every other body may
// be, sent slower than the server's read timeout allows other requests,
// is streamed to the data directory, queued, run by the runner, followed
// through GET /api/jobs/{id}, and removed once its job has ended.
func TestImportUploadRunsAsAJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fake := &importtest.Fake{}
	srv := importServer(t, f, fake, 300*time.Millisecond)
	export := exportZip(t, []string{"deploys", "general"}, 3, 40, 0)
	// A stored entry of padding makes the upload pass every other route's limit.
	big := exportZip(t, []string{"deploys", "general"}, 3, 40, 2*maxBodyBytes)

	resp, body := upload(t, srv.URL+"/api/workspaces/"+f.wsA+"/imports", f.adminA.Token, big, 150*time.Millisecond)
	if resp.StatusCode != http.StatusAccepted || body["job_id"] == nil {
		t.Fatalf("upload: %d %v", resp.StatusCode, body)
	}
	id := int64(body["job_id"].(float64))
	if loc := resp.Header.Get("Location"); loc != fmt.Sprintf("/api/jobs/%d", id) {
		t.Errorf("Location %q", loc)
	}

	var job jobJSON
	deadline := time.Now().Add(30 * time.Second)
	for {
		job = decodeBody[jobJSON](t, f.do(t, "GET", fmt.Sprintf("/api/jobs/%d", id), f.memberA.Token, ""), http.StatusOK)
		if job.FinishedAt != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if job.Status != "succeeded" || job.Kind != importjob.Kind || job.WorkspaceID != f.wsA ||
		job.Summary != "2 channels, 240 messages new, 0 updated, 0 unchanged, 0 skipped" || job.Progress.Percent != 100 || job.Progress.ChannelsDone != 6 {
		t.Fatalf("job: %+v", job)
	}
	var sum sync.ImportSummary
	if err := json.Unmarshal(job.Result, &sum); err != nil || sum.New != 240 || sum.WorkspaceID != f.wsA {
		t.Fatalf("result detail %s: %v", job.Result, err)
	}
	calls := fake.Calls()
	if len(calls) != 1 || calls[0].Target != (sync.ImportTarget{WorkspaceID: f.wsA, OrgID: f.orgA.ID}) ||
		filepath.Dir(calls[0].Path) != filepath.Join(f.app.Config.DataDir, "uploads") {
		t.Fatalf("importer calls %+v", calls)
	}
	if left := uploadsLeftAfterEnd(t, f); len(left) != 0 {
		t.Errorf("uploads left after the job ended: %v", left)
	}

	// For a workspace not connected yet, the organization's route.
	resp, body = upload(t, fmt.Sprintf("%s/api/organizations/%d/imports", srv.URL, f.orgA.ID), f.adminA.Token, export, 0)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("organization upload: %d %v", resp.StatusCode, body)
	}
	id = int64(body["job_id"].(float64))
	j, err := f.app.Store.Job(context.Background(), f.orgA.ID, id)
	if err != nil || j.WorkspaceID != "" {
		t.Fatalf("organization import job: %+v, %v", j, err)
	}
}

func TestImportUploadRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.app.Config.MaxImportBytes = 64 << 10
	srv := importServer(t, f, &importtest.Fake{}, time.Minute)
	url := srv.URL + "/api/workspaces/" + f.wsA + "/imports"

	// Over the import limit: 413 naming it, nothing left behind.
	resp, body := upload(t, url, f.adminA.Token, append([]byte("PK\x03\x04"), bytes.Repeat([]byte("x"), 100<<10)...), 0)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(fmt.Sprint(body), "65536 bytes") {
		t.Fatalf("too large: %d %v", resp.StatusCode, body)
	}
	// Announced too large by Content-Length: refused before reading.
	req, _ := http.NewRequest("POST", url, bytes.NewReader(make([]byte, 65<<10)))
	req.Header.Set("Authorization", "Bearer "+f.adminA.Token)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("Content-Length too large: %d", r.StatusCode)
	}
	// Not a ZIP: 422 naming the field.
	resp, body = upload(t, url, f.adminA.Token, []byte(`{"messages": []}`), 0)
	if fields, _ := body["error"].(map[string]any)["fields"].(map[string]any); resp.StatusCode != http.StatusUnprocessableEntity || fields["file"] == nil {
		t.Fatalf("not a ZIP: %d %v", resp.StatusCode, body)
	}
	// Not multipart, or no file field: 400.
	wantError(t, f.do(t, "POST", "/api/workspaces/"+f.wsA+"/imports", f.adminA.Token, `{"file": "x"}`), http.StatusBadRequest, "bad_upload")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("other", "x")
	mw.Close()
	rq := httptest.NewRequest("POST", "/api/workspaces/"+f.wsA+"/imports", &buf)
	rq.Header.Set("Content-Type", mw.FormDataContentType())
	rq.Header.Set("Authorization", "Bearer "+f.adminA.Token)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, rq)
	wantError(t, w, http.StatusBadRequest, "bad_upload")

	if left := uploadsLeft(t, f); len(left) != 0 {
		t.Errorf("refused uploads left files: %v", left)
	}
	if list, _ := f.app.Store.ListJobs(context.Background(), storage.JobFilter{OrgID: f.orgA.ID}); len(list) != 0 {
		t.Errorf("refused uploads queued jobs: %+v", list)
	}
	// The 1 MiB limit of every other route still holds.
	wantError(t, f.do(t, "POST", "/api/tokens", f.adminA.Token, strings.Repeat("x", maxBodyBytes+1)), http.StatusRequestEntityTooLarge, "body_too_large")
}

func TestCancelARunningImportThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gate := make(chan struct{})
	srv := importServer(t, f, &importtest.Fake{Gate: gate}, time.Minute)
	resp, body := upload(t, srv.URL+"/api/workspaces/"+f.wsA+"/imports", f.adminA.Token, exportZip(t, []string{"deploys"}, 5, 2, 0), 0)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %d %v", resp.StatusCode, body)
	}
	path := fmt.Sprintf("/api/jobs/%d", int64(body["job_id"].(float64)))
	gate <- struct{}{} // one day file, then it waits, running
	var job jobJSON
	for job.Progress.ChannelsDone < 1 {
		time.Sleep(5 * time.Millisecond)
		job = decodeBody[jobJSON](t, f.do(t, "GET", path, f.adminA.Token, ""), http.StatusOK)
	}
	job = decodeBody[jobJSON](t, f.do(t, "POST", path+"/cancel", f.adminA.Token, ""), http.StatusAccepted)
	if job.Status != "running" || !job.CancelRequested {
		t.Fatalf("cancel of a running import: %+v", job)
	}
	for job.FinishedAt == nil {
		time.Sleep(5 * time.Millisecond)
		job = decodeBody[jobJSON](t, f.do(t, "GET", path, f.adminA.Token, ""), http.StatusOK)
	}
	if job.Status != "cancelled" || job.ErrorMessage != "cancelled" {
		t.Fatalf("cancelled import: %+v", job)
	}
	if left := uploadsLeftAfterEnd(t, f); len(left) != 0 {
		t.Errorf("uploads left after the cancel: %v", left)
	}
}
