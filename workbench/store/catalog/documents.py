"""The ``documents`` table (one row per file, indexed or failed) and its version-2 companions ``pages``
(per PDF page: label, where its words came from, why it gave none) and ``document_facts`` (notes for
people, characters the encoder could not represent)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .passages import NewPassage
from .sql import json_list, new_row_id


@dataclass
class NewDocument:
    """A document to commit. ``page_facts``: ``(page, label, source, problem)`` per PDF page; ``notes``:
    one-line facts for people; ``chars``/``unrepresented``: non-space characters of its passages and
    how many of them the encoder could not represent.

    A big file is committed in parts, as it is encoded: ``continues`` — these passages follow those
    already committed for it by this ingest (nothing is replaced, the passage count adds up);
    ``complete`` False — more follow: the row keeps no content hash, size or modification time until
    its last part, so a file whose ingest stopped midway keeps its committed passages and is indexed
    again in full by the next ingest."""

    path: str
    path_bytes: bytes
    content_hash: str
    size: int
    mtime: float
    pages: int
    passages: list[NewPassage]
    page_facts: list[tuple[int, str, str, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chars: int = 0
    unrepresented: int = 0
    continues: bool = False
    complete: bool = True

    @property
    def facts(self) -> tuple[str | None, int | None, float | None]:
        """``(content_hash, size, mtime)`` as the row records them: none until the document is complete."""
        return (self.content_hash, self.size, self.mtime) if self.complete else (None, None, None)


@dataclass(frozen=True)
class DocumentRow:
    id: int
    path: str
    path_bytes: bytes
    content_hash: str | None
    size: int | None
    mtime: float | None
    pages: int
    passages: int
    status: str
    error: str | None
    notes: tuple[str, ...] = ()
    chars: int = 0
    unrepresented: int = 0

    @property
    def unrepresented_share(self) -> float:
        """Share of its characters the encoder cannot represent (searchable by text only)."""
        return self.unrepresented / self.chars if self.chars else 0.0


_SELECT_ROWS = (
    "SELECT d.id, d.path, d.path_bytes, d.content_hash, d.size, d.mtime, d.pages, d.passages, d.status,"
    " d.error, f.notes, f.chars, f.unrepresented FROM documents d LEFT JOIN document_facts f"
    " ON f.document_id = d.id"
)


def find_document(db: sqlite3.Connection, path_bytes: bytes) -> DocumentRow | None:
    row = db.execute(f"{_SELECT_ROWS} WHERE d.path_bytes = ?", (path_bytes,)).fetchone()
    return _document_row(row) if row else None


def all_documents(db: sqlite3.Connection) -> list[DocumentRow]:
    return [_document_row(r) for r in db.execute(f"{_SELECT_ROWS} ORDER BY d.path").fetchall()]


def documents_with_hash(db: sqlite3.Connection, content_hash: str) -> list[DocumentRow]:
    """Indexed documents whose content has SHA-256 ``content_hash``."""
    rows = db.execute(f"{_SELECT_ROWS} WHERE d.content_hash = ? AND d.status = 'indexed'", (content_hash,)).fetchall()
    return [_document_row(r) for r in rows]


def content_hashes(db: sqlite3.Connection, document_ids: Sequence[int]) -> dict[int, str]:
    """Document id → SHA-256 content hash of those of ``document_ids`` that have one (failed files may not)."""
    ids = list(dict.fromkeys(document_ids))
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):  # within SQLite's limit on bound parameters
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(f"SELECT id, content_hash FROM documents WHERE id IN ({marks})", chunk).fetchall()
        out.update({int(i): str(h) for i, h in rows if h is not None})
    return out


def document_id_of(db: sqlite3.Connection, path_bytes: bytes) -> int | None:
    row = db.execute("SELECT id FROM documents WHERE path_bytes = ?", (path_bytes,)).fetchone()
    return int(row[0]) if row else None


def path_bytes_of(db: sqlite3.Connection, document_id: int) -> bytes | None:
    row = db.execute("SELECT path_bytes FROM documents WHERE id = ?", (document_id,)).fetchone()
    return row[0] if row else None


def record_failure(
    db: sqlite3.Connection,
    path: str,
    path_bytes: bytes,
    content_hash: str | None,
    size: int | None,
    mtime: float | None,
    error: str,
) -> None:
    """Mark a file failed. A failed *re*-ingest of a changed file keeps its old passages live."""
    db.execute(
        "INSERT INTO documents (path, path_bytes, content_hash, size, mtime, status, error, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'failed', ?, ?)"
        " ON CONFLICT(path_bytes) DO UPDATE SET error = excluded.error, updated_at = excluded.updated_at,"
        " status = CASE WHEN documents.passages > 0 THEN documents.status ELSE 'failed' END",
        (path, path_bytes, content_hash, size, mtime, error, time.time()),
    )


def update_indexed(db: sqlite3.Connection, document_id: int, doc: NewDocument) -> None:
    """Make row ``document_id`` that of ``doc``, indexed (its old passages are the caller's to tombstone;
    a part that ``continues`` adds its passages to the count)."""
    db.execute(
        "UPDATE documents SET path = ?, content_hash = ?, size = ?, mtime = ?, pages = ?,"
        " passages = ? + CASE WHEN ? THEN passages ELSE 0 END, status = 'indexed', error = NULL,"
        " updated_at = ? WHERE id = ?",
        (doc.path, *doc.facts, doc.pages, len(doc.passages), doc.continues, time.time(), document_id),
    )


def insert_indexed(db: sqlite3.Connection, doc: NewDocument) -> int:
    """Add ``doc`` as a new indexed document; returns its id."""
    return new_row_id(
        db.execute(
            "INSERT INTO documents (path, path_bytes, content_hash, size, mtime, pages, passages,"
            " status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'indexed', ?)",
            (
                doc.path,
                doc.path_bytes,
                *doc.facts,
                doc.pages,
                len(doc.passages),
                time.time(),
            ),
        )
    )


def replace_facts(db: sqlite3.Connection, document_id: int, doc: NewDocument) -> None:
    """Replace the ``pages`` and ``document_facts`` rows of ``document_id`` with those of ``doc``."""
    db.execute("DELETE FROM pages WHERE document_id = ?", (document_id,))
    db.executemany(
        "INSERT INTO pages (document_id, page, label, source, problem) VALUES (?, ?, ?, ?, ?)",
        [(document_id, page, label, source, problem) for page, label, source, problem in doc.page_facts],
    )
    db.execute(
        "INSERT OR REPLACE INTO document_facts (document_id, notes, chars, unrepresented) VALUES (?, ?, ?, ?)",
        (document_id, json.dumps(doc.notes), doc.chars, doc.unrepresented),
    )


def delete_document(db: sqlite3.Connection, document_id: int) -> None:
    """Drop a document's row and its facts (its passages are the caller's to tombstone)."""
    db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
    db.execute("DELETE FROM pages WHERE document_id = ?", (document_id,))
    db.execute("DELETE FROM document_facts WHERE document_id = ?", (document_id,))


def rename_document(db: sqlite3.Connection, old_path_bytes: bytes, path: str, path_bytes: bytes, mtime: float) -> None:
    """Give an indexed document a new name; a failed entry already under the new name gives way."""
    db.execute("DELETE FROM documents WHERE path_bytes = ? AND status = 'failed'", (path_bytes,))
    db.execute(
        "UPDATE documents SET path = ?, path_bytes = ?, mtime = ?, updated_at = ? WHERE path_bytes = ?",
        (path, path_bytes, mtime, time.time(), old_path_bytes),
    )


def mark_failed(db: sqlite3.Connection, document_id: int, reason: str) -> None:
    """Mark an indexed document failed with ``reason`` and no passages (the next ingest indexes it again)."""
    db.execute(
        "UPDATE documents SET status = 'failed', passages = 0, error = ?, updated_at = ? WHERE id = ?",
        (reason, time.time(), document_id),
    )


def _document_row(row: tuple[Any, ...]) -> DocumentRow:
    notes = tuple(str(n) for n in json_list(row[10])) if row[10] is not None else ()
    return DocumentRow(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        notes,
        int(row[11] or 0),
        int(row[12] or 0),
    )
