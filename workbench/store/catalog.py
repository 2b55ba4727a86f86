"""The SQLite catalog: manifest, documents, passages, segments and an FTS5 table over passage text.

Every statement is parameterised. Connections are per thread (WAL mode: readers never block the
writer); a batch of whole documents is committed in one transaction together with its segment.
Every transaction that changes what a reader sees bumps the manifest's ``generation``: a reader reads
its layout and the generation in one read transaction, and :meth:`Catalog.describe` (given that
generation) raises :class:`~workbench.core.IndexChanged` when passages it was asked for were merged or
deleted since, so the caller reopens instead of failing. A database error never reaches a person as
SQLite's own text alone: it becomes :class:`~.errors.CatalogDamaged` (or :class:`~.errors.IndexReadOnly`)
naming the index.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import quote

import numpy as np

from ..core import IndexChanged, PassageFilter, PassageInfo
from ..core.scripts import UNSPACED_CHAR, squash_unspaced
from .errors import CatalogDamaged, DiskFull, IndexFormatError, IndexReadOnly
from .merge_policy import SegmentStats
from .paths import check_not_special
from .schema import FORMAT_VERSION, INDEXES, SCHEMA, V2_TABLES


@dataclass
class NewPassage:
    page: int | None
    ordinal: int
    text: str
    tokens: list[str]
    boxes: list
    vec_offset: int
    source_key: str | None = None


@dataclass
class NewDocument:
    """A document to commit. ``page_facts``: ``(page, label, source, problem)`` per PDF page; ``notes``:
    one-line facts for people; ``chars``/``unrepresented``: non-space characters of its passages and
    how many of them the encoder could not represent."""

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


@dataclass(frozen=True)
class LiveLayout:
    """The live passages as one read transaction saw them, ordered by segment and offset (the order of
    the packed array): ``segment_files``/``segment_sizes`` list the segments holding live passages;
    ``segment_of`` is each passage's position in that list."""

    generation: int
    passage_ids: np.ndarray
    segment_files: list[str]
    segment_sizes: list[int]
    segment_of: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray


_SQLITE_DAMAGE = {"malformed": "some of its pages are damaged", "not a database": "it is not an SQLite database",
                  "no such table": "it lacks the tables of a Kayak catalog",
                  "no such column": "its tables are not those of a Kayak catalog"}


def _plain_errors(method):
    """Turn SQLite's exceptions into the store's own, which name the index and say what to do."""
    @functools.wraps(method)
    def wrapper(self: "Catalog", *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise self._plain(exc) from None
    return wrapper


class Catalog:
    """``catalog.sqlite`` of one index. ``read_only``: connections are opened with SQLite's ``mode=ro``
    (and, where the folder cannot hold SQLite's shared-memory file, ``immutable=1``), so a reader never
    writes a byte of the index."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._local = threading.local()
        self._commits = 0   # transactions this process committed (SQLite's data_version omits a connection's own)

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        for suffix in ("", "-wal", "-shm"):   # SQLite would follow a link or block on a FIFO
            check_not_special(self.path.with_name(self.path.name + suffix))
        if not self.read_only:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        else:
            uri = f"file:{quote(os.fsencode(self.path))}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
            try:
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                # A WAL database in a folder this process cannot write (read-only media, another
                # user's files): SQLite cannot create its shared-memory file, so read it as immutable.
                conn.close()
                conn = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.create_function("kayak_trigram_text", 1, trigram_text, deterministic=True)
        if self.read_only and _has_table(conn, "manifest") and _format_version(conn) == "1":
            # A version-1 index read without migrating it: the version-2 tables, empty, in temp.
            conn.executescript(V2_TABLES.format(schema="temp."))
        return conn

    def _plain(self, exc: sqlite3.DatabaseError) -> Exception:
        text = str(exc)
        root = self.path.parent
        if "disk is full" in text:    # SQLITE_FULL: the transaction was rolled back, nothing is damaged
            return DiskFull(root, "the catalog")
        if "readonly" in text or "read-only" in text:
            return IndexReadOnly(root)
        if "locked" in text or "busy" in text:
            return IndexFormatError(f"the catalog of {root} stayed locked by another process for 30 s; "
                                    "try again when it has finished")
        what = next((plain for key, plain in _SQLITE_DAMAGE.items() if key in text), f"SQLite says: {text}")
        return CatalogDamaged(f"the catalog of {root} ({self.path.name}) is damaged or is not a Kayak catalog "
                              f"({what}); its documents cannot be listed or searched. Index the files again "
                              "into a new folder")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same committed state."""
        db = self.db
        db.execute("BEGIN")
        try:
            yield db
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.db
        if self.read_only:
            raise IndexReadOnly(self.path.parent)
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.in_transaction:   # SQLite may already have rolled back (disk full, damage)
                db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        finally:
            self._commits += 1      # even a failed COMMIT may have changed what is kept: recount

    # -- manifest --------------------------------------------------------------------------------
    @_plain_errors
    def create(self, manifest: dict[str, str]) -> None:
        """Tables and manifest in one transaction: a process killed meanwhile leaves an empty catalog
        (:meth:`is_created` false, so the next ingest creates it again), never half an index."""
        with self.transaction() as db:
            for statement in _statements(SCHEMA):
                db.execute(statement)
            db.executemany("INSERT OR REPLACE INTO manifest (key, value) VALUES (?, ?)", manifest.items())

    @_plain_errors
    def is_created(self) -> bool:
        """Whether the catalog holds a manifest with a format version (an index, whatever its version)."""
        return _has_table(self.db, "manifest") and _format_version(self.db) is not None

    @_plain_errors
    def manifest(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.db.execute("SELECT key, value FROM manifest").fetchall()}

    @_plain_errors
    def set_manifest(self, key: str, value: str) -> None:
        """Set one manifest entry in its own committed transaction (a new generation for readers)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO manifest (key, value) VALUES (?, ?)", (key, value))
            _next_generation(db)

    @_plain_errors
    def migrate(self) -> bool:
        """Bring a version-1 catalog to version 2 in one transaction (new tables only; the trigram index
        is filled from the live passages), and add the :data:`~.schema.INDEXES` an older writer did not
        create. Returns whether a format migration was done."""
        if not _has_index(self.db, "passages_tokens"):
            with self.transaction() as db:
                for statement in _statements(INDEXES):
                    db.execute(statement)
        if _format_version(self.db) != "1":
            return False
        with self.transaction() as db:
            for statement in _statements(V2_TABLES.format(schema="")):
                db.execute(statement)
            db.executemany("INSERT INTO passages_trigram (rowid, text) VALUES (?, ?)",
                           ((pid, trigram_text(text)) for pid, text in
                            db.execute("SELECT id, text FROM passages WHERE deleted = 0").fetchall()))
            db.execute("UPDATE manifest SET value = ? WHERE key = 'format_version'", (str(FORMAT_VERSION),))
            _next_generation(db)
        return True

    @_plain_errors
    def generation(self) -> int:
        """Counter of committed changes readers can see (0 for an index that never recorded one)."""
        return _generation(self.db)

    # -- documents -------------------------------------------------------------------------------
    @_plain_errors
    def document(self, path_bytes: bytes) -> DocumentRow | None:
        row = self.db.execute(f"SELECT {_DOC_COLUMNS} FROM documents d LEFT JOIN document_facts f"
                              " ON f.document_id = d.id WHERE d.path_bytes = ?", (path_bytes,)).fetchone()
        return _document_row(row) if row else None

    @_plain_errors
    def documents(self) -> list[DocumentRow]:
        rows = self.db.execute(f"SELECT {_DOC_COLUMNS} FROM documents d LEFT JOIN document_facts f"
                               " ON f.document_id = d.id ORDER BY d.path").fetchall()
        return [_document_row(r) for r in rows]

    @_plain_errors
    def record_failure(self, path: str, path_bytes: bytes, content_hash: str | None, size: int | None,
                       mtime: float | None, error: str) -> None:
        """Mark a file failed. A failed *re*-ingest of a changed file keeps its old passages live."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO documents (path, path_bytes, content_hash, size, mtime, status, error, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'failed', ?, ?)"
                " ON CONFLICT(path_bytes) DO UPDATE SET error = excluded.error, updated_at = excluded.updated_at,"
                " status = CASE WHEN documents.passages > 0 THEN documents.status ELSE 'failed' END",
                (path, path_bytes, content_hash, size, mtime, error, time.time()))

    @_plain_errors
    def commit_batch(self, segment_file: str, n_vectors: int, docs: Sequence[NewDocument]) -> None:
        """One transaction: the segment, and for each document its row and passages (replacing old ones)."""
        with self.transaction() as db:
            _next_generation(db)
            seg_id = db.execute("INSERT INTO segments (file, n_vectors) VALUES (?, ?)",
                                (segment_file, n_vectors)).lastrowid
            for doc in docs:
                old = db.execute("SELECT id FROM documents WHERE path_bytes = ?", (doc.path_bytes,)).fetchone()
                if old:
                    _tombstone_document(db, old[0])
                    db.execute("UPDATE documents SET path = ?, content_hash = ?, size = ?, mtime = ?, pages = ?,"
                               " passages = ?, status = 'indexed', error = NULL, updated_at = ? WHERE id = ?",
                               (doc.path, doc.content_hash, doc.size, doc.mtime, doc.pages, len(doc.passages),
                                time.time(), old[0]))
                    doc_id = old[0]
                else:
                    doc_id = db.execute(
                        "INSERT INTO documents (path, path_bytes, content_hash, size, mtime, pages, passages,"
                        " status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'indexed', ?)",
                        (doc.path, doc.path_bytes, doc.content_hash, doc.size, doc.mtime, doc.pages,
                         len(doc.passages), time.time())).lastrowid
                for p in doc.passages:
                    pid = db.execute(
                        "INSERT INTO passages (document_id, page, ordinal, source_key, text, tokens, boxes,"
                        " n_tokens, segment_id, vec_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (doc_id, p.page, p.ordinal, p.source_key, p.text, json.dumps(p.tokens),
                         json.dumps(p.boxes), len(p.tokens), seg_id, p.vec_offset)).lastrowid
                    db.execute("INSERT INTO passages_fts (rowid, text) VALUES (?, ?)", (pid, p.text))
                    db.execute("INSERT INTO passages_trigram (rowid, text) VALUES (?, ?)", (pid, trigram_text(p.text)))
                _replace_facts(db, doc_id, doc)

    @_plain_errors
    def remove_document(self, path_bytes: bytes) -> int:
        """Tombstone a document's passages and drop its row; returns how many passages went."""
        with self.transaction() as db:
            row = db.execute("SELECT id FROM documents WHERE path_bytes = ?", (path_bytes,)).fetchone()
            if not row:
                return 0
            _next_generation(db)
            n = _tombstone_document(db, row[0])
            db.execute("DELETE FROM documents WHERE id = ?", (row[0],))
            db.execute("DELETE FROM pages WHERE document_id = ?", (row[0],))
            db.execute("DELETE FROM document_facts WHERE document_id = ?", (row[0],))
            return n

    @_plain_errors
    def documents_with_hash(self, content_hash: str) -> list[DocumentRow]:
        """Indexed documents whose content has SHA-256 ``content_hash`` (a renamed file's old entry)."""
        rows = self.db.execute(f"SELECT {_DOC_COLUMNS} FROM documents d LEFT JOIN document_facts f"
                               " ON f.document_id = d.id WHERE d.content_hash = ? AND d.status = 'indexed'",
                               (content_hash,)).fetchall()
        return [_document_row(r) for r in rows]

    @_plain_errors
    def rename_document(self, old_path_bytes: bytes, path: str, path_bytes: bytes, mtime: float) -> None:
        """Give an indexed document a new name (its file was renamed or moved): its passages, their ids
        and vectors stay as they are. A failed entry already under the new name gives way."""
        with self.transaction() as db:
            db.execute("DELETE FROM documents WHERE path_bytes = ? AND status = 'failed'", (path_bytes,))
            db.execute("UPDATE documents SET path = ?, path_bytes = ?, mtime = ?, updated_at = ? WHERE path_bytes = ?",
                       (path, path_bytes, mtime, time.time(), old_path_bytes))
            _next_generation(db)       # searches describe passages by their document's path

    # -- passages and segments -------------------------------------------------------------------
    @_plain_errors
    def live_layout(self, skip_segments: Sequence[str] = ()) -> LiveLayout:
        """The live passages and the segments that hold them, read in one transaction (so a writer
        committing meanwhile is seen entirely or not at all). Passages of ``skip_segments`` (files
        found damaged) are left out."""
        with self.snapshot() as db:
            generation = _generation(db)
            segs = db.execute("SELECT id, file, n_vectors FROM segments WHERE id IN"
                              " (SELECT DISTINCT segment_id FROM passages WHERE deleted = 0) ORDER BY id").fetchall()
            rows = db.execute("SELECT id, segment_id, vec_offset, n_tokens FROM passages WHERE deleted = 0"
                              " ORDER BY segment_id, vec_offset").fetchall()
        segs = [s for s in segs if s[1] not in skip_segments]
        position = {seg_id: i for i, (seg_id, _, _) in enumerate(segs)}
        arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
        arr = arr[np.isin(arr[:, 1], list(position))] if len(arr) else arr
        seg_pos = np.array([position[s] for s in arr[:, 1]], dtype=np.int64)
        return LiveLayout(generation, arr[:, 0], [str(f) for _, f, _ in segs], [int(n) for _, _, n in segs],
                          seg_pos, arr[:, 2], arr[:, 3])

    @_plain_errors
    def segment_files(self) -> set[str]:
        return {str(f) for (f,) in self.db.execute("SELECT file FROM segments")}

    @_plain_errors
    def drop_damaged_segment(self, segment_file: str, reason: str) -> list[str]:
        """A segment's file is lost or damaged: tombstone every document with passages in it and mark
        it failed with ``reason``, so the next ingest of those files indexes them again. Returns their
        paths."""
        with self.transaction() as db:
            docs = db.execute("SELECT DISTINCT d.id, d.path FROM documents d JOIN passages p ON p.document_id = d.id"
                              " JOIN segments s ON s.id = p.segment_id WHERE s.file = ? AND p.deleted = 0",
                              (segment_file,)).fetchall()
            for doc_id, _ in docs:
                _tombstone_document(db, doc_id)
                db.execute("UPDATE documents SET status = 'failed', passages = 0, error = ?, updated_at = ?"
                           " WHERE id = ?", (reason, time.time(), doc_id))
            _next_generation(db)
        return [str(path) for _, path in docs]

    @_plain_errors
    def replace_segments(self, new_file: str | None, n_vectors: int, moves: Sequence[tuple[int, int]],
                         old_files: Sequence[str] | None = None) -> list[str]:
        """After a merge, in one transaction: point each live passage ``(id, new_offset)`` of the merged
        segments at ``new_file`` (``None`` when none was live), delete their tombstoned passages and
        their segment rows. ``old_files``: the merged segments (``None``: every segment — a compaction).
        Returns the old files (to delete once this commits)."""
        with self.transaction() as db:
            _next_generation(db)
            if old_files is None:
                old_ids = [(i, f) for i, f in db.execute("SELECT id, file FROM segments")]
            else:
                marks = ",".join("?" * len(old_files))
                old_ids = db.execute(f"SELECT id, file FROM segments WHERE file IN ({marks})", list(old_files)).fetchall()
            if new_file is not None:
                seg_id = db.execute("INSERT INTO segments (file, n_vectors) VALUES (?, ?)",
                                    (new_file, n_vectors)).lastrowid
                db.executemany("UPDATE passages SET segment_id = ?, vec_offset = ? WHERE id = ?",
                               [(seg_id, off, pid) for pid, off in moves])
            ids = [i for i, _ in old_ids]
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                db.execute(f"DELETE FROM passages WHERE deleted = 1 AND segment_id IN ({marks})", chunk)
                db.execute(f"DELETE FROM segments WHERE id IN ({marks})", chunk)
        return [str(f) for _, f in old_ids]

    @_plain_errors
    def segment_sizes(self) -> list[tuple[str, int]]:
        """``(file, n_vectors)`` of every segment in packing order — from the segments table alone, so
        it costs nothing however many passages there are."""
        return [(str(f), int(n)) for f, n in self.db.execute("SELECT file, n_vectors FROM segments ORDER BY id")]

    @_plain_errors
    def segment_stats(self) -> list[SegmentStats]:
        """Every segment in packing order with its vectors and those of its live passages."""
        with self.snapshot() as db:
            # Two reads, not one join: the grouped sum is answered from the covering index alone.
            live = dict(db.execute(
                "SELECT segment_id, SUM(n_tokens) FROM passages WHERE deleted = 0 GROUP BY segment_id").fetchall())
            rows = db.execute("SELECT id, file, n_vectors FROM segments ORDER BY id").fetchall()
        return [SegmentStats(str(f), int(n), int(live.get(i, 0))) for i, f, n in rows]

    @_plain_errors
    def describe(self, passage_ids: Sequence[int], generation: int | None = None) -> list[PassageInfo]:
        """Passage metadata in the order of ``passage_ids``, read in one transaction.

        ``generation``: the one the caller's layout was read at. Passages missing because a writer has
        removed or merged them since raise :class:`~workbench.core.IndexChanged` (reopen and search
        again); missing while nothing changed, the catalog is damaged (:class:`~.errors.CatalogDamaged`).
        """
        found: dict[int, PassageInfo] = {}
        ids = [int(i) for i in passage_ids]
        with self.snapshot() as db:
            now = _generation(db)
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for row in db.execute(
                        "SELECT p.id, p.document_id, d.path, p.page, p.ordinal, p.text, p.tokens, p.boxes,"
                        " p.source_key, g.label, g.source FROM passages p JOIN documents d ON d.id = p.document_id"
                        " LEFT JOIN pages g ON g.document_id = p.document_id AND g.page = p.page"
                        f" WHERE p.id IN ({marks})", chunk):
                    found[row[0]] = _passage_info(row)
        missing = [i for i in ids if i not in found]
        if missing and generation is not None and now != generation:
            raise IndexChanged(f"{len(missing)} of the passages found were removed or merged by a writer since "
                               "the index was opened")
        if missing:
            raise CatalogDamaged(f"the catalog of {self.path.parent} lacks passages its own layout lists "
                                 f"({missing[:5]}); index the files again into a new folder")
        return [found[i] for i in ids]

    @_plain_errors
    def lexical_search(self, text: str, k: int, where: PassageFilter | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Lexical search over live passage text: ``(passage_ids, scores)``, best first, higher is better.

        Words of spaced scripts go to FTS5 BM25 (Porter-stemmed); words of scripts written without
        spaces (Chinese, Japanese, Thai …) to the trigram index (BM25 too), and those shorter than three
        characters to a substring scan. Where both kinds occur the two rankings are fused by reciprocal
        rank (Cormack et al., 2009). Every word becomes a quoted term, so FTS5 query syntax in the user's
        text is never interpreted. With ``where``, only passages of matching documents compete (the
        condition is part of the query, so a narrow filter still yields up to ``k``).
        """
        terms = query_terms(text)
        if not terms or k <= 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        unspaced = [trigram_text(t) for t in terms if UNSPACED_CHAR.search(t)]
        spaced = [t for t in terms if not UNSPACED_CHAR.search(t) and (len(t) > 1 or t.isdigit())]
        rankings = []
        if spaced:
            rankings.append(self._bm25("passages_fts", spaced, k, where))
        if any(len(t) >= 3 for t in unspaced):
            rankings.append(self._bm25("passages_trigram", [t for t in unspaced if len(t) >= 3], k, where))
        if any(len(t) < 3 for t in unspaced):
            rankings.append(self._substrings([t for t in unspaced if len(t) < 3], k, where))
        if len(rankings) == 1:
            return rankings[0]
        fused: dict[int, float] = {}
        for ids, _ in rankings:
            for rank, pid in enumerate(ids.tolist()):
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (60 + rank + 1)
        best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        return (np.array([p for p, _ in best], np.int64).reshape(-1),
                np.array([s for _, s in best], np.float32).reshape(-1))

    def _bm25(self, table: str, terms: list[str], k: int, where: PassageFilter | None) -> tuple[np.ndarray, np.ndarray]:
        match = " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))
        if where is None or where.is_empty:   # tombstoning removes a passage's FTS rows: no join needed
            rows = self.db.execute(f"SELECT rowid, -bm25({table}) FROM {table} WHERE {table} MATCH ?"
                                   f" ORDER BY bm25({table}) LIMIT ?", (match, int(k))).fetchall()
        else:
            condition, params = _filter_sql(where)
            rows = self.db.execute(
                f"SELECT {table}.rowid, -bm25({table}) FROM {table} JOIN passages p ON p.id = {table}.rowid"
                f" JOIN documents d ON d.id = p.document_id WHERE {table} MATCH ? AND {condition}"
                f" ORDER BY bm25({table}) LIMIT ?", (match, *params, int(k))).fetchall()
        arr = np.array(rows, dtype=np.float64).reshape(-1, 2)
        return arr[:, 0].astype(np.int64), arr[:, 1].astype(np.float32)

    def _substrings(self, terms: list[str], k: int, where: PassageFilter | None) -> tuple[np.ndarray, np.ndarray]:
        """Passages containing the (short) terms, ranked by how many they contain: a scan, for the one-
        and two-character words a trigram index cannot look up."""
        condition, params = _filter_sql(where) if where is not None and not where.is_empty \
            else ("p.deleted = 0 AND d.status = 'indexed'", [])
        count = " + ".join(["(instr(kayak_trigram_text(p.text), ?) > 0)"] * len(terms))
        rows = self.db.execute(
            f"SELECT p.id, {count} AS found FROM passages p JOIN documents d ON d.id = p.document_id"
            f" WHERE {condition} AND found > 0 ORDER BY found DESC, p.id LIMIT ?",
            (*terms, *params, int(k))).fetchall()
        arr = np.array(rows, dtype=np.float64).reshape(-1, 2)
        return arr[:, 0].astype(np.int64), arr[:, 1].astype(np.float32)

    @_plain_errors
    def passage_ids_where(self, where: PassageFilter) -> np.ndarray:
        """Ids (int64, ascending) of the live passages of indexed documents that ``where`` admits."""
        condition, params = _filter_sql(where)
        # CROSS JOIN fixes the loop order: test each document once, then fetch its passages by the
        # document_id index (SQLite's own choice walks every live passage: ~5x slower at 100k passages).
        cursor = self.db.execute("SELECT p.id FROM documents d CROSS JOIN passages p ON p.document_id = d.id"
                                 f" WHERE {condition}", params)
        return np.sort(np.fromiter((row[0] for row in cursor), dtype=np.int64))

    @_plain_errors
    def document_path_bytes(self, document_id: int) -> bytes | None:
        row = self.db.execute("SELECT path_bytes FROM documents WHERE id = ?", (document_id,)).fetchone()
        return row[0] if row else None

    @_plain_errors
    def counts(self) -> dict[str, int]:
        """Documents (indexed, failed), live passages and vectors, tombstones and segments.

        Summing the vectors reads every passage row (7 ms at 10⁴ passages, linear beyond), and a window
        asks after every search: the figures are kept per connection until a commit changes the file
        — SQLite's ``data_version`` tells of other connections' commits (other threads, processes),
        :attr:`_commits` of this connection's own."""
        db = self.db
        stamp = (db.execute("PRAGMA data_version").fetchone()[0], self._commits)
        kept = getattr(self._local, "counts", None)
        if kept is not None and kept[0] is db and kept[1] == stamp:   # data_version is per connection
            return dict(kept[2])
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        counts = {"documents": one("SELECT COUNT(*) FROM documents WHERE status = 'indexed'"),
                  "failed": one("SELECT COUNT(*) FROM documents WHERE status = 'failed'"),
                  "passages": one("SELECT COUNT(*) FROM passages WHERE deleted = 0"),
                  "vectors": one("SELECT COALESCE(SUM(n_tokens), 0) FROM passages WHERE deleted = 0"),
                  "tombstones": one("SELECT COUNT(*) FROM passages WHERE deleted = 1"),
                  "segments": one("SELECT COUNT(*) FROM segments")}
        self._local.counts = (db, stamp, counts)
        return dict(counts)


_DOC_COLUMNS = ("d.id, d.path, d.path_bytes, d.content_hash, d.size, d.mtime, d.pages, d.passages, d.status, d.error,"
                " f.notes, f.chars, f.unrepresented")


def _document_row(row: tuple) -> DocumentRow:
    notes = tuple(str(n) for n in _json_list(row[10])) if row[10] is not None else ()
    return DocumentRow(*row[:10], notes, int(row[11] or 0), int(row[12] or 0))


def _filter_sql(where: PassageFilter) -> tuple[str, list]:
    """The SQL condition (over ``passages p JOIN documents d``) that admits live passages of indexed
    documents matching ``where``, and its parameters. Only placeholders go into the text: folder
    names, types and ids travel as values, so quotes, ``%`` or ``_`` in them mean themselves."""
    clauses = ["p.deleted = 0", "d.status = 'indexed'"]
    params: list = []
    if where.folders:
        # Compare the exact file-system bytes with "<folder>/": "/a/b" must not admit "/a/bc/x.pdf".
        prefixes = [os.fsencode(f.rstrip("/")) + b"/" for f in where.folders]
        clauses.append("(" + " OR ".join(["substr(d.path_bytes, 1, ?) = ?"] * len(prefixes)) + ")")
        for prefix in prefixes:
            params += [len(prefix), prefix]
    if where.file_types:
        # The filter holds types lower-cased; lower() folds the stored name's ASCII letters to match.
        suffixes = ["." + t for t in where.file_types]
        clauses.append("(" + " OR ".join(["lower(substr(d.path, -?)) = ?"] * len(suffixes)) + ")")
        for suffix in suffixes:
            params += [len(suffix), suffix]
    if where.modified_from is not None:
        clauses.append("d.mtime >= ?")
        params.append(float(where.modified_from))
    if where.modified_to is not None:
        clauses.append("d.mtime < ?")
        params.append(float(where.modified_to))
    if where.document_ids:
        # One JSON parameter however many documents are chosen (no limit on SQL variables to meet).
        clauses.append("d.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(where.document_ids)))
    return " AND ".join(clauses), params


def _tombstone_document(db: sqlite3.Connection, document_id: int) -> int:
    rows = db.execute("SELECT id, text FROM passages WHERE document_id = ? AND deleted = 0", (document_id,)).fetchall()
    db.execute("UPDATE passages SET deleted = 1 WHERE document_id = ?", (document_id,))
    db.executemany("DELETE FROM passages_fts WHERE rowid = ?", [(i,) for i, _ in rows])
    # A contentless FTS5 table forgets a row only when given the values it indexed.
    db.executemany("INSERT INTO passages_trigram (passages_trigram, rowid, text) VALUES ('delete', ?, ?)",
                   [(i, trigram_text(t)) for i, t in rows])
    return len(rows)


def _replace_facts(db: sqlite3.Connection, document_id: int, doc: NewDocument) -> None:
    db.execute("DELETE FROM pages WHERE document_id = ?", (document_id,))
    db.executemany("INSERT INTO pages (document_id, page, label, source, problem) VALUES (?, ?, ?, ?, ?)",
                   [(document_id, page, label, source, problem) for page, label, source, problem in doc.page_facts])
    db.execute("INSERT OR REPLACE INTO document_facts (document_id, notes, chars, unrepresented) VALUES (?, ?, ?, ?)",
               (document_id, json.dumps(doc.notes), doc.chars, doc.unrepresented))


def _has_index(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone() is not None


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _statements(script: str) -> list[str]:
    """The statements of a schema script, one per line ending in ``;`` — cut where SQLite says a
    statement is complete, so a ``;`` inside a comment does not end one."""
    out, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending)
            pending = ""
    return out


def _format_version(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT value FROM manifest WHERE key = 'format_version'").fetchone()
    return str(row[0]) if row else None


def query_terms(text: str) -> list[str]:
    """The words of a query, lower-cased: letters, marks and digits kept together (so a Thai word is not
    cut at its vowel signs, as ``\\w+`` would), everything else a separator."""
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in text.lower())
    return kept.split()


def trigram_text(text: str) -> str:
    """``text`` as the trigram index holds it: spaces between characters of unspaced scripts removed."""
    return squash_unspaced(text)


def _generation(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM manifest WHERE key = 'generation'").fetchone()
    try:
        return int(row[0]) if row else 0
    except (TypeError, ValueError):
        return 0


def _next_generation(db: sqlite3.Connection) -> None:
    db.execute("INSERT OR REPLACE INTO manifest (key, value) VALUES ('generation', ?)", (str(_generation(db) + 1),))


def _passage_info(row: tuple) -> PassageInfo:
    """A catalog row as :class:`PassageInfo`; token and box lists that do not parse as the store writes
    them (a hand-edited catalog) become empty rather than raising mid-search."""
    tokens = _json_list(row[6])
    boxes = _json_list(row[7])
    ok_boxes = all(isinstance(b, list) and len(b) == 4 and all(isinstance(v, (int, float)) for v in b)
                   for b in boxes)
    return PassageInfo(int(row[0]), int(row[1]), str(row[2]), row[3] if isinstance(row[3], int) else None,
                       int(row[4]) if isinstance(row[4], int) else 0, str(row[5]),
                       tuple(str(t) for t in tokens),
                       tuple(tuple(float(v) for v in b) for b in boxes) if ok_boxes else (),
                       None if row[8] is None else str(row[8]), str(row[9] or ""),
                       "text" if row[10] in (None, "none") else str(row[10]))


def _json_list(text: object) -> list:
    try:
        value = json.loads(text) if isinstance(text, (str, bytes)) else None
    except ValueError:
        return []
    return value if isinstance(value, list) else []
