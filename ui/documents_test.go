package ui

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lore/storage"
)

// postDocument uploads content as the multipart field "file" named filename.
func (f *fixture) postDocument(t *testing.T, orgID int64, token, filename string, content []byte) *httptest.ResponseRecorder {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("note", "not ours")
	part, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(content)
	mw.Close()
	r := httptest.NewRequest("POST", fmt.Sprintf("/api/organizations/%d/documents", orgID), &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// waitJob follows a job through the API until it ends.
func (f *fixture) waitJob(t *testing.T, id int64, token string) jobJSON {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		job := decodeBody[jobJSON](t, f.do(t, "GET", fmt.Sprintf("/api/jobs/%d", id), token, ""), http.StatusOK)
		if job.FinishedAt != nil {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d did not end: %+v", id, job)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type uploadAnswer struct {
	JobID     int64        `json:"job_id"`
	Type      string       `json:"type"`
	Unchanged bool         `json:"unchanged"`
	Message   string       `json:"message"`
	Document  documentJSON `json:"document"`
}

type documentAnswer struct {
	Document documentJSON `json:"document"`
	Text     string       `json:"text"`
	Chunks   []chunkJSON  `json:"chunks"`
}

const runbookMD = "# Ingest Runbook\n\n## Restarting ingest\n\nDrain the queue, then restart the worker.\n\n## Escalation\n\nPage the on-call engineer.\n"

// TestDocumentUploadListShowReplaceDelete walks a document's life through
// the API: uploaded and extracted by a job, listed, shown with its text and
// chunks, uploaded again unchanged (a no-op that says so), replaced by a
// new version of the same name, and deleted with its chunks.
func TestDocumentUploadListShowReplaceDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.app.Jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := f.postDocument(t, f.orgA.ID, f.adminA.Token, "runbook.md", []byte(runbookMD))
	up := decodeBody[uploadAnswer](t, w, http.StatusAccepted)
	if up.JobID == 0 || up.Type != "markdown" || w.Header().Get("Location") != fmt.Sprintf("/api/jobs/%d", up.JobID) {
		t.Fatalf("upload: %+v, Location %q", up, w.Header().Get("Location"))
	}
	job := f.waitJob(t, up.JobID, f.memberA.Token)
	if job.Status != "succeeded" || job.Kind != "extract" || job.Summary != "runbook.md: 11 words, 2 chunks" {
		t.Fatalf("job: %+v", job)
	}
	list := decodeBody[struct{ Documents []documentJSON }](t, f.do(t, "GET", fmt.Sprintf("/api/organizations/%d/documents", f.orgA.ID), f.memberA.Token, ""), http.StatusOK)
	if len(list.Documents) != 1 {
		t.Fatalf("list: %+v", list)
	}
	d := list.Documents[0]
	if d.Title != "Ingest Runbook" || d.Filename != "runbook.md" || d.Type != "markdown" || d.SizeBytes != int64(len(runbookMD)) ||
		d.Chunks != 2 || d.UploadedBy == nil || d.UploadedBy.Email != "admin-a@example.com" || d.CreatedAt.IsZero() {
		t.Errorf("listed document: %+v", d)
	}
	docPath := fmt.Sprintf("/api/organizations/%d/documents/%d", f.orgA.ID, d.ID)
	shown := decodeBody[documentAnswer](t, f.do(t, "GET", docPath, f.memberA.Token, ""), http.StatusOK)
	if !strings.Contains(shown.Text, "Restarting ingest\n\nDrain the queue, then restart the worker.") || len(shown.Chunks) != 2 ||
		shown.Chunks[0].Section != "Restarting ingest" || shown.Chunks[1].Anchor != "chunk-1" || shown.Chunks[1].Text != "Page the on-call engineer." {
		t.Errorf("shown: %+v", shown)
	}

	// the same bytes again, under any name: nothing queued, and it says so
	again := decodeBody[uploadAnswer](t, f.postDocument(t, f.orgA.ID, f.adminA.Token, "copy.md", []byte(runbookMD)), http.StatusOK)
	if !again.Unchanged || again.JobID != 0 || again.Document.ID != d.ID || !strings.Contains(again.Message, "nothing was changed") {
		t.Errorf("identical upload: %+v", again)
	}

	// the same name with new content replaces the document
	v2 := strings.Replace(runbookMD, "Page the on-call engineer.", "Call Maya, then page the on-call engineer.", 1)
	up = decodeBody[uploadAnswer](t, f.postDocument(t, f.orgA.ID, f.adminA.Token, "runbook.md", []byte(v2)), http.StatusAccepted)
	if job := f.waitJob(t, up.JobID, f.adminA.Token); job.Status != "succeeded" || !strings.HasSuffix(job.Summary, "replaced the earlier version") {
		t.Fatalf("replacing job: %+v", job)
	}
	list = decodeBody[struct{ Documents []documentJSON }](t, f.do(t, "GET", fmt.Sprintf("/api/organizations/%d/documents", f.orgA.ID), f.memberA.Token, ""), http.StatusOK)
	if len(list.Documents) != 1 || list.Documents[0].ID != d.ID {
		t.Fatalf("after replacing: %+v", list.Documents)
	}
	if hits, _ := f.app.Documents.Search(context.Background(), f.orgA.ID, "Maya", 5); len(hits) != 1 {
		t.Errorf("the new version is not found: %+v", hits)
	}

	// another organization sees nothing of it
	wantError(t, f.do(t, "GET", fmt.Sprintf("/api/organizations/%d/documents/%d", f.orgB.ID, d.ID), f.ownerB.Token, ""), http.StatusNotFound, "not_found")
	wantError(t, f.do(t, "DELETE", fmt.Sprintf("/api/organizations/%d/documents/%d", f.orgB.ID, d.ID), f.ownerB.Token, ""), http.StatusNotFound, "not_found")
	wantError(t, f.do(t, "GET", docPath, f.ownerB.Token, ""), http.StatusNotFound, "not_found")

	// a member may read, not delete; an admin deletes, chunks and index entries too
	wantError(t, f.do(t, "DELETE", docPath, f.memberA.Token, ""), http.StatusForbidden, "forbidden")
	if w := f.do(t, "DELETE", docPath, f.adminA.Token, ""); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	wantError(t, f.do(t, "GET", docPath, f.memberA.Token, ""), http.StatusNotFound, "not_found")
	if hits, _ := f.app.Documents.Search(context.Background(), f.orgA.ID, "Maya queue engineer ingest runbook", 5); len(hits) != 0 {
		t.Errorf("deleted document still found: %+v", hits)
	}
	if left, _ := os.ReadDir(filepath.Join(f.app.Config.DataDir, "document-uploads")); len(left) != 0 {
		t.Errorf("uploads left after their jobs ended: %v", left)
	}
}

func TestDocumentUploadRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	e := wantError(t, f.postDocument(t, f.orgA.ID, f.adminA.Token, "notes.txt", png), http.StatusUnsupportedMediaType, "unsupported_type")
	if !strings.Contains(e.Error.Message, "image/png") || e.Error.Fields["file"] == "" {
		t.Errorf("wrong type: %+v", e)
	}
	wantError(t, f.postDocument(t, f.orgA.ID, f.adminA.Token, "empty.txt", nil), http.StatusUnprocessableEntity, "empty_file")
	wantError(t, f.postDocument(t, f.orgA.ID, f.memberA.Token, "runbook.md", []byte(runbookMD)), http.StatusForbidden, "forbidden")
	wantError(t, f.postDocument(t, f.orgA.ID, f.ownerB.Token, "runbook.md", []byte(runbookMD)), http.StatusNotFound, "not_found")
	// no field "file"
	w := f.do(t, "POST", fmt.Sprintf("/api/organizations/%d/documents", f.orgA.ID), f.adminA.Token, `{"file": "x"}`)
	wantError(t, w, http.StatusBadRequest, "bad_upload")

	// its own limit: past 1 MiB (every other body's) is fine up to it, then 413
	f.app.Config.MaxDocumentBytes = 3 << 20
	big := []byte(strings.Repeat("All the words of a long policy. ", (2<<20)/32))
	if w := f.postDocument(t, f.orgA.ID, f.adminA.Token, "policy.txt", big); w.Code != http.StatusAccepted {
		t.Errorf("a 2 MiB document: %d %s", w.Code, w.Body)
	}
	bigger := append(big, big...)
	wantError(t, f.postDocument(t, f.orgA.ID, f.adminA.Token, "bigger.txt", bigger), http.StatusRequestEntityTooLarge, "body_too_large")

	// disabled for the organization: 403 before the body is read
	if err := f.app.Store.Tx(context.Background(), func(tx *storage.Tx) error {
		return tx.UpdateOrgSettings(context.Background(), f.orgA.ID, map[string]any{"document_upload_enabled": false})
	}); err != nil {
		t.Fatal(err)
	}
	wantError(t, f.postDocument(t, f.orgA.ID, f.adminA.Token, "runbook.md", []byte(runbookMD)), http.StatusForbidden, "document_upload_disabled")
	if left, _ := os.ReadDir(filepath.Join(f.app.Config.DataDir, "document-uploads")); len(left) != 1 {
		t.Errorf("uploads kept: %d, want only the queued 2 MiB one", len(left))
	}
}

// TestDocumentUploadDeadline: a document upload has one deadline for the
// whole request, from the body-limit middleware's per-route table; an
// upload slower than it is cut off with 408, and nothing is kept.
func TestDocumentUploadDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.app.Config.DocumentUploadTimeout = 400 * time.Millisecond
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	url := fmt.Sprintf("%s/api/organizations/%d/documents", srv.URL, f.orgA.ID)
	body := []byte(strings.Repeat("Slow words arrive. ", 500))
	// five pieces 150 ms apart: 750 ms in all, past the deadline
	resp, answer := uploadNamed(t, url, f.adminA.Token, "slow.txt", body, 150*time.Millisecond)
	if resp.StatusCode != http.StatusRequestTimeout || answer["error"] == nil {
		t.Fatalf("slow upload: %d %v", resp.StatusCode, answer)
	}
	if e := answer["error"].(map[string]any); e["code"] != "upload_too_slow" {
		t.Errorf("slow upload: %v", e)
	}
	if left, _ := os.ReadDir(filepath.Join(f.app.Config.DataDir, "document-uploads")); len(left) != 0 {
		t.Errorf("a cut-off upload was kept: %v", left)
	}
	// the same upload in time is taken
	resp, answer = uploadNamed(t, url, f.adminA.Token, "quick.txt", body, 0)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("quick upload: %d %v", resp.StatusCode, answer)
	}
}
