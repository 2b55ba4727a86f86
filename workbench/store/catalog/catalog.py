"""The :class:`Catalog`: every read and change of ``catalog.sqlite``, each a few calls into the table
modules inside one transaction (see the package's docstring for what those transactions guarantee)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ...core import IndexChanged, PassageFilter, PassageInfo
from ...platform.faults import fault_point
from ..errors import CatalogDamaged
from ..merge_policy import SegmentStats
from . import documents, segments
from .connection import CatalogConnection, plain_errors
from .counts import CatalogCounts, count_rows
from .documents import DocumentRow, NewDocument
from .filters import passage_ids_where
from .lexical import Ranking, index_live_trigrams, index_live_unpointed, lexical_search
from .manifest import (
    current_generation,
    format_version,
    next_generation,
    read_manifest,
    set_entries,
    set_format_version,
)
from .passages import insert_passages, passage_infos, tombstone_document
from .schema import FORMAT_VERSION, INDEXES, SCHEMA, V2_TABLES, V3_TABLES
from .segments import LiveLayout
from .sql import has_index, has_table, run_script


class Catalog(CatalogConnection):
    """``catalog.sqlite`` of one index (its connections and transactions: :class:`CatalogConnection`)."""

    # -- manifest --------------------------------------------------------------------------------
    @plain_errors
    def create(self, manifest: dict[str, str]) -> None:
        """Tables and manifest in one transaction: a process killed meanwhile leaves an empty catalog
        (:meth:`is_created` false, so the next ingest creates it again), never half an index."""
        with self.transaction() as db:
            run_script(db, SCHEMA)
            set_entries(db, manifest)

    @plain_errors
    def is_created(self) -> bool:
        """Whether the catalog holds a manifest with a format version (an index, whatever its version)."""
        return has_table(self.db, "manifest") and format_version(self.db) is not None

    @plain_errors
    def manifest(self) -> dict[str, str]:
        return read_manifest(self.db)

    @plain_errors
    def set_manifest(self, key: str, value: str) -> None:
        """Set one manifest entry in its own committed transaction (a new generation for readers)."""
        with self.transaction() as db:
            set_entries(db, {key: value})
            next_generation(db)

    @plain_errors
    def migrate(self) -> bool:
        """Bring a version-1, -2 or -3 catalog to the current version in one transaction (new tables; from
        version 1 the trigram index is filled from the live passages; before version 4 the passages with
        Arabic or Hebrew marks are indexed again, unpointed), and add the :data:`~.schema.INDEXES` an older
        writer did not create. Returns whether a format migration was done."""
        if not has_index(self.db, "passages_tokens"):
            with self.transaction() as db:
                run_script(db, INDEXES)
        version = format_version(self.db)
        if version not in ("1", "2", "3"):
            return False
        with self.transaction() as db:
            if version == "1":
                run_script(db, V2_TABLES.format(schema=""))
                index_live_trigrams(db)
            run_script(db, V3_TABLES.format(schema=""))
            index_live_unpointed(db)
            set_format_version(db, FORMAT_VERSION)
            next_generation(db)
        return True

    @plain_errors
    def generation(self) -> int:
        """Counter of committed changes readers can see (0 for an index that never recorded one)."""
        return current_generation(self.db)

    # -- documents -------------------------------------------------------------------------------
    @plain_errors
    def document(self, path_bytes: bytes) -> DocumentRow | None:
        return documents.find_document(self.db, path_bytes)

    @plain_errors
    def documents(self) -> list[DocumentRow]:
        return documents.all_documents(self.db)

    @plain_errors
    def record_failure(
        self, path: str, path_bytes: bytes, content_hash: str | None, size: int | None, mtime: float | None, error: str
    ) -> None:
        """Mark a file failed. A failed *re*-ingest of a changed file keeps its old passages live."""
        with self.transaction() as db:
            documents.record_failure(db, path, path_bytes, content_hash, size, mtime, error)

    @plain_errors
    def commit_batch(self, segment_file: str | None, n_vectors: int, docs: Sequence[NewDocument]) -> None:
        """One transaction: the segment, and for each document its row and passages (replacing old ones,
        unless it :attr:`~.documents.NewDocument.continues`). No segment: the documents add no passages."""
        with self.transaction() as db:
            next_generation(db)
            seg_id = segments.add_segment(db, segment_file, n_vectors) if segment_file else 0
            for doc in docs:
                doc_id = documents.document_id_of(db, doc.path_bytes)
                if doc_id is not None:
                    if not doc.continues:
                        tombstone_document(db, doc_id)
                    documents.update_indexed(db, doc_id, doc)
                else:
                    doc_id = documents.insert_indexed(db, doc)
                insert_passages(db, doc_id, seg_id, doc.passages)
                documents.replace_facts(db, doc_id, doc)

    @plain_errors
    def remove_document(self, path_bytes: bytes) -> int:
        """Tombstone a document's passages and drop its row; returns how many passages went."""
        with self.transaction() as db:
            doc_id = documents.document_id_of(db, path_bytes)
            if doc_id is None:
                return 0
            next_generation(db)
            n = tombstone_document(db, doc_id)
            fault_point("remove.tombstoned")
            documents.delete_document(db, doc_id)
            return n

    @plain_errors
    def documents_with_hash(self, content_hash: str) -> list[DocumentRow]:
        """Indexed documents whose content has SHA-256 ``content_hash`` (a renamed file's old entry)."""
        return documents.documents_with_hash(self.db, content_hash)

    @plain_errors
    def rename_document(self, old_path_bytes: bytes, path: str, path_bytes: bytes, mtime: float) -> None:
        """Give an indexed document a new name (its file was renamed or moved): its passages, their ids
        and vectors stay as they are. A failed entry already under the new name gives way."""
        with self.transaction() as db:
            documents.rename_document(db, old_path_bytes, path, path_bytes, mtime)
            next_generation(db)  # searches describe passages by their document's path

    @plain_errors
    def content_hashes(self, document_ids: Sequence[int]) -> dict[int, str]:
        """Document id → content hash (SHA-256, hex) of ``document_ids``; ids unknown or without one are left out."""
        return documents.content_hashes(self.db, document_ids)

    @plain_errors
    def document_path_bytes(self, document_id: int) -> bytes | None:
        return documents.path_bytes_of(self.db, document_id)

    # -- passages and segments -------------------------------------------------------------------
    @plain_errors
    def live_layout(self, skip_segments: Sequence[str] = ()) -> LiveLayout:
        """The live passages and the segments that hold them, read in one transaction (so a writer
        committing meanwhile is seen entirely or not at all). Passages of ``skip_segments`` (files
        found damaged) are left out."""
        with self.snapshot() as db:
            generation = current_generation(db)
            segs, rows = segments.live_rows(db)
        return segments.live_layout(generation, segs, rows, skip_segments)

    @plain_errors
    def live_spans_in(self, segment_file: str) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(starts, lengths)`` int64 ``[P]``: the live passages of ``segment_file`` by first token row in it."""
        with self.snapshot() as db:
            return segments.live_spans_in(db, segment_file)

    @plain_errors
    def segment_files(self) -> set[str]:
        return segments.segment_files(self.db)

    @plain_errors
    def drop_damaged_segment(self, segment_file: str, reason: str) -> list[str]:
        """A segment's file is lost or damaged: tombstone every document with passages in it and mark
        it failed with ``reason``, so the next ingest of those files indexes them again. Returns their
        paths."""
        with self.transaction() as db:
            docs = segments.live_documents_in(db, segment_file)
            for doc_id, _ in docs:
                tombstone_document(db, doc_id)
                documents.mark_failed(db, doc_id, reason)
            next_generation(db)
        return [str(path) for _, path in docs]

    @plain_errors
    def replace_segments(
        self,
        new_file: str | None,
        n_vectors: int,
        moves: Sequence[tuple[int, int]],
        old_files: Sequence[str] | None = None,
    ) -> list[str]:
        """After a merge, in one transaction: point each live passage ``(id, new_offset)`` of the merged
        segments at ``new_file`` (``None`` when none was live), delete their tombstoned passages and
        their segment rows. ``old_files``: the merged segments (``None``: every segment — a compaction).
        Returns the old files (to delete once this commits)."""
        with self.transaction() as db:
            next_generation(db)
            return segments.replace_segments(db, new_file, n_vectors, moves, old_files)

    @plain_errors
    def recode_segments(self, renames: dict[str, str], manifest: dict[str, str]) -> None:
        """In one transaction: each segment file ``old`` becomes ``renames[old]`` (the same passages at the
        same offsets, stored another way) and ``manifest`` is set — a storage tier changes all at once."""
        with self.transaction() as db:
            db.executemany("UPDATE segments SET file = ? WHERE file = ?", [(new, old) for old, new in renames.items()])
            set_entries(db, manifest)
            next_generation(db)

    @plain_errors
    def segment_sizes(self) -> list[tuple[str, int]]:
        """``(file, n_vectors)`` of every segment in packing order — from the segments table alone, so
        it costs nothing however many passages there are."""
        return segments.segment_sizes(self.db)

    @plain_errors
    def segment_stats(self) -> list[SegmentStats]:
        """Every segment in packing order with its vectors and those of its live passages."""
        with self.snapshot() as db:
            return segments.segment_stats(db)

    @plain_errors
    def describe(self, passage_ids: Sequence[int], generation: int | None = None) -> list[PassageInfo]:
        """Passage metadata in the order of ``passage_ids``, read in one transaction.

        ``generation``: the one the caller's layout was read at. Passages missing because a writer has
        removed or merged them since raise :class:`~workbench.core.IndexChanged` (reopen and search
        again); missing while nothing changed, the catalog is damaged (:class:`~workbench.store.errors.CatalogDamaged`).
        """
        ids = [int(i) for i in passage_ids]
        with self.snapshot() as db:
            now = current_generation(db)
            found = passage_infos(db, ids)
        missing = [i for i in ids if i not in found]
        if missing and generation is not None and now != generation:
            raise IndexChanged(
                f"{len(missing)} of the passages found were removed or merged by a writer since the index was opened"
            )
        if missing:
            raise CatalogDamaged(
                f"the catalog of {self.path.parent} lacks passages its own layout lists "
                f"({missing[:5]}); index the files again into a new folder"
            )
        return [found[i] for i in ids]

    @plain_errors
    def lexical_search(self, text: str, k: int, where: PassageFilter | None = None) -> Ranking:
        """Lexical search over live passage text: ``(passage_ids, scores)``, best first, higher is better
        (see :func:`~.lexical.lexical_search`)."""
        return lexical_search(self.db, text, k, where)

    @plain_errors
    def passage_ids_where(self, where: PassageFilter) -> NDArray[np.int64]:
        """Ids (int64, ascending) of the live passages of indexed documents that ``where`` admits."""
        return passage_ids_where(self.db, where)

    @plain_errors
    def counts(self) -> CatalogCounts:
        """Documents (indexed, failed), live passages and vectors, tombstones and segments.

        Summing the vectors reads every passage row (7 ms at 10⁴ passages, linear beyond), and a window
        asks after every search: the figures are kept per connection until a commit changes the file
        — SQLite's ``data_version`` tells of other connections' commits (other threads, processes),
        :attr:`_commits` of this connection's own."""
        db = self.db
        stamp = (db.execute("PRAGMA data_version").fetchone()[0], self._commits)
        kept: tuple[sqlite3.Connection, tuple[int, int], CatalogCounts] | None = getattr(self._local, "counts", None)
        if kept is not None and kept[0] is db and kept[1] == stamp:  # data_version is per connection
            return kept[2].copy()
        counts = count_rows(db)
        self._local.counts = (db, stamp, counts)
        return counts.copy()
