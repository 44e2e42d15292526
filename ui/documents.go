package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"lore/app/documents"
	"lore/storage"
)

type uploaderJSON struct {
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
}

// documentJSON is a document as the API lists it.
type documentJSON struct {
	ID         int64         `json:"document_id"`
	Title      string        `json:"title"`
	Filename   string        `json:"filename"`
	Type       string        `json:"type"`
	SizeBytes  int64         `json:"size_bytes"`
	Pages      int           `json:"pages"`
	Words      int           `json:"words"`
	Chunks     int           `json:"chunks"`
	UploadedBy *uploaderJSON `json:"uploaded_by"` // null once the user is gone
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
}

func toDocumentJSON(d storage.Document) documentJSON {
	out := documentJSON{ID: d.ID, Title: d.Title, Filename: d.Filename, Type: d.Type, SizeBytes: d.SizeBytes,
		Pages: d.Pages, Words: d.Words, Chunks: d.Chunks, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.UploadedBy != 0 {
		out.UploadedBy = &uploaderJSON{UserID: d.UploadedBy, Email: d.UploadedByEmail}
	}
	return out
}

type chunkJSON struct {
	Position int    `json:"position"`
	Anchor   string `json:"anchor"` // the chunk's fragment in the document's page: #chunk-N
	Section  string `json:"section"`
	Page     int    `json:"page"`
	PageEnd  int    `json:"page_end"`
	Text     string `json:"text"`
}

// documentID is the {document_id} of a route; 0 when it is not a number.
func documentID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("document_id"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// uploadDocument receives a document (multipart field "file") and queues
// its extraction: 202 with the job's id, or 200 saying nothing changed
// when the organization already has these bytes.
func (h *handler) uploadDocument(w http.ResponseWriter, r *http.Request) {
	got, err := h.receiveDocument(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if got.Unchanged {
		writeJSON(w, http.StatusOK, map[string]any{
			"unchanged": true,
			"message":   unchangedMessage(got.Existing),
			"document":  toDocumentJSON(got.Existing),
		})
		return
	}
	w.Header().Set("Location", "/api/jobs/"+strconv.FormatInt(got.JobID, 10))
	writeJSON(w, http.StatusAccepted, map[string]any{"job_id": got.JobID, "type": got.Type})
}

// unchangedMessage says that an upload had a document's bytes already.
func unchangedMessage(d storage.Document) string {
	return fmt.Sprintf("%s already has this content (%s); nothing was changed", d.Title, d.Filename)
}

// receiveDocument hands the upload's field "file" to the documents
// service, for the API and the Documents page alike; uploads disabled are
// refused before the body is read.
func (h *handler) receiveDocument(w http.ResponseWriter, r *http.Request) (documents.Received, error) {
	p, m := caller(r)
	// refused before the body is read: a disabled organization's admin
	// should not wait for 20 MiB to go up first
	if err := h.app.Documents.CheckUploads(r.Context(), m.OrgID); err != nil {
		return documents.Received{}, err
	}
	rc := http.NewResponseController(w)
	setDeadline(rc.SetWriteDeadline, time.Time{}) // the answer comes after the body
	badUpload := &requestError{status: http.StatusBadRequest, code: "bad_upload",
		message: `the body must be multipart/form-data with the document in a field named "file"`}
	mr, err := r.MultipartReader()
	if err != nil {
		return documents.Received{}, badUpload
	}
	var part io.Reader
	var filename string
	for part == nil {
		pt, err := mr.NextPart()
		if err == io.EOF {
			return documents.Received{}, badUpload
		}
		if err != nil {
			return documents.Received{}, uploadError(err, badUpload)
		}
		if pt.FormName() != "file" {
			if _, err := io.Copy(io.Discard, pt); err != nil {
				return documents.Received{}, uploadError(err, badUpload)
			}
			continue
		}
		part, filename = pt, pt.FileName()
	}
	got, err := h.app.Documents.Receive(r.Context(), m.OrgID, p.UserID, filename, part)
	if err != nil {
		return documents.Received{}, h.bodyError(err)
	}
	setDeadline(rc.SetWriteDeadline, time.Now().Add(30*time.Second))
	return got, nil
}

// bodyError names a failed read of an upload's body (its limit, its
// deadline) as uploadError does; any other error passes as it is.
func (h *handler) bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return &requestError{status: http.StatusRequestTimeout, code: "upload_too_slow",
			message: fmt.Sprintf("the upload took longer than %s; send it again", h.app.Config.DocumentUploadDeadline())}
	}
	return err
}

// listDocuments lists the organization's documents, newest first.
func (h *handler) listDocuments(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	docs, err := h.app.Documents.List(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]documentJSON, len(docs))
	for i, d := range docs {
		out[i] = toDocumentJSON(d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": out})
}

// showDocument returns a document with its extracted text and its chunks.
func (h *handler) showDocument(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	d, text, chunks, err := h.app.Documents.Document(r.Context(), m.OrgID, documentID(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cs := make([]chunkJSON, len(chunks))
	for i, c := range chunks {
		cs[i] = chunkJSON{Position: c.Position, Anchor: "chunk-" + strconv.Itoa(c.Position), Section: c.Section,
			Page: c.Page, PageEnd: c.PageEnd, Text: c.Text}
	}
	writeJSON(w, http.StatusOK, map[string]any{"document": toDocumentJSON(d), "text": text, "chunks": cs})
}

// deleteDocument deletes a document, its chunks and their index entries.
func (h *handler) deleteDocument(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	if err := h.app.Documents.Delete(r.Context(), m.OrgID, documentID(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
