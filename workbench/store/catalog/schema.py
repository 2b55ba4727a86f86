"""The catalog's SQL schema and on-disk format version.

Version 2 adds, without changing a version-1 table: ``pages`` (label, where the words came from, and
why a page gave no text), ``document_facts`` (notes for people and the characters the encoder could not
represent) and ``passages_trigram`` (a contentless trigram FTS5 index, so scripts written without
spaces — Chinese, Japanese, Thai — are searchable by text). A writer migrates a version-1 index in one
transaction (:data:`V2_TABLES`, then the trigram index is filled); a read-only reader of a version-1
index gets the same tables, empty, in SQLite's temporary schema, so every query reads both versions.

Version 3 adds ``passage_locations``: where a passage sits in its format's own terms ("slide 3", "sheet
“Budget”, A1:F25", "section “Install”") for the formats beyond PDF and text. It is migrated and read
the same way (an older index has no locations: its passages are PDF pages, text files and BEIR records).

Version 4 changes no table: its word index (``passages_fts``) holds Arabic and Hebrew without their optional
marks (:mod:`workbench.core.pointing`). A writer indexes the passages that have such marks again; a
read-only reader of an older index searches the query's words as typed too.
"""

FORMAT_VERSION = 4
READABLE_VERSIONS = ("1", "2", "3", "4")

_V1 = """
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

# Version 2's tables; {schema} is '' in an index, 'temp.' for the read-only view of a version-1 index.
V2_TABLES = """
CREATE TABLE IF NOT EXISTS {schema}pages (
    document_id INTEGER NOT NULL,
    page        INTEGER NOT NULL,              -- 1-based
    label       TEXT NOT NULL DEFAULT '',      -- the PDF's page label ('iii'), '' without labels
    source      TEXT NOT NULL,                 -- text, ocr, form, xfa, or none
    problem     TEXT,                          -- why the page gave no usable text
    PRIMARY KEY (document_id, page)
);
CREATE TABLE IF NOT EXISTS {schema}document_facts (
    document_id   INTEGER PRIMARY KEY,
    notes         TEXT NOT NULL DEFAULT '[]',  -- JSON list of one-line facts for people
    chars         INTEGER NOT NULL DEFAULT 0,  -- non-space characters of its passages
    unrepresented INTEGER NOT NULL DEFAULT 0   -- of those, characters the encoder maps to [UNK]
);
CREATE VIRTUAL TABLE IF NOT EXISTS {schema}passages_trigram USING fts5 (text, content = '', tokenize = 'trigram');
"""

# Version 3's table; {schema} as for V2_TABLES. A passage without a row has no location beyond its page.
V3_TABLES = """
CREATE TABLE IF NOT EXISTS {schema}passage_locations (
    passage_id INTEGER PRIMARY KEY,           -- passages.id
    location   TEXT NOT NULL                  -- for people, in the format's terms
);
"""

# Indexes that change no table, so a writer adds them to an index of any readable version (readers of
# an index without them get the same answers, more slowly). passages_tokens covers the live vectors
# per segment that every ingest's merge policy reads: without it SQLite builds an automatic index over
# the passages table at each call (0.85 s at 3·10⁵ passages; 0.04 s with it).
INDEXES = """
CREATE INDEX IF NOT EXISTS passages_tokens ON passages (deleted, segment_id, n_tokens);
"""

SCHEMA = _V1 + V2_TABLES.format(schema="") + V3_TABLES.format(schema="") + INDEXES
