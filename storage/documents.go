package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Document is an uploaded document of an organization: its latest
// version (a new upload of the same file name replaces it).
type Document struct {
	ID              int64
	OrgID           int64
	Title           string
	Filename        string
	Type            string // text, markdown, html or pdf
	SizeBytes       int64
	Pages           int // a PDF's pages; 0 for other types
	SHA256          string
	UploadedBy      int64  // 0 once the user is gone
	UploadedByEmail string // "" once the user is gone
	Words           int
	Chunks          int
	CreatedAt       time.Time // the first version's upload
	UpdatedAt       time.Time // the latest version's
}

// DocumentChunk is one indexed piece of a document.
type DocumentChunk struct {
	ID       int64
	Position int
	Section  string
	Page     int
	PageEnd  int
	Text     string
	Context  string // title and section, indexed beside the text
}

// NewDocument is a document version to store with its chunks.
type NewDocument struct {
	OrgID      int64
	Title      string
	Filename   string
	Type       string
	SizeBytes  int64
	Pages      int
	SHA256     string
	UploadedBy int64
	Body       string // the whole extracted text
	Words      int
	Chunks     []DocumentChunk // ID is ignored
}

const documentColumns = `d.document_id, d.org_id, d.title, d.filename, d.doc_type, d.size_bytes, d.pages, d.sha256,
	COALESCE(d.uploaded_by, 0), COALESCE(u.email, ''), d.words,
	(SELECT count(*) FROM chunks c WHERE c.document_id = d.document_id), d.created_at, d.updated_at`

const documentFrom = ` FROM documents d LEFT JOIN users u ON u.user_id = d.uploaded_by `

func scanDocument(row interface{ Scan(...any) error }) (Document, error) {
	var d Document
	var created, updated string
	err := row.Scan(&d.ID, &d.OrgID, &d.Title, &d.Filename, &d.Type, &d.SizeBytes, &d.Pages, &d.SHA256,
		&d.UploadedBy, &d.UploadedByEmail, &d.Words, &d.Chunks, &created, &updated)
	if err != nil {
		return Document{}, err
	}
	if d.CreatedAt, err = parseTime(created); err != nil {
		return Document{}, err
	}
	if d.UpdatedAt, err = parseTime(updated); err != nil {
		return Document{}, err
	}
	return d, nil
}

// PutDocument stores a document version and its chunks in one
// transaction: a new document, or, when the organization has one of the
// same file name, that document replaced (its old chunks and their index
// entries go). replaced says which.
func (s *Store) PutDocument(ctx context.Context, nd NewDocument) (d Document, replaced bool, err error) {
	err = s.Tx(ctx, func(tx *Tx) error {
		var id int64
		err := tx.tx.QueryRowContext(ctx, `SELECT document_id FROM documents WHERE org_id = ? AND filename = ? AND filename <> ''`,
			nd.OrgID, nd.Filename).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = tx.tx.QueryRowContext(ctx, `
				INSERT INTO documents (org_id, title, filename, content_type, doc_type, size_bytes, pages, sha256, uploaded_by, body, words, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) RETURNING document_id`,
				nd.OrgID, nd.Title, nd.Filename, nd.Type, nd.Type, nd.SizeBytes, nd.Pages, nd.SHA256, nullID(nd.UploadedBy), nd.Body, nd.Words).Scan(&id)
			if err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			replaced = true
			if _, err := tx.tx.ExecContext(ctx, `DELETE FROM chunks WHERE document_id = ?`, id); err != nil {
				return err
			}
			_, err = tx.tx.ExecContext(ctx, `
				UPDATE documents SET title = ?, content_type = ?, doc_type = ?, size_bytes = ?, pages = ?, sha256 = ?, uploaded_by = ?,
					body = ?, words = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
				WHERE document_id = ?`,
				nd.Title, nd.Type, nd.Type, nd.SizeBytes, nd.Pages, nd.SHA256, nullID(nd.UploadedBy), nd.Body, nd.Words, id)
			if err != nil {
				return err
			}
		}
		ins, err := tx.tx.tx.PrepareContext(ctx, `INSERT INTO chunks (document_id, position, section, page, page_end, text, context) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, c := range nd.Chunks {
			if _, err := ins.ExecContext(ctx, id, c.Position, c.Section, c.Page, c.PageEnd, c.Text, c.Context); err != nil {
				return err
			}
		}
		d, err = scanDocument(tx.tx.QueryRowContext(ctx, `SELECT `+documentColumns+documentFrom+`WHERE d.document_id = ?`, id))
		return err
	})
	if isForeignKeyViolation(err) {
		return Document{}, false, fmt.Errorf("storage: put document %q: organization %d or user %d: %w", nd.Filename, nd.OrgID, nd.UploadedBy, ErrNotFound)
	}
	if err != nil {
		return Document{}, false, fmt.Errorf("storage: put document %q: %w", nd.Filename, err)
	}
	return d, replaced, nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id > 0} }

// Document returns a document of the organization, or ErrNotFound (also
// for another organization's).
func (s *Store) Document(ctx context.Context, orgID, id int64) (Document, error) {
	d, err := scanDocument(s.read.QueryRowContext(ctx, `SELECT `+documentColumns+documentFrom+`WHERE d.document_id = ? AND d.org_id = ?`, id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, fmt.Errorf("storage: document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("storage: document %d: %w", id, err)
	}
	return d, nil
}

// DocumentBySHA256 returns the organization's document whose latest
// version has these bytes, or ErrNotFound.
func (s *Store) DocumentBySHA256(ctx context.Context, orgID int64, sha256 string) (Document, error) {
	d, err := scanDocument(s.read.QueryRowContext(ctx, `SELECT `+documentColumns+documentFrom+`WHERE d.org_id = ? AND d.sha256 = ? ORDER BY d.document_id LIMIT 1`, orgID, sha256))
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, fmt.Errorf("storage: document with sha256 %s: %w", sha256, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("storage: document by sha256: %w", err)
	}
	return d, nil
}

// ListDocuments returns the organization's documents, newest first.
func (s *Store) ListDocuments(ctx context.Context, orgID int64) ([]Document, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+documentColumns+documentFrom+`WHERE d.org_id = ? ORDER BY d.updated_at DESC, d.document_id DESC`, orgID)
	if err != nil {
		return nil, fmt.Errorf("storage: list documents: %w", err)
	}
	defer rows.Close()
	docs := []Document{}
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list documents: %w", err)
		}
		docs = append(docs, d)
	}
	return docs, rows.Err()
}

// DocumentText returns a document's extracted text and its chunks in order.
func (s *Store) DocumentText(ctx context.Context, orgID, id int64) (string, []DocumentChunk, error) {
	var body string
	err := s.read.QueryRowContext(ctx, `SELECT body FROM documents WHERE document_id = ? AND org_id = ?`, id, orgID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("storage: document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("storage: document %d text: %w", id, err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT chunk_id, position, section, page, page_end, text, context FROM chunks WHERE document_id = ? ORDER BY position`, id)
	if err != nil {
		return "", nil, fmt.Errorf("storage: document %d chunks: %w", id, err)
	}
	defer rows.Close()
	chunks := []DocumentChunk{}
	for rows.Next() {
		var c DocumentChunk
		if err := rows.Scan(&c.ID, &c.Position, &c.Section, &c.Page, &c.PageEnd, &c.Text, &c.Context); err != nil {
			return "", nil, fmt.Errorf("storage: document %d chunks: %w", id, err)
		}
		chunks = append(chunks, c)
	}
	return body, chunks, rows.Err()
}

// DeleteDocument deletes a document of the organization with its chunks
// (whose index entries the chunks' trigger removes), or returns
// ErrNotFound.
func (s *Store) DeleteDocument(ctx context.Context, orgID, id int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		// chunks go by cascade too; deleting them first runs their index
		// trigger for each, whatever the foreign-key setting
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM chunks WHERE document_id = (SELECT document_id FROM documents WHERE document_id = ? AND org_id = ?)`, id, orgID); err != nil {
			return fmt.Errorf("storage: delete document %d: %w", id, err)
		}
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM documents WHERE document_id = ? AND org_id = ?`, id, orgID)
		if err != nil {
			return fmt.Errorf("storage: delete document %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("storage: document %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// ChunkHit is a chunk matching a search, with its document.
type ChunkHit struct {
	DocumentID int64
	Title      string
	Filename   string
	ChunkID    int64
	Position   int
	Section    string
	Page       int
	PageEnd    int
	Text       string
	// UpdatedAt is when the document was last uploaded or replaced.
	UpdatedAt time.Time
	// BM25 is FTS5's bm25() over text and context: lower (more negative)
	// is a better match, as the messages index ranks.
	BM25 float64
}

// ChunkScope is which chunks a search may see: one organization's, of
// documents last updated in [Since, Until) (zero for no bound).
type ChunkScope struct {
	OrgID        int64
	Since, Until time.Time
}

// SearchChunks returns the chunks in scope matching an FTS5 query, best
// first. Only the organization's documents are ever read.
func (q *Searcher) SearchChunks(ctx context.Context, scope ChunkScope, match string, limit int) ([]ChunkHit, error) {
	where, args := `d.org_id = ?`, []any{match, scope.OrgID}
	if !scope.Since.IsZero() {
		where += ` AND d.updated_at >= ?`
		args = append(args, formatTime(scope.Since))
	}
	if !scope.Until.IsZero() {
		where += ` AND d.updated_at < ?`
		args = append(args, formatTime(scope.Until))
	}
	rows, err := q.query(ctx, `
		SELECT d.document_id, d.title, d.filename, c.chunk_id, c.position, c.section, c.page, c.page_end, c.text, d.updated_at,
			bm25(chunks_fts)
		FROM chunks_fts f JOIN chunks c ON c.chunk_id = f.rowid JOIN documents d ON d.document_id = c.document_id
		WHERE chunks_fts MATCH ? AND `+where+` ORDER BY bm25(chunks_fts) LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("storage: search chunks: %w", err)
	}
	defer rows.Close()
	hits := []ChunkHit{}
	for rows.Next() {
		var h ChunkHit
		var updated string
		if err := rows.Scan(&h.DocumentID, &h.Title, &h.Filename, &h.ChunkID, &h.Position, &h.Section, &h.Page, &h.PageEnd, &h.Text,
			&updated, &h.BM25); err != nil {
			return nil, fmt.Errorf("storage: search chunks: %w", err)
		}
		if h.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, fmt.Errorf("storage: search chunks: %w", err)
		}
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// DocumentOrg returns the organization a document belongs to, for access
// checks, or ErrNotFound.
func (s *Store) DocumentOrg(ctx context.Context, id int64) (int64, error) {
	var orgID int64
	err := s.read.QueryRowContext(ctx, `SELECT org_id FROM documents WHERE document_id = ?`, id).Scan(&orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("storage: document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("storage: document %d: %w", id, err)
	}
	return orgID, nil
}
