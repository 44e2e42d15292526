package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"lore/app/jobs"
	"lore/app/settings"
	"lore/app/validation"
	"lore/storage"
)

// Kind is the job kind that extracts an uploaded document.
const Kind = "extract"

// ErrUploadDisabled is an upload to an organization whose
// document_upload_enabled setting is false.
var ErrUploadDisabled = errors.New("documents: document uploads are disabled for this organization")

// Options configure the service; the zero value is the production setting
// but for UploadDir, which Open sets.
type Options struct {
	// UploadDir holds uploads until their extraction job has ended.
	UploadDir string
	PDF       PDFLimits
	Child     Child
	Chunks    ChunkOptions
}

// Service stores, extracts, lists, deletes and searches documents.
type Service struct {
	store  *storage.Store
	search *storage.Searcher
	runner *jobs.Runner
	logger *slog.Logger
	dir    string
	x      extractor
	chunks ChunkOptions
}

// New builds the service and registers its job kind on runner: resumable
// (an interrupted extraction starts again from the file), the uploaded
// file removed once its job has ended.
func New(store *storage.Store, runner *jobs.Runner, logger *slog.Logger, opts Options) *Service {
	s := &Service{store: store, search: store.Searcher(), runner: runner, logger: logger, dir: opts.UploadDir, chunks: opts.Chunks,
		x: extractor{pdf: pdfReader{child: opts.Child, limits: opts.PDF.withDefaults(), logger: logger}}}
	runner.Register(Kind, s.runExtract, true)
	runner.OnDiscard(Kind, discard)
	return s
}

// Close releases the service's prepared searches.
func (s *Service) Close() error { return s.search.Close() }

// UploadDir is where uploaded documents wait for their extraction: apart
// from the Slack exports' folder, whose sweep knows only import jobs.
func UploadDir(dataDir string) string { return filepath.Join(dataDir, "document-uploads") }

// Params is what an extraction job is queued with.
type Params struct {
	OrgID      int64  `json:"org_id"`
	UploadedBy int64  `json:"uploaded_by"`
	Filename   string `json:"filename"`
	Path       string `json:"path"` // the upload, owned by the job and removed when it ends
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
}

// Received is what an upload led to: a queued extraction, or nothing
// because the organization already has these bytes.
type Received struct {
	JobID     int64
	Type      Type
	Unchanged bool             // identical content: nothing was queued
	Existing  storage.Document // the document that already has it, when Unchanged
}

// CheckUploads returns ErrUploadDisabled when the organization does not
// accept documents, so that a handler can refuse before reading a body.
func (s *Service) CheckUploads(ctx context.Context, orgID int64) error {
	set, err := settings.New(s.store).Get(ctx, orgID)
	if err != nil {
		return err
	}
	if !set.Bool("document_upload_enabled") {
		return ErrUploadDisabled
	}
	return nil
}

// Receive tells an uploaded file's type by its first bytes, streams it to
// the upload folder, hashing it, and queues its extraction; a
// file whose bytes one of the organization's documents already has is
// dropped and said to be unchanged. Refused types are refused here, before
// any job; what only extraction can tell (no text layer, an encoding)
// fails the job with the reason.
func (s *Service) Receive(ctx context.Context, orgID, userID int64, filename string, body io.Reader) (Received, error) {
	if err := s.CheckUploads(ctx, orgID); err != nil {
		return Received{}, err
	}
	// the name only, whichever separator the uploading system uses
	filename = strings.TrimSpace(filename[strings.LastIndexAny(filename, `/\`)+1:])
	switch {
	case filename == "" || filename == "." || filename == "..":
		return Received{}, &validation.Error{Code: "invalid_upload", Message: "the upload has no file name",
			Fields: map[string]string{"file": "must be sent with its file name (the filename of the multipart part)"}}
	case utf8.RuneCountInString(filename) > 255 || !utf8.ValidString(filename):
		return Received{}, &validation.Error{Code: "invalid_upload", Message: "the file name is not usable",
			Fields: map[string]string{"file": "the file name must be valid UTF-8 of at most 255 characters"}}
	}
	// the type first, from the head: a refused file is refused before the
	// rest of it is sent
	head := make([]byte, detectBytes)
	n, err := io.ReadFull(body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Received{}, err // the body's own error: its limit, a stall, a broken client
	}
	head = head[:n]
	t, err := Detect(head, filename)
	if err != nil {
		return Received{}, err
	}
	path, size, sum, err := s.save(io.MultiReader(bytes.NewReader(head), body))
	if err != nil {
		return Received{}, err
	}
	keep := false
	defer func() {
		if !keep {
			os.Remove(path)
		}
	}()
	if d, err := s.store.DocumentBySHA256(ctx, orgID, sum); err == nil {
		return Received{Type: t, Unchanged: true, Existing: d}, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return Received{}, err
	}
	p := Params{OrgID: orgID, UploadedBy: userID, Filename: filename, Path: path, Size: size, SHA256: sum}
	raw, err := json.Marshal(p)
	if err != nil {
		return Received{}, err
	}
	job, err := s.runner.Enqueue(ctx, storage.NewJob{OrgID: orgID, Kind: Kind, Params: raw})
	if err != nil {
		return Received{}, err
	}
	keep = true
	return Received{JobID: job.ID, Type: t}, nil
}

// save copies body into a new private file of the upload folder and
// returns its path, size and SHA-256. On error no file is left.
func (s *Service) save(body io.Reader) (path string, size int64, sum string, err error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", 0, "", fmt.Errorf("documents: upload folder: %w", err)
	}
	f, err := os.CreateTemp(s.dir, "document-*") // mode 0600
	if err != nil {
		return "", 0, "", fmt.Errorf("documents: upload file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("documents: upload file: %w", cerr)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(f, h), body)
	if err != nil {
		return "", 0, "", err // the body's own error: its limit, a stall, a broken client
	}
	return f.Name(), size, hex.EncodeToString(h.Sum(nil)), nil
}

// Summary is what an extraction job did: its result detail, so its JSON
// names are part of the API.
type Summary struct {
	DocumentID int64  `json:"document_id"`
	Title      string `json:"title"`
	Filename   string `json:"filename"`
	Type       Type   `json:"type"`
	Pages      int    `json:"pages"`
	Words      int    `json:"words"`
	Chunks     int    `json:"chunks"`
	Replaced   bool   `json:"replaced"` // an earlier version of the same name was replaced
	// Rebuilt says a PDF's words were rebuilt from glyph positions.
	Rebuilt bool `json:"rebuilt,omitempty"`
}

// Line is the summary in one line.
func (s Summary) Line() string {
	line := fmt.Sprintf("%s: %s, %s", s.Filename, count(s.Words, "word"), count(s.Chunks, "chunk"))
	if s.Type == TypePDF {
		line = fmt.Sprintf("%s: %s, %s, %s", s.Filename, count(s.Pages, "page"), count(s.Words, "word"), count(s.Chunks, "chunk"))
	}
	if s.Replaced {
		line += "; replaced the earlier version"
	}
	return line
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// runExtract is the extraction job: read the upload, extract, chunk, and
// store the document and its chunks in one transaction (a replaced
// version stays searchable until then). A refusal fails the job with its
// reason.
func (s *Service) runExtract(ctx context.Context, raw []byte, run jobs.Run) (jobs.Outcome, error) {
	var p Params
	if err := json.Unmarshal(raw, &p); err != nil {
		return jobs.Outcome{}, fmt.Errorf("documents: bad job params: %w", err)
	}
	data, err := os.ReadFile(p.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return jobs.Outcome{}, fmt.Errorf("the upload %s is not there any more; upload it again", p.Filename)
	} else if err != nil {
		return jobs.Outcome{}, fmt.Errorf("documents: read the upload: %w", err)
	}
	run.Report(jobs.Progress{Percent: 5, Current: "extracting " + p.Filename})
	e, err := s.x.extract(ctx, data, p.Filename)
	if err != nil {
		return jobs.Outcome{}, err
	}
	run.Report(jobs.Progress{Percent: 80, Current: "indexing " + p.Filename})
	chunks := Split(e, s.chunks)
	nd := storage.NewDocument{OrgID: p.OrgID, Title: e.Title, Filename: p.Filename, Type: string(e.Type), SizeBytes: p.Size,
		Pages: e.Pages, SHA256: p.SHA256, UploadedBy: p.UploadedBy, Body: e.Text(), Words: e.Words()}
	for _, c := range chunks {
		nd.Chunks = append(nd.Chunks, storage.DocumentChunk{Position: c.Position, Section: c.Section, Page: c.Page,
			PageEnd: c.PageEnd, Text: c.Text, Context: c.Context})
	}
	d, replaced, err := s.store.PutDocument(ctx, nd)
	if err != nil {
		return jobs.Outcome{}, err
	}
	sum := Summary{DocumentID: d.ID, Title: d.Title, Filename: d.Filename, Type: e.Type, Pages: d.Pages, Words: d.Words,
		Chunks: d.Chunks, Replaced: replaced, Rebuilt: e.Rebuilt}
	run.Report(jobs.Progress{Percent: 100})
	return jobs.Outcome{Detail: sum, Summary: sum.Line()}, nil
}

// discard removes an upload once its job has ended.
func discard(raw []byte) {
	var p Params
	if json.Unmarshal(raw, &p) == nil && p.Path != "" {
		os.Remove(p.Path)
	}
}

// SweepUploads removes the uploads no queued or running extraction owns
// (what a crash left half-received). It runs at startup, before any
// upload can be arriving.
func (s *Service) SweepUploads(ctx context.Context) (removed []string, err error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("documents: uploads: %w", err)
	}
	active, err := s.store.ListActiveJobs(ctx, Kind)
	if err != nil {
		return nil, err
	}
	owned := map[string]bool{}
	for _, j := range active {
		var p Params
		if json.Unmarshal(j.Params, &p) == nil {
			owned[filepath.Clean(p.Path)] = true
		}
	}
	for _, e := range entries {
		path := filepath.Join(s.dir, e.Name())
		if e.Type().IsRegular() && !owned[path] {
			if err := os.Remove(path); err == nil {
				removed = append(removed, path)
			}
		}
	}
	return removed, nil
}

// List returns the organization's documents, newest first.
func (s *Service) List(ctx context.Context, orgID int64) ([]storage.Document, error) {
	return s.store.ListDocuments(ctx, orgID)
}

// Document returns a document of the organization with its extracted text
// and chunks, or storage.ErrNotFound (also for another organization's).
func (s *Service) Document(ctx context.Context, orgID, id int64) (storage.Document, string, []storage.DocumentChunk, error) {
	d, err := s.store.Document(ctx, orgID, id)
	if err != nil {
		return storage.Document{}, "", nil, err
	}
	text, chunks, err := s.store.DocumentText(ctx, orgID, id)
	if err != nil {
		return storage.Document{}, "", nil, err
	}
	return d, text, chunks, nil
}

// DocumentOrg returns the organization a document belongs to, for access
// checks, or storage.ErrNotFound.
func (s *Service) DocumentOrg(ctx context.Context, id int64) (int64, error) {
	return s.store.DocumentOrg(ctx, id)
}

// Delete deletes a document of the organization, its chunks and their
// index entries, or returns storage.ErrNotFound.
func (s *Service) Delete(ctx context.Context, orgID, id int64) error {
	return s.store.DeleteDocument(ctx, orgID, id)
}
