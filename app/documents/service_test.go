package documents

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lore/app/jobs"
	"lore/app/validation"
	"lore/storage"
)

// env is a service over a fresh database, its job runner started.
type env struct {
	store *storage.Store
	svc   *Service
	orgA  int64
	orgB  int64
	user  int64
}

func newEnv(t *testing.T) *env { return newBenchEnv(t) }

func newBenchEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	store, err := storage.Open(ctx, filepath.Join(dir, "lore.db"), os.DirFS("../../migrations"), logger)
	if err != nil {
		t.Fatal(err)
	}
	runner := jobs.New(store, logger, jobs.Options{PollInterval: 20 * time.Millisecond, HeartbeatInterval: 20 * time.Millisecond})
	e := &env{store: store, svc: New(store, runner, logger, Options{UploadDir: UploadDir(dir), Child: testChild(t, "serve")})}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		runner.Stop(context.Background())
		store.Close()
	})
	err = store.Tx(ctx, func(tx *storage.Tx) error {
		a, err := tx.CreateOrganization(ctx, "Acme")
		if err != nil {
			return err
		}
		b, err := tx.CreateOrganization(ctx, "Bolt")
		if err != nil {
			return err
		}
		u, err := tx.CreateUser(ctx, "admin@acme.example", "x", false)
		e.orgA, e.orgB, e.user = a.ID, b.ID, u.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// upload receives a file and waits for its extraction job to end.
func (e *env) upload(t *testing.T, orgID int64, name string, data []byte) storage.Job {
	t.Helper()
	got, err := e.svc.Receive(context.Background(), orgID, e.user, name, strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("receive %s: %v", name, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		j, err := e.store.Job(context.Background(), orgID, got.JobID)
		if err != nil {
			t.Fatal(err)
		}
		if !j.FinishedAt.IsZero() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d did not end: %+v", j.ID, j)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitJob waits for a job to end.
func waitJob(b testing.TB, store *storage.Store, orgID, id int64) storage.Job {
	for {
		j, err := store.Job(context.Background(), orgID, id)
		if err != nil {
			b.Fatal(err)
		}
		if !j.FinishedAt.IsZero() {
			return j
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestSearchCitesTheSectionAndNeverAnotherOrganization: a question only
// the runbook answers finds its chunk, with the title, section, page and
// position a citation needs; the same question in another organization
// finds nothing of it, and that organization's own documents never come
// back to the first.
func TestSearchCitesTheSectionAndNeverAnotherOrganization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if j := e.upload(t, e.orgA, "Runbook.pdf", runbookPDF(t)); j.Status != storage.JobSucceeded || j.Summary != "Runbook.pdf: 4 pages, 40 words, 4 chunks" {
		t.Fatalf("extraction job: %+v", j)
	}
	ctx := context.Background()
	hits, err := e.svc.Search(ctx, e.orgA, "How do I restart the ingest worker?", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 {
		t.Fatal("no hits")
	}
	h := hits[0]
	if h.Title != "Ingest Runbook" || h.Filename != "Runbook.pdf" || h.Section != "Restarting ingest" || h.Page != 4 || h.Position != 3 ||
		!strings.Contains(h.Excerpt, "restart the worker") || h.BM25 >= 0 {
		t.Errorf("best hit: %+v", h)
	}
	if hits, err := e.svc.Search(ctx, e.orgB, "How do I restart the ingest worker?", 5); err != nil || len(hits) != 0 {
		t.Errorf("another organization found %+v, %v", hits, err)
	}
	// B's own runbook answers B, never A
	if j := e.upload(t, e.orgB, "bolt.md", []byte("# Bolt notes\n\n## Restarting ingest\n\nBolt restarts the ingest worker with a hammer.\n")); j.Status != storage.JobSucceeded {
		t.Fatalf("B's job: %+v", j)
	}
	for _, org := range []int64{e.orgA, e.orgB} {
		hits, err := e.svc.Search(ctx, org, "restart ingest worker hammer", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if d, err := e.store.Document(ctx, org, h.DocumentID); err != nil {
				t.Errorf("organization %d got document %d (%s) of another: %v", org, h.DocumentID, h.Filename, err)
			} else if d.Filename != h.Filename {
				t.Errorf("hit %+v names another file than %s", h, d.Filename)
			}
		}
	}
	// a question of only common words searches nothing
	if hits, err := e.svc.Search(ctx, e.orgA, "how do I?", 5); err != nil || len(hits) != 0 {
		t.Errorf("stop words: %+v, %v", hits, err)
	}
	// FTS5 syntax in a question is words, not a query
	if _, err := e.svc.Search(ctx, e.orgA, `restart" OR NEAR(ingest`, 5); err != nil {
		t.Errorf("quotes and operators in the question: %v", err)
	}
}

// TestExtractionRefusalsFailTheJobWithTheReason: what only extraction can
// tell ends the job failed with the reason people read, and stores nothing.
func TestExtractionRefusalsFailTheJobWithTheReason(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.upload(t, e.orgA, "scan.pdf", buildPDFWithImagePage(t, nil, 1))
	if j.Status != storage.JobFailed || j.Error != "this PDF has no text layer (scanned?); OCR is not supported" {
		t.Errorf("scanned PDF job: %s %q", j.Status, j.Error)
	}
	good := runbookPDF(t)
	j = e.upload(t, e.orgA, "broken.pdf", good[:len(good)/2])
	if j.Status != storage.JobFailed || !strings.Contains(j.Error, "malformed") {
		t.Errorf("corrupt PDF job: %s %q", j.Status, j.Error)
	}
	if docs, _ := e.store.ListDocuments(context.Background(), e.orgA); len(docs) != 0 {
		t.Errorf("refused files stored: %+v", docs)
	}
	// a refused type is refused at once, with no job
	_, err := e.svc.Receive(context.Background(), e.orgA, e.user, "photo.pdf", strings.NewReader(string(grayPNG(t))))
	var r *RefusedError
	if !errors.As(err, &r) || r.Code != "unsupported_type" {
		t.Errorf("PNG named .pdf: %v", err)
	}
	// and before the rest of it is read
	body := &countingReader{r: io.MultiReader(bytes.NewReader(grayPNG(t)), bytes.NewReader(make([]byte, 10<<20)))}
	if _, err := e.svc.Receive(context.Background(), e.orgA, e.user, "big.png", body); !errors.As(err, &r) || body.n > 64<<10 {
		t.Errorf("a 10 MiB PNG: %v after reading %d bytes", err, body.n)
	}
	// a path sent as the name is cut to the name; no name at all is refused
	if got, err := e.svc.Receive(context.Background(), e.orgA, e.user, `C:\Users\maya\notes.md`, strings.NewReader("# Notes\n\nWords.")); err != nil {
		t.Fatal(err)
	} else if j := waitJob(t, e.store, e.orgA, got.JobID); !strings.HasPrefix(j.Summary, "notes.md: ") {
		t.Errorf("a Windows path as the name: %q", j.Summary)
	}
	var ve *validation.Error
	if _, err := e.svc.Receive(context.Background(), e.orgA, e.user, "dir/", strings.NewReader("words")); !errors.As(err, &ve) || ve.Fields["file"] == "" {
		t.Errorf("no file name: %v", err)
	}
	if left, _ := os.ReadDir(e.svc.dir); len(left) != 0 {
		t.Errorf("uploads left: %v", left)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestExcerptCentresOnTheMatch(t *testing.T) {
	t.Parallel()
	text := words(0, 100) + " To restart ingest, drain the queue. " + words(200, 100)
	got := excerpt(text, queryTerms("restarting ingest"), 20)
	if !strings.HasPrefix(got, "… ") || !strings.HasSuffix(got, " …") || !strings.Contains(got, "To restart ingest, drain the queue.") {
		t.Errorf("excerpt %q", got)
	}
	if n := len(strings.Fields(strings.Trim(got, "… "))); n != 20 {
		t.Errorf("excerpt of %d words", n)
	}
}
