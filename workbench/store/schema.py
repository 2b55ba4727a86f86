"""The catalog's SQL schema and on-disk format version."""

FORMAT_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS manifest (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    path         TEXT NOT NULL,            -- for people: undecodable bytes replaced
    path_bytes   BLOB NOT NULL UNIQUE,     -- exact file-system name, to reopen the file
    content_hash TEXT,
    size         INTEGER,
    mtime        REAL,
    pages        INTEGER NOT NULL DEFAULT 0,
    passages     INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL CHECK (status IN ('indexed', 'failed')),
    error        TEXT,
    updated_at   REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    file      TEXT NOT NULL UNIQUE,
    n_vectors INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- stable, never reused or renumbered
    document_id INTEGER NOT NULL,
    page        INTEGER,                            -- 1-based; NULL for unpaged sources
    ordinal     INTEGER NOT NULL,
    source_key  TEXT,                               -- record id inside the file (BEIR _id)
    text        TEXT NOT NULL,
    tokens      TEXT NOT NULL,                      -- JSON list of token strings, one per vector
    boxes       TEXT NOT NULL,                      -- JSON list of [x0, y0, x1, y1] in PDF points
    n_tokens    INTEGER NOT NULL,
    segment_id  INTEGER NOT NULL REFERENCES segments(id),
    vec_offset  INTEGER NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS passages_live ON passages (deleted, segment_id, vec_offset);
CREATE INDEX IF NOT EXISTS passages_document ON passages (document_id);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5 (text, tokenize = 'porter unicode61 remove_diacritics 2');
"""
