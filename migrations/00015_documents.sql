-- Documents (issue 13): what an uploaded document is (its type by content,
-- pages, a hash of its bytes, who uploaded it, its extracted text), chunks
-- that know their section, pages and context, and a two-column full-text
-- index (text, context) like the messages'.
--
-- The index keeps chunks as its external content: a chunk's text and context
-- are stored once, in chunks, and triggers keep the index in step, deleting a
-- chunk's terms with its old values (which an external-content table has, and
-- a message index with computed context did not).

-- +goose Up
ALTER TABLE documents ADD COLUMN doc_type TEXT NOT NULL DEFAULT 'text'
    CHECK (doc_type IN ('text', 'markdown', 'html', 'pdf'));
ALTER TABLE documents ADD COLUMN pages INTEGER NOT NULL DEFAULT 0 CHECK (pages >= 0);
ALTER TABLE documents ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
-- the user who uploaded the latest version; NULL once that user is gone
ALTER TABLE documents ADD COLUMN uploaded_by INTEGER REFERENCES users (user_id) ON DELETE SET NULL;
ALTER TABLE documents ADD COLUMN body TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN words INTEGER NOT NULL DEFAULT 0 CHECK (words >= 0);
ALTER TABLE documents ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE documents SET updated_at = created_at;
-- Uploading a file of the same name replaces the document: one per name.
-- Rows from before (none are known) keep their names apart first.
UPDATE documents SET filename = filename || ' (' || document_id || ')'
WHERE filename <> '' AND EXISTS (
    SELECT 1 FROM documents d WHERE d.org_id = documents.org_id AND d.filename = documents.filename
      AND d.document_id > documents.document_id);
CREATE UNIQUE INDEX documents_org_filename ON documents (org_id, filename) WHERE filename <> '';
CREATE INDEX documents_org_sha256 ON documents (org_id, sha256);

ALTER TABLE chunks ADD COLUMN section TEXT NOT NULL DEFAULT '';
ALTER TABLE chunks ADD COLUMN page INTEGER NOT NULL DEFAULT 0 CHECK (page >= 0);
ALTER TABLE chunks ADD COLUMN page_end INTEGER NOT NULL DEFAULT 0 CHECK (page_end >= 0);
ALTER TABLE chunks ADD COLUMN context TEXT NOT NULL DEFAULT '';

DROP TRIGGER chunks_fts_update;
DROP TRIGGER chunks_fts_delete;
DROP TRIGGER chunks_fts_insert;
DROP TABLE chunks_fts;

CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    text,
    context,
    content = 'chunks',
    content_rowid = 'chunk_id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, text, context) VALUES (new.chunk_id, new.text, new.context);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text, context) VALUES ('delete', old.chunk_id, old.text, old.context);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text, context ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text, context) VALUES ('delete', old.chunk_id, old.text, old.context);
    INSERT INTO chunks_fts (rowid, text, context) VALUES (new.chunk_id, new.text, new.context);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER chunks_fts_update;
DROP TRIGGER chunks_fts_delete;
DROP TRIGGER chunks_fts_insert;
DROP TABLE chunks_fts;

ALTER TABLE chunks DROP COLUMN context;
ALTER TABLE chunks DROP COLUMN page_end;
ALTER TABLE chunks DROP COLUMN page;
ALTER TABLE chunks DROP COLUMN section;

DROP INDEX documents_org_sha256;
DROP INDEX documents_org_filename;
ALTER TABLE documents DROP COLUMN updated_at;
ALTER TABLE documents DROP COLUMN words;
ALTER TABLE documents DROP COLUMN body;
ALTER TABLE documents DROP COLUMN uploaded_by;
ALTER TABLE documents DROP COLUMN sha256;
ALTER TABLE documents DROP COLUMN pages;
ALTER TABLE documents DROP COLUMN doc_type;

CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    text,
    content = 'chunks',
    content_rowid = 'chunk_id',
    tokenize = 'porter unicode61'
);
INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, text) VALUES (new.chunk_id, new.text);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.chunk_id, old.text);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.chunk_id, old.text);
    INSERT INTO chunks_fts (rowid, text) VALUES (new.chunk_id, new.text);
END;
-- +goose StatementEnd
