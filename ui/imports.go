package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"lore/app/jobs/importjob"
	"lore/app/sync"
	"lore/app/validation"
	"lore/storage"
)

// uploadIdle is how long an upload may send nothing before it is cut
// off. The server's one-minute read timeout is for whole small bodies; an
// export of a few GiB takes longer than that, so an upload instead gets a
// deadline that moves on while data comes.
const uploadIdle = time.Minute

// importToWorkspace receives a Slack export for a connected workspace and
// queues its import: 202 with the job's id.
func (h *handler) importToWorkspace(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	h.receiveImport(w, r, importjob.Params{OrgID: m.OrgID, WorkspaceID: r.PathValue("workspace_id")})
}

// importToOrganization receives a Slack export for a workspace not
// connected yet, which the import creates from the export.
func (h *handler) importToOrganization(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	h.receiveImport(w, r, importjob.Params{OrgID: m.OrgID})
}

// receiveImport streams the multipart field "file" to a private file in
// the data directory, never holding it in memory, and queues the import
// job that owns (and in the end removes) that file.
func (h *handler) receiveImport(w http.ResponseWriter, r *http.Request, p importjob.Params) {
	job, err := h.queueImport(r, http.NewResponseController(w), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/jobs/"+strconv.FormatInt(job.ID, 10))
	writeJSON(w, http.StatusAccepted, map[string]int64{"job_id": job.ID})
}

// queueImport saves the upload and queues its import job, for the API and
// the pages alike.
func (h *handler) queueImport(r *http.Request, rc *http.ResponseController, p importjob.Params) (storage.Job, error) {
	// No write deadline while the body comes in: the answer is written
	// only after it, and the read deadline guards against a stalled client.
	setDeadline(rc.SetWriteDeadline, time.Time{})
	path, err := h.saveUpload(r, rc)
	if err != nil {
		return storage.Job{}, err
	}
	// Checked before it is queued: a file that is no usable export is
	// answered now (422), not by a failed job.
	if err := h.app.Sync.CheckExport(path, sync.ImportTarget{WorkspaceID: p.WorkspaceID, OrgID: p.OrgID}); err != nil {
		os.Remove(path)
		return storage.Job{}, err
	}
	p.Path, p.RemoveAfter = path, true
	job, err := h.app.Jobs.Enqueue(r.Context(), storage.NewJob{OrgID: p.OrgID, WorkspaceID: p.WorkspaceID,
		Kind: importjob.Kind, Params: p.Encode()})
	if err != nil {
		os.Remove(path)
		return storage.Job{}, err
	}
	setDeadline(rc.SetWriteDeadline, time.Now().Add(30*time.Second))
	return job, nil
}

// setDeadline sets a connection deadline. Its error says nothing to act
// on: an httptest recorder has no connection (http.ErrNotSupported), and a
// broken connection shows at the next read or write.
func setDeadline(set func(time.Time) error, t time.Time) { _ = set(t) }

// saveUpload copies the multipart field "file" into a new file in the
// data directory's uploads folder and returns its path. On any error the
// file is removed.
func (h *handler) saveUpload(r *http.Request, rc *http.ResponseController) (path string, err error) {
	badUpload := &requestError{status: http.StatusBadRequest, code: "bad_upload",
		message: `the body must be multipart/form-data with the Slack export ZIP in a field named "file"`}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", badUpload
	}
	body := &movingDeadline{extend: func() { setDeadline(rc.SetReadDeadline, time.Now().Add(uploadIdle)) }}
	body.extend()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return "", badUpload
		}
		if err != nil {
			return "", uploadError(err, badUpload)
		}
		if part.FormName() != "file" {
			// Other fields are not ours; drain them (within the body limit).
			if _, err := io.Copy(io.Discard, part); err != nil {
				return "", uploadError(err, badUpload)
			}
			continue
		}
		body.r = part
		return h.writeUpload(body)
	}
}

// writeUpload writes one upload into the uploads folder.
func (h *handler) writeUpload(src io.Reader) (path string, err error) {
	dir := importjob.UploadDir(h.app.Config.DataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("ui: uploads folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "slack-export-*.zip") // mode 0600
	if err != nil {
		return "", fmt.Errorf("ui: upload file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("ui: upload file: %w", cerr)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	head := make([]byte, 8)
	n, err := io.ReadFull(src, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
		return "", uploadError(err, nil)
	}
	if problem := sync.ZipProblem(head[:n]); problem != "" {
		return "", &validation.Error{Code: "invalid_export", Message: "the file is not a usable Slack export",
			Fields: map[string]string{"file": "is not a usable Slack export: " + problem}}
	}
	if _, err := f.Write(head[:n]); err != nil {
		return "", fmt.Errorf("ui: upload file: %w", err)
	}
	if _, err := io.Copy(f, src); err != nil {
		return "", uploadError(err, nil)
	}
	return f.Name(), nil
}

// uploadError turns a failed read of the body into its answer: the body
// limit (413), a client that went away or stalled, or a malformed body.
func uploadError(err error, malformed error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return mbe
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &requestError{status: http.StatusRequestTimeout, code: "upload_stalled",
			message: fmt.Sprintf("the upload sent nothing for %s; send it again", uploadIdle)}
	case malformed != nil:
		return malformed
	}
	return &requestError{status: http.StatusBadRequest, code: "bad_upload", message: "the upload could not be read: " + err.Error()}
}

// movingDeadline reads r and moves the connection's read deadline on as
// data comes, at most once a second.
type movingDeadline struct {
	r      io.Reader
	extend func()
	last   time.Time
}

func (m *movingDeadline) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(m.last) > time.Second {
		m.last = now
		m.extend()
	}
	return m.r.Read(p)
}
