"""The ingest pipeline: triage each file on this process, encode the rest (here or on workers), and
commit the results in crash-safe batches.

The driver decides per file without encoding: unreadable (recorded as failed), unchanged (same content
hash), renamed (an indexed document's content under a new name: its passages kept) or listed twice. The
rest go to a :class:`~.file_encoding.FileEncoding` — this process or a pool such as
:class:`~workbench.cluster.ray_ingest.RayEncoding` — and come back as :class:`~.file_encoding.FileOutcome`
values, which this process, the index's one writer, commits. A big file comes in parts
(:class:`~.file_encoding.FilePart`) before its outcome, each committed as it comes: what an ingest holds
stays bounded (a batch of ``COMMIT_VECTORS`` or a part) whatever the size of its files, and a stopped
ingest keeps every part it committed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..ingest import IngestError, discover
from ..ingest.files import open_regular
from ..store import DocumentRow, IndexStore, NewDocument, NewPassage, canonical_path, display_path, fs_path_bytes
from .errors import plain_disk_full
from .events import IngestEvent
from .file_encoding import (
    EncodedFile,
    EncoderSpec,
    EncodingProgress,
    FileEncoding,
    FileOutcome,
    FilePart,
    FileToEncode,
)
from .ingest_times import IngestTimes
from .maintenance import Maintenance, code_new_segments, merge_due, retrain_centroids_if_needed

COMMIT_VECTORS = 50_000  # commit a batch once this many vectors wait (bounds what a crash can lose)
COMMIT_SECONDS = 5.0  # … or once this long has passed since the last commit


@dataclass
class _Pending:
    """Encoded documents waiting for the next commit, with their token vectors (float16 ``[n_i, dim]``)."""

    docs: list[NewDocument] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    n_vectors: int = 0


def iter_ingest(
    store: IndexStore,
    paths: Iterable[str | Path],
    encoding: FileEncoding,
    spec: EncoderSpec,
    times: IngestTimes,
    quick: bool = False,
    maintenance: Maintenance | None = None,
) -> Iterator[IngestEvent]:
    """Index files and folders into ``store``; yields an event per file (and while encoding big ones),
    then ``committed``, then the merges and centroid training it ran (``maintenance`` given: it hands
    those to that thread instead). See :meth:`workbench.collection.Collection.iter_ingest` for the
    guarantees; closing the generator early (or Ctrl+C) commits every document already encoded."""
    files, rejected = discover([Path(p).expanduser() for p in paths])
    total = len(files) + len(rejected)
    done = 0
    for path, reason in rejected:
        done += 1
        yield IngestEvent(display_path(path), "failed", done, total, reason)
    with store.writer():
        for shown, reason in store.dropped:
            yield IngestEvent(shown, "lost", done, total, reason)
        pending = _Pending()
        last_commit = time.monotonic()
        try:
            with closing(encoding.run(_triage(store, files, quick), spec, times)) as outcomes:
                for item in outcomes:
                    if isinstance(item, EncodingProgress):
                        where = item.shown or display_path(store.root)
                        yield IngestEvent(
                            where,
                            item.status,
                            done,
                            total,
                            item.message,
                            rate=times.rate(item.passages),
                            eta_s=times.eta(done + (item.fraction or 0.0), total),  # the share of the file read counts
                        )
                        continue
                    if isinstance(item, FilePart):
                        _queue(pending, item.work, item.passages, item.vectors)
                    else:
                        done += 1
                        event = _accept(store, item, pending) if isinstance(item, FileOutcome) else item
                        times.passages += event.passages if event.status == "indexed" else 0
                        yield replace(event, done=done, total=total, rate=times.rate(), eta_s=times.eta(done, total))
                    if (
                        isinstance(item, FilePart)  # a big file's part: what it holds goes to disk now
                        or pending.n_vectors >= COMMIT_VECTORS
                        or time.monotonic() - last_commit > COMMIT_SECONDS
                    ):
                        with times.phase("write"):
                            _commit(store, pending)
                        last_commit = time.monotonic()
            with times.phase("write"):
                _commit(store, pending)
                if maintenance is None:
                    code_new_segments(store)  # before merges, which then carry the codes over
            yield IngestEvent(
                display_path(store.root),
                "committed",
                done,
                total,
                f"{times.passages:,} new passages searchable",
                times.passages,
            )
            if maintenance is not None:
                maintenance.start()
            else:
                yield from merge_due(store, done, total, times)
                yield from retrain_centroids_if_needed(store, done, total, times)
        except (GeneratorExit, KeyboardInterrupt):
            _commit(store, pending)  # stopped by the caller: keep every whole document encoded so far
            raise
        except OSError as exc:
            raise plain_disk_full(store, exc, "the new documents")  # noqa: B904 — may be exc itself


def _triage(store: IndexStore, files: list[Path], quick: bool) -> Iterator[IngestEvent | FileToEncode]:
    """Per file, what the driver decides without encoding: an event for a file that is unreadable
    (recorded as failed), unchanged, renamed (its passages kept) or listed twice, else the
    :class:`FileToEncode` to send to the encoders. ``quick``: a file whose size and modification time
    equal the indexed ones counts as unchanged without reading it."""
    seen: set[bytes] = set()
    for path in files:
        path = canonical_path(path)
        shown, key = display_path(path), fs_path_bytes(path)
        if key in seen:
            yield IngestEvent(shown, "unchanged", 0, 0, "listed twice")
            continue
        seen.add(key)
        known = store.catalog.document(key)
        same_stat = (known.size, known.mtime) if quick and known and known.status == "indexed" else None
        try:
            size, mtime, digest = _file_facts(path, same_stat)
        except IngestError as exc:
            store.catalog.record_failure(shown, key, None, None, None, str(exc))
            yield IngestEvent(shown, "failed", 0, 0, str(exc))
            continue
        if known and known.status == "indexed" and digest in (None, known.content_hash):
            yield IngestEvent(shown, "unchanged", 0, 0, passages=known.passages)
            continue
        if known is None or known.status != "indexed":
            moved = _renamed_from(store, digest)
            if moved is not None:
                store.catalog.rename_document(moved.path_bytes, shown, key, mtime)
                yield IngestEvent(
                    shown, "renamed", 0, 0, f"renamed from {moved.path}; its passages are kept", moved.passages
                )
                continue
        yield FileToEncode(path, shown, key, size, mtime, digest)


def _accept(store: IndexStore, outcome: FileOutcome, pending: _Pending) -> IngestEvent:
    """Record a failed file, or queue an encoded one for the next commit; the file's event."""
    w, enc = outcome.work, outcome.encoded
    if enc is None:
        if pending.docs and pending.docs[-1].path_bytes == w.key:  # its parts first: the failure is the last word
            _commit(store, pending)
        store.catalog.record_failure(w.shown, w.key, w.digest, w.size, w.mtime, outcome.error or "")
        return IngestEvent(w.shown, "failed", 0, 0, outcome.error or "")
    _queue(pending, w, enc.passages, enc.vectors, enc)
    n = enc.earlier + len(enc.passages)
    return IngestEvent(w.shown, "indexed", 0, 0, f"{n} passages", n, tuple(enc.notes), enc.ocr_seconds)


def _queue(
    pending: _Pending, w: FileToEncode, passages: list[NewPassage], vectors: np.ndarray, enc: EncodedFile | None = None
) -> None:
    """Queue ``passages`` of file ``w`` with their ``vectors`` for the next commit: the whole document, or its
    last part, when its ``enc`` is given; else a part of a big file that more parts follow."""
    facts = (enc.pages, enc.page_facts, enc.notes, enc.chars, enc.unrepresented) if enc else (0, [], [], 0, 0)
    pages, page_facts, notes, chars, unrepresented = facts
    shifted = [replace(p, vec_offset=p.vec_offset + pending.n_vectors) for p in passages]
    earlier = enc.earlier if enc else passages[0].ordinal  # passages of the file sent in parts before these
    pending.docs.append(
        NewDocument(
            w.shown,
            w.key,
            w.digest,
            w.size,
            w.mtime,
            pages,
            shifted,
            page_facts,
            notes,
            chars,
            unrepresented,
            continues=earlier > 0,
            complete=enc is not None,
        )
    )
    pending.vectors.append(vectors)
    pending.n_vectors += len(vectors)


def _renamed_from(store: IndexStore, digest: str) -> DocumentRow | None:
    """The indexed document with content ``digest`` whose file no longer exists (the old name of a
    renamed or moved file), or ``None``."""
    for doc in store.catalog.documents_with_hash(digest):
        if not os.path.lexists(os.fsdecode(doc.path_bytes)):
            return doc
    return None


def _commit(store: IndexStore, pending: _Pending) -> None:
    if pending.docs:
        store.add_documents(pending.docs, np.concatenate(pending.vectors))
    pending.docs, pending.vectors, pending.n_vectors = [], [], 0


def _file_facts(path: Path, same_stat: tuple[int | None, float | None] | None = None) -> tuple[int, float, str | None]:
    """``(size, mtime, sha256)`` of a regular file, read through one descriptor (never a FIFO); the hash
    is ``None``, and the file not read, when its ``(size, mtime)`` equal ``same_stat``."""
    with open_regular(path) as fh:
        st = os.fstat(fh.fileno())
        if same_stat is not None and same_stat == (st.st_size, st.st_mtime):
            return st.st_size, st.st_mtime, None
        h = hashlib.sha256()
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return st.st_size, st.st_mtime, h.hexdigest()
