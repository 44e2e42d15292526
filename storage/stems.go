package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// indexTokenizer is the message index's tokenizer (migration 00012): the
// stemmer must turn a word into exactly the term the index stores.
const indexTokenizer = `porter unicode61 remove_diacritics 2`

// Stemmer turns words into the terms the message index stores, through FTS5's
// own tokenizer in a private in-memory database: Go's Porter and Snowball
// stemmers disagree with SQLite's on enough words to miss their document
// frequencies. It never touches the database file, so it costs the writer
// nothing.
type Stemmer struct {
	mu sync.Mutex // one scratch table, one caller at a time
	db *sql.DB
}

// NewStemmer opens the stemmer's scratch database.
func NewStemmer(ctx context.Context) (*Stemmer, error) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		return nil, fmt.Errorf("storage: open stemmer: %w", err)
	}
	// one connection: an in-memory database exists per connection
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	for _, q := range []string{
		`CREATE VIRTUAL TABLE words USING fts5 (word, tokenize = '` + indexTokenizer + `')`,
		`CREATE VIRTUAL TABLE word_terms USING fts5vocab (words, 'instance')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("storage: open stemmer: %w", err)
		}
	}
	return &Stemmer{db: db}, nil
}

// Close closes the scratch database.
func (s *Stemmer) Close() error { return s.db.Close() }

// Stems returns each word's index term, in order: "" for a word the tokenizer
// drops, the first term for a word it splits.
func (s *Stemmer) Stems(ctx context.Context, words []string) ([]string, error) {
	out := make([]string, len(words))
	if len(words) == 0 {
		return out, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("storage: stem: %w", err)
	}
	defer tx.Rollback() // the scratch rows never need to stay
	args := make([]any, 0, 2*len(words))
	for i, w := range words {
		args = append(args, i+1, w)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO words (rowid, word) VALUES (?, ?)`+
		strings.Repeat(", (?, ?)", len(words)-1), args...); err != nil {
		return nil, fmt.Errorf("storage: stem: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT doc, term FROM word_terms ORDER BY doc, "offset"`)
	if err != nil {
		return nil, fmt.Errorf("storage: stem: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc int
		var term string
		if err := rows.Scan(&doc, &term); err != nil {
			return nil, fmt.Errorf("storage: stem: %w", err)
		}
		if doc >= 1 && doc <= len(out) && out[doc-1] == "" {
			out[doc-1] = term
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: stem: %w", err)
	}
	return out, nil
}
