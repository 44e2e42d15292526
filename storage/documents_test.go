package storage

import (
	"context"
	"errors"
	"testing"
)

func newDoc(orgID int64, filename, sha string, texts ...string) NewDocument {
	nd := NewDocument{OrgID: orgID, Title: "Runbook", Filename: filename, Type: "markdown", SizeBytes: 10, SHA256: sha}
	for i, t := range texts {
		nd.Chunks = append(nd.Chunks, DocumentChunk{Position: i, Section: "Restarting ingest", Text: t, Context: "Runbook — Restarting ingest"})
	}
	return nd
}

func chunkTexts(t *testing.T, s *Store, orgID int64, match string) []string {
	t.Helper()
	q := s.Searcher()
	defer q.Close()
	hits, err := q.SearchChunks(context.Background(), ChunkScope{OrgID: orgID}, match, 10)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, h.Text)
	}
	return out
}

func TestDocumentsReplaceSearchDelete(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	acme, err := s.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateOrganization(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	d1, replaced, err := s.PutDocument(ctx, newDoc(acme.ID, "runbook.md", "aa", "drain the queue first", "then restart the worker"))
	if err != nil || replaced || d1.Chunks != 2 {
		t.Fatalf("put: %+v, replaced %v, %v", d1, replaced, err)
	}
	if _, _, err := s.PutDocument(ctx, newDoc(other.ID, "runbook.md", "aa", "the other organization's queue")); err != nil {
		t.Fatal(err)
	}
	// the context column is searched too
	if got := chunkTexts(t, s, acme.ID, "context:restarting"); len(got) != 2 {
		t.Errorf("context search: %q", got)
	}
	// another organization's chunks never come back
	if got := chunkTexts(t, s, acme.ID, "queue"); len(got) != 1 || got[0] != "drain the queue first" {
		t.Errorf("search queue in Acme: %q", got)
	}
	// the same name replaces: same id, old chunks gone from the index
	d2, replaced, err := s.PutDocument(ctx, newDoc(acme.ID, "runbook.md", "bb", "stop the ingest service"))
	if err != nil || !replaced || d2.ID != d1.ID || d2.Chunks != 1 || d2.SHA256 != "bb" {
		t.Fatalf("replace: %+v, replaced %v, %v", d2, replaced, err)
	}
	if got := chunkTexts(t, s, acme.ID, "queue"); len(got) != 0 {
		t.Errorf("the old version is still found: %q", got)
	}
	if docs, err := s.ListDocuments(ctx, acme.ID); err != nil || len(docs) != 1 {
		t.Errorf("list: %+v, %v", docs, err)
	}
	if _, err := s.DocumentBySHA256(ctx, acme.ID, "bb"); err != nil {
		t.Errorf("by sha256: %v", err)
	}
	if _, err := s.Document(ctx, other.ID, d1.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another organization's document: %v, want ErrNotFound", err)
	}
	if err := s.DeleteDocument(ctx, other.ID, d1.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete across organizations: %v, want ErrNotFound", err)
	}
	if err := s.DeleteDocument(ctx, acme.ID, d1.ID); err != nil {
		t.Fatal(err)
	}
	if got := chunkTexts(t, s, acme.ID, "stop OR ingest OR context:runbook"); len(got) != 0 {
		t.Errorf("deleted chunks still found: %q", got)
	}
	var indexed, chunks int
	if err := s.read.QueryRow(`SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'stop'`).Scan(&indexed); err != nil || indexed != 0 {
		t.Errorf("index rows left for the deleted document: %d, %v", indexed, err)
	}
	if err := s.read.QueryRow(`SELECT count(*) FROM chunks WHERE document_id = ?`, d1.ID).Scan(&chunks); err != nil || chunks != 0 {
		t.Errorf("chunks left: %d, %v", chunks, err)
	}
	// the index agrees with its content table
	if _, err := s.write.Exec(`INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("index integrity: %v", err)
	}
}
