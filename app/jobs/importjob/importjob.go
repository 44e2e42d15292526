// Package importjob is the job kind that imports a Slack export ZIP into a
// workspace through the one message path: what an import job is queued
// with, what it reports when it ends, and its handler. The import itself
// is the message path's (app/sync); this package only runs it as a job.
package importjob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"lore/app/jobs"
	"lore/app/sync"
	"lore/storage"
)

// Kind is the job kind of an export import.
const Kind = "import"

// Params is what an import job is queued with.
type Params struct {
	// Path is the export ZIP, absolute: the process that runs the job may
	// not share the queuing one's working directory.
	Path string `json:"path"`
	// WorkspaceID names a connected workspace; with it empty, the import
	// creates a workspace of OrgID from the export.
	WorkspaceID string `json:"workspace_id,omitempty"`
	OrgID       int64  `json:"org_id"`
	// RemoveAfter says the file is the job's own (an upload), removed once
	// the job has ended.
	RemoveAfter bool `json:"remove_after,omitempty"`
}

// Validate checks what can be checked before the job is queued.
func (p Params) Validate() error {
	switch {
	case p.OrgID <= 0:
		return errors.New("importjob: an import needs the organization")
	case !filepath.IsAbs(p.Path):
		return fmt.Errorf("importjob: the export path %q is not absolute", p.Path)
	}
	return nil
}

// Importer is what the import kind needs of the message path: app/sync's
// Service is one (tests of the job, the command and the endpoints use
// importtest's fake).
type Importer interface {
	// ImportExport imports the export ZIP at path into target, resuming
	// from run's checkpoint and reporting progress to it.
	ImportExport(ctx context.Context, path string, target sync.ImportTarget, run jobs.Run) (sync.ImportSummary, error)
}

// Register makes imp the runner's import kind: resumable (the importer
// resumes from its checkpoint), and an uploaded export is removed once its
// job has ended.
func Register(r *jobs.Runner, imp Importer) {
	r.Register(Kind, Handler(imp), true)
	r.OnDiscard(Kind, discard)
}

// Handler runs import jobs with imp. A summary with failed units ends the
// job partial.
func Handler(imp Importer) jobs.Handler {
	return func(ctx context.Context, raw []byte, run jobs.Run) (jobs.Outcome, error) {
		p, err := decodeParams(raw)
		if err != nil {
			return jobs.Outcome{}, err
		}
		if _, err := os.Stat(p.Path); errors.Is(err, fs.ErrNotExist) {
			return jobs.Outcome{}, fmt.Errorf("the export %s is not there any more", p.Path)
		} else if err != nil {
			return jobs.Outcome{}, fmt.Errorf("the export cannot be read by this lore: %w", err)
		}
		sum, err := imp.ImportExport(ctx, p.Path, sync.ImportTarget{WorkspaceID: p.WorkspaceID, OrgID: p.OrgID}, run)
		if err != nil {
			return jobs.Outcome{}, err
		}
		// Lists are [] in the API, never null.
		if sum.FailedDays == nil {
			sum.FailedDays = []sync.FailedDay{}
		}
		if sum.UnknownFolders == nil {
			sum.UnknownFolders = []string{}
		}
		return jobs.Outcome{Partial: sum.Partial(), Detail: sum, Summary: sum.String(), WorkspaceID: sum.WorkspaceID}, nil
	}
}

// Encode turns p into a job's params.
func (p Params) Encode() []byte {
	b, _ := json.Marshal(p) // strings, numbers and a bool always marshal
	return b
}

func decodeParams(raw []byte) (Params, error) {
	var p Params
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Params{}, fmt.Errorf("importjob: bad job params: %w", err)
	}
	if err := p.Validate(); err != nil {
		return Params{}, err
	}
	return p, nil
}

// QueuedLike returns the oldest queued import job of p's export and target
// (the same file, workspace and organization), or storage.ErrNotFound: a
// command that runs its own import takes that job, which a crash or a
// shutdown put back in the queue, and resumes it from its checkpoint rather
// than queue a second one.
func QueuedLike(ctx context.Context, store *storage.Store, p Params) (storage.Job, error) {
	active, err := store.ListActiveJobs(ctx, Kind)
	if err != nil {
		return storage.Job{}, err
	}
	for _, j := range active {
		if j.Status != storage.JobQueued || j.OrgID != p.OrgID {
			continue
		}
		if q, err := decodeParams(j.Params); err == nil && !q.RemoveAfter && q.WorkspaceID == p.WorkspaceID &&
			filepath.Clean(q.Path) == filepath.Clean(p.Path) {
			return j, nil
		}
	}
	return storage.Job{}, fmt.Errorf("importjob: a queued import of %s: %w", p.Path, storage.ErrNotFound)
}

// DecodeSummary reads an import job's result detail.
func DecodeSummary(raw []byte) (sync.ImportSummary, error) {
	var s sync.ImportSummary
	if err := json.Unmarshal(raw, &s); err != nil {
		return sync.ImportSummary{}, fmt.Errorf("importjob: bad result detail: %w", err)
	}
	return s, nil
}

// UploadDir is where uploaded exports wait for their jobs, inside the
// data directory (the same file system as the database, private to Lore).
func UploadDir(dataDir string) string { return filepath.Join(dataDir, "uploads") }

// SweepUploads removes the uploads no queued or running import job owns:
// what a crash left half-received, or after its job ended. It runs at
// startup, before any upload can be arriving.
func SweepUploads(ctx context.Context, store *storage.Store, dataDir string) (removed []string, err error) {
	entries, err := os.ReadDir(UploadDir(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("importjob: uploads: %w", err)
	}
	active, err := store.ListActiveJobs(ctx, Kind)
	if err != nil {
		return nil, err
	}
	owned := map[string]bool{}
	for _, j := range active {
		if p, err := decodeParams(j.Params); err == nil {
			owned[filepath.Clean(p.Path)] = true
		}
	}
	for _, e := range entries {
		path := filepath.Join(UploadDir(dataDir), e.Name())
		if e.Type().IsRegular() && !owned[path] {
			if err := os.Remove(path); err == nil {
				removed = append(removed, path)
			}
		}
	}
	return removed, nil
}

// discard removes an uploaded export once its job has ended; a file the
// job does not own (a path given on the command line) is left alone.
func discard(raw []byte) {
	p, err := decodeParams(raw)
	if err != nil || !p.RemoveAfter || strings.TrimSpace(p.Path) == "" {
		return
	}
	os.Remove(p.Path)
}
