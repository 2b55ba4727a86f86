"""The facade: an index folder with its encoder. Wires ingest → encode → store → core search.

The CLI, the GUI and scripts all go through :class:`Collection`; nothing else connects the layers.
Long operations are generators (:meth:`Collection.iter_ingest`, :func:`workbench.core.iter_search`)
so a caller can report progress and stop between steps.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TypeVar

import numpy as np

from ..core import (NUMPY_REFERENCE_BACKEND, IndexChanged, LateIndex, LateQuery, PassageFilter, PassageInfo,
                   SearchPlan, SearchResult, search_with_plan)
from .file_encoding import (EncoderSpec, EncodingProgress, FileEncoding, FileOutcome, FileToEncode,
                            InProcessEncoding)
from ..ingest import IngestError, discover
from ..ingest.files import open_regular
from .ingest_times import IngestTimes
from ..store import (DiskFull, IndexExists, IndexFormatError, IndexStore, NewDocument, SnapshotCatalog,
                    canonical_path, display_path, fs_path_bytes, is_disk_full)

if TYPE_CHECKING:
    from ..core.verification import Verifier
    from ..encode import Encoder

DEFAULT_MODEL = "default"
COMMIT_VECTORS = 50_000   # commit a batch once this many vectors wait (bounds what a crash can lose)
COMMIT_SECONDS = 5.0      # … or once this long has passed since the last commit
REOPEN_ATTEMPTS = 5       # a search whose index a writer changed underneath is run again on the new one
WATCHED_KEY = "watched_folders"   # manifest: JSON list of the folders the index follows
T = TypeVar("T")


class EncoderMismatch(IndexFormatError):
    """The index was written by other weights than the encoder at hand."""


@dataclass(frozen=True)
class IngestEvent:
    """Progress of one file. ``status``: indexed, unchanged, renamed (an indexed file under a new name:
    passages kept), removed (its file is gone), failed, or encoding (partial progress);
    for the index as a whole (``path`` is the index): ``committed`` once every new document is
    searchable (``passages``: how many passages this ingest added), then ``merging`` before each segment
    merge and ``centroids`` when the token centroids are being (re)trained, ``message`` why;
    ``lost`` for an indexed document whose vectors were found damaged (it is now failed and is indexed
    again when its file is ingested)."""

    path: str
    status: str
    done: int
    total: int
    message: str = ""
    passages: int = 0
    notes: tuple[str, ...] = ()      # an indexed document's caveats: pages not read, text the encoder lost …
    ocr_seconds: float = 0.0
    rate: float = 0.0                # passages per second over the ingest so far
    eta_s: float | None = None       # seconds left (from the time per file so far), once known
    vectors: int = 0                 # ``merging``: the live token vectors the merge rewrites


@dataclass
class IngestReport:
    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass
class _Pending:
    docs: list[NewDocument] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    n_vectors: int = 0


class Collection:
    def __init__(self, store: IndexStore, model: str, encoder: "Encoder | None" = None,
                 named_by_user: bool = False, trust_remote_code: bool = False) -> None:
        self.store = store
        self.model = model
        self._named_by_user = named_by_user or model == DEFAULT_MODEL
        self._trust_remote_code = trust_remote_code
        self._encoder: Encoder | None = None
        self._index: LateIndex | None = None
        self.verifier_model: str | None = None   # stage 3's cross-encoder (None: the default one)
        self._verifier: "Verifier | None" = None
        self._verifier_of: str | None = None
        self.warnings: list[str] = []   # what the last opened index could not use, in plain words
        self.ocr = True                  # read pages without usable text by OCR (where Tesseract is installed)
        self.ingest_times = IngestTimes()   # of the running (or last) ingest: seconds per phase
        # Long-lived programs (the GUI, ``watch``) set this: after its commit an ingest leaves coding,
        # merges and retraining to a maintenance thread, so the next change is indexed without waiting.
        self.merge_in_background = False
        self.maintenance_error: str | None = None   # why the last background maintenance stopped, if it failed
        self.centroids_trained_because: str | None = None   # set when background maintenance retrained
        self._maintenance: threading.Thread | None = None
        self._maintenance_lock = threading.Lock()
        self._maintenance_wanted = False
        self._stop_maintenance = threading.Event()
        if encoder is not None:
            self._check_encoder(encoder)
            self._encoder = encoder

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, model: str | None = None, create: bool = False,
             encoder: "Encoder | None" = None, read_only: bool | None = None,
             trust_remote_code: bool = False) -> "Collection":
        """Open the index folder at ``path`` (``create``: make it if missing, in a new or empty folder).

        ``model``: the encoder the user names (a checkpoint folder or hub id); it must be the one the
        index was written with, and is remembered as trusted on this machine. Without it the index's own
        model is used only if it is the default or was named here before: an index never chooses the
        code that runs (:mod:`workbench.encode.model_trust`). ``trust_remote_code`` lets a named model
        run Python code of its own. ``encoder``: an already loaded encoder to reuse (it must match the
        index's manifest). ``read_only``: ``True`` never writes to the index (search, info, eval);
        ``None`` opens it for writing where the folder allows, read-only elsewhere. Raises
        :class:`~workbench.store.IndexFormatError` (or a subclass) with a plain reason.
        """
        from ..encode.model_trust import model_key, remember
        root = Path(path).expanduser()
        named = model is not None
        if encoder is not None and model is None:
            model = encoder.model_ref
        if model is not None and model != DEFAULT_MODEL:
            model = model_key(model)
            if named:
                remember(model)
        if create and IndexStore.needs_creating(root):    # before the encoder loads: fail in milliseconds
            coll = cls(None, model or DEFAULT_MODEL, encoder, named, trust_remote_code)  # type: ignore[arg-type]
            enc = coll.encoder
            try:
                coll.store = IndexStore.create(root, {
                    "model": coll.model, "encoder_identity": enc.identity, "encoder_checksum": enc.checksum,
                    "encoder_settings": json.dumps(enc.describe_settings(), sort_keys=True),
                    "dim": str(enc.dim), "dtype": "float16", "created_at": str(time.time())})
                return coll
            except IndexExists:   # another process created it while the encoder loaded: open it as theirs
                encoder = enc
        store = IndexStore.open(root, read_only)
        recorded = store.manifest.get("model", DEFAULT_MODEL)
        if model is not None and model != (recorded if recorded == DEFAULT_MODEL else model_key(recorded)):
            raise EncoderMismatch(
                f"{root} was written by encoder {store.manifest.get('encoder_identity')} (model {recorded!r}); "
                f"it cannot be searched or extended with model {model!r}. Use --model {recorded} or a new index.")
        return cls(store, model or recorded, encoder, named, trust_remote_code)

    @property
    def encoder(self) -> "Encoder":
        """The encoder, loaded on first use and checked against the index's manifest. A model the index
        recorded but nobody named on this machine is refused (:class:`~workbench.encode.UntrustedModel`)."""
        if self._encoder is None:
            from ..encode import Encoder
            self._require_trusted()
            enc = Encoder(self.model, trust_remote_code=self._trust_remote_code)
            self._check_encoder(enc)
            self._encoder = enc
        return self._encoder

    def _require_trusted(self) -> None:
        """Raise :class:`~workbench.encode.UntrustedModel` for a model the index recorded but nobody named
        on this machine."""
        from ..encode.model_trust import UntrustedModel, is_trusted
        if not self._named_by_user and not is_trusted(self.model):
            where = self.store.root if self.store is not None else "this index"
            raise UntrustedModel(
                f"{where} was written with model {self.model!r}, which has not been named on this machine; "
                "an index does not choose the model (and so the code) that runs. If you trust that model, "
                f"name it: --model {self.model}")

    def _encoder_spec(self) -> EncoderSpec:
        """The model this index is written with, as a worker loads it, and the identity it must show."""
        m = self.store.manifest
        return EncoderSpec(self.model, self._trust_remote_code, m.get("encoder_identity", ""),
                           m.get("encoder_checksum", ""), self.ocr)

    def _check_encoder(self, enc: "Encoder") -> None:
        if self.store is None:
            return
        why = self._encoder_spec().mismatch(enc.identity, enc.checksum)
        if why:
            raise EncoderMismatch(f"{self.store.root}: {why}; re-index into a new folder to use this encoder.")

    # -- reading ---------------------------------------------------------------------------------
    def late_index(self) -> LateIndex:
        """The live passages as a packed :class:`LateIndex`, kept while the catalog's generation stays the
        same and reopened once a writer (this process or another) has committed a change."""
        if self._index is not None and self._index.catalog.generation == self.store.catalog.generation():
            return self._index
        for attempt in range(REOPEN_ATTEMPTS):
            try:
                self._index = self._open_index()
                return self._index
            except IndexChanged:
                time.sleep(0.05 * attempt)       # a writer is mid-compaction: give it a moment
        raise IndexFormatError(f"{self.store.root} kept changing while it was being opened; try again once the "
                               "ingest writing to it has finished")

    def _open_index(self) -> LateIndex:
        packed = self.store.packed_segments()
        index = LateIndex(packed.vectors, packed.starts, packed.lengths, packed.passage_ids,
                          catalog=SnapshotCatalog(self.store.catalog, packed.generation),
                          query_encoder=self.encode_query, name=str(self.store.root))
        # Centroid files are read after the layout: if a writer retrains meanwhile, codes missing for this
        # snapshot's segments are computed in memory, so the pair stays consistent without a retry.
        index.centroid_index, index.residual_index = self.store.centroids.load(index, packed.files, packed.sizes)
        self.warnings = [f"{why} — its documents are left out of searches; ingest them again to restore them"
                         for why in packed.damaged.values()]
        problem = self.store.centroids.problem()
        if problem:
            self.warnings.append(f"stored token centroids not used: {problem}; a centroid search builds them in "
                                 "memory, and the next ingest trains a new set")
        return index

    def retrying(self, fn: Callable[[LateIndex], T]) -> T:
        """``fn(index)`` on the current index; if a writer changed the index under it (``IndexChanged``),
        again on the reopened index."""
        for attempt in range(REOPEN_ATTEMPTS):
            index = self.late_index()
            try:
                return fn(index)
            except IndexChanged:
                self._index = None
                time.sleep(0.05 * attempt)
        raise IndexFormatError(f"{self.store.root} kept changing during the search; try again once the ingest "
                               "writing to it has finished")

    def encode_query(self, text: str) -> LateQuery:
        """The query's token vectors; ``ValueError`` for an empty query or one that is not valid text."""
        if not text.strip():
            raise ValueError("the query is empty")
        return self.encoder.encode_query(require_utf8(text, "query"))

    def verifier(self) -> "Verifier":
        """Stage 3's cross-encoder (:attr:`verifier_model`, or the default), loaded on first use."""
        if self._verifier is None or self._verifier_of != self.verifier_model:
            from ..encode.cross_encoder import open_verifier
            self._verifier = open_verifier(self.verifier_model, self._trust_remote_code)
            self._verifier_of = self.verifier_model
        return self._verifier

    def verify_estimate_ms(self, pairs: int, query_tokens: int = 16) -> float:
        """Expected milliseconds of stage 3 over ``pairs`` passages of this index: its mean tokens per
        passage plus the query's, at the loaded cross-encoder's measured rate (before it has run: the
        default model's rate on two cores)."""
        from ..encode.cross_encoder import estimate_ms
        counts = self.store.catalog.counts()
        per_pair = counts["vectors"] / max(counts["passages"], 1) + query_tokens
        return (self._verifier.estimate_ms if self._verifier is not None else estimate_ms)(pairs, per_pair)

    def verifier_for(self, plan: SearchPlan) -> "Verifier | None":
        """The cross-encoder ``plan`` needs: loaded when it has ``verify_k``, else ``None``."""
        return self.verifier() if plan.verify_k else None

    def search(self, text: str, plan: SearchPlan, backend: str = NUMPY_REFERENCE_BACKEND,
               where: PassageFilter | None = None) -> SearchResult:
        """Search for ``text`` with ``plan``; ``where`` limits every stage to passages of matching documents.
        A writer committing meanwhile (another process included) makes it search again on the new index."""
        query = self.encode_query(text)
        verifier = self.verifier_for(plan)
        return self.retrying(lambda index: search_with_plan(query, index, plan, backend, where, verifier))

    def info(self) -> dict:
        m = self.store.manifest
        counts = self.store.catalog.counts()
        return {"index": str(self.store.root), "format_version": int(m["format_version"]),
                "model": m.get("model"), "encoder": m.get("encoder_identity"),
                "encoder_checksum": m.get("encoder_checksum"),
                "encoder_settings": json.loads(m.get("encoder_settings", "{}")), "dim": int(m.get("dim", 0)),
                "dtype": m.get("dtype"), **counts, "disk_bytes": self.store.disk_bytes(),
                "bytes_per_vector": 2 * int(m.get("dim", 0)), **self._centroid_info(),
                "read_only": self.store.read_only, "warnings": list(self.warnings)}

    def _centroid_info(self) -> dict:
        """Stage-1 storage: the centroid set and what it costs per live token vector."""
        index = self.late_index()
        meta, ci = self.store.centroids.meta(), index.centroid_index
        if ci is None:
            return {"centroids": None}
        per_token = {"exact_vector": 2 * index.dim,
                     **self.store.centroids.bytes_per_token(ci, index.residual_index, index.n_vectors)}
        return {"centroids": {"count": ci.n_centroids, "version": self.store.centroids.version,
                              "trained_on_vectors": meta.get("trained_vectors"),
                              "mean_cosine_at_training": meta.get("mean_cosine")},
                "bytes_per_token": {**per_token, "total": round(sum(per_token.values()), 2)}}

    def documents(self):
        return self.store.catalog.documents()

    def source_path(self, document_id: int) -> Path | None:
        """The file a document was read from (exact bytes of its name), if it is still indexed."""
        raw = self.store.catalog.document_path_bytes(document_id)
        return Path(os.fsdecode(raw)) if raw is not None else None

    def render_page(self, info: PassageInfo, zoom: float = 1.5) -> tuple[np.ndarray, tuple[float, ...]]:
        """The PDF page a passage sits on, as RGB ``[h, w, 3]`` uint8, and the affine map ``(a, b, c, d, e, f)``
        from the page's unrotated PDF points (where passage boxes live) to pixels, rotation included."""
        from ..ingest.pdf import render_page
        path = self.source_path(info.document_id)
        if path is None or info.page is None:
            raise IngestError("this passage has no PDF page to show")
        return render_page(path, info.page, zoom)

    # -- writing ---------------------------------------------------------------------------------
    def iter_ingest(self, paths: Iterable[str | Path], quick: bool = False,
                    encoding: "FileEncoding | None" = None) -> Iterator[IngestEvent]:
        """Index files and folders; yields an event per file (and while encoding big ones).

        Unchanged files (same content hash) are skipped, changed ones replace their passages, a new
        name holding the content of an indexed document whose file is gone is that document renamed
        (``renamed``: its passages are kept, nothing is encoded), and a file that cannot be read is
        recorded with its reason while the rest carry on. ``quick``: a file whose size and
        modification time equal the indexed ones counts as unchanged without reading it (rescans of
        watched folders). ``encoding``: where files are parsed and encoded — ``None`` for this process,
        or a pool of workers such as :class:`~workbench.cluster.ray_ingest.RayEncoding`; this process
        stays the index's one writer either way. Closing the generator early (or Ctrl+C) commits every
        document already encoded; a killed process keeps every batch already committed.
        """
        if encoding is None:
            encoding = InProcessEncoding(self.encoder)  # a model that cannot load stops the ingest before any file
        else:
            self._require_trusted()   # the workers load it; whether it may run is decided here
        files, rejected = discover([Path(p).expanduser() for p in paths])
        total = len(files) + len(rejected)
        done = 0
        for path, reason in rejected:
            done += 1
            yield IngestEvent(display_path(path), "failed", done, total, reason)
        times = self.ingest_times = IngestTimes()
        with self.store.writer():
            for path, reason in self.store.dropped:
                yield IngestEvent(path, "lost", done, total, reason)
            pending = _Pending()
            last_commit = time.monotonic()
            try:
                with closing(encoding.run(self._triage(files, quick), self._encoder_spec(), times)) as outcomes:
                    for item in outcomes:
                        if isinstance(item, EncodingProgress):
                            where = item.shown or display_path(self.store.root)
                            yield IngestEvent(where, item.status, done, total, item.message)
                            continue
                        done += 1
                        event = self._accept(item, pending) if isinstance(item, FileOutcome) else item
                        times.passages += event.passages if event.status == "indexed" else 0
                        yield replace(event, done=done, total=total, rate=times.rate(), eta_s=times.eta(done, total))
                        if pending.n_vectors >= COMMIT_VECTORS or time.monotonic() - last_commit > COMMIT_SECONDS:
                            with times.phase("write"):
                                self._commit(pending)
                            last_commit = time.monotonic()
                with times.phase("write"):
                    self._commit(pending)
                    if not self.merge_in_background:
                        self._code_new_segments()      # before merges, which then carry the codes over
                yield IngestEvent(display_path(self.store.root), "committed", done, total,
                                  f"{times.passages:,} new passages searchable", times.passages)
                if self.merge_in_background:
                    self.start_maintenance()
                else:
                    yield from self._merge_due(done, total, times)
                    yield from self._retrain_centroids_if_needed(done, total, times)
            except (GeneratorExit, KeyboardInterrupt):
                self._commit(pending)  # stopped by the caller: keep every whole document encoded so far
                raise
            except OSError as exc:
                raise self._plain_disk_full(exc, "the new documents")
            finally:
                self._index = None

    def ingest(self, paths: Iterable[str | Path]) -> IngestReport:
        report = IngestReport()
        for ev in self.iter_ingest(paths):
            if ev.status == "indexed":
                report.indexed.append(ev.path)
            elif ev.status == "unchanged":
                report.unchanged.append(ev.path)
            elif ev.status == "failed":
                report.failed.append((ev.path, ev.message))
        return report

    def remove(self, paths: Iterable[str | Path]) -> dict[str, int]:
        """Tombstone the passages of each path (files, or every indexed file under a folder)."""
        removed: dict[str, int] = {}
        with self.store.writer():
            for p in paths:
                prefix = fs_path_bytes(canonical_path(p))
                for doc in self.store.catalog.documents():
                    if doc.path_bytes == prefix or doc.path_bytes.startswith(prefix.rstrip(b"/") + b"/"):
                        removed[doc.path] = self.store.catalog.remove_document(doc.path_bytes)
            if self.merge_in_background:
                self.start_maintenance()
            else:
                try:
                    self.store.maybe_merge()   # a segment heavy with tombstones is rewritten without them
                except OSError as exc:   # the removal is committed; only the space may not be reclaimed yet
                    raise self._plain_disk_full(exc, "the index without the removed documents")
        self._index = None
        return removed

    # -- background maintenance ----------------------------------------------------------------------
    @property
    def maintaining(self) -> bool:
        """Whether a maintenance thread (coding new segments, merges, retraining) is running."""
        return self._maintenance is not None and self._maintenance.is_alive()

    def start_maintenance(self) -> None:
        """Code new segments, carry out the merges that are due and retrain the centroids if needed, on
        a thread of this process that shares the writer lock (a running one takes the new work too).
        Searches never wait for it; another ingest of this process commits while it runs."""
        with self._maintenance_lock:
            self._maintenance_wanted = True
            if self.maintaining:
                return
            self.store.acquire_writer()      # taken here, released by the thread: nothing tidies its files
            self._stop_maintenance.clear()
            self._maintenance = threading.Thread(target=self._maintain, name="kayak-maintenance", daemon=True)
            self._maintenance.start()

    def stop_maintenance(self, timeout_s: float | None = None) -> None:
        """Stop the maintenance thread between chunks (a merge in flight keeps nothing; it is due again
        next time) and wait for it, at most ``timeout_s`` (a centroid training is not cut short; the
        thread is a daemon, and a process that exits meanwhile loses nothing committed)."""
        self._stop_maintenance.set()
        thread = self._maintenance
        if thread is not None:
            thread.join(timeout_s)

    def wait_for_maintenance(self) -> None:
        thread = self._maintenance
        if thread is not None:
            thread.join()

    def _maintain(self) -> None:
        from ..store.merge import MergeStopped
        try:
            while not self._stop_maintenance.is_set():
                with self._maintenance_lock:
                    if not self._maintenance_wanted:
                        self._maintenance = None
                        return
                    self._maintenance_wanted = False
                self._code_new_segments()
                self.store.maybe_merge(self._stop_maintenance)
                if not self._stop_maintenance.is_set():
                    for event in self._retrain_centroids_if_needed(0, 0, IngestTimes()):
                        self.centroids_trained_because = event.message
        except MergeStopped:
            pass
        except Exception as exc:   # noqa: BLE001 — reported in words; the committed documents are safe
            if isinstance(exc, OSError):
                exc = self._plain_disk_full(exc, "a merged segment")
            self.maintenance_error = f"index maintenance stopped: {exc}"
        finally:
            with self._maintenance_lock:
                if self._maintenance is threading.current_thread():
                    self._maintenance = None
            self.store.release_writer()
            self._index = None

    # -- watched folders ---------------------------------------------------------------------------
    def watched_folders(self) -> list[Path]:
        """The folders this index follows (kept in its manifest, so every program that opens it knows)."""
        try:
            names = json.loads(self.store.manifest.get(WATCHED_KEY, "[]"))
        except ValueError:
            return []
        return [Path(n) for n in names if isinstance(n, str)] if isinstance(names, list) else []

    def set_watched(self, folders: Iterable[str | Path], watched: bool = True) -> list[Path]:
        """Start (``watched``) or stop following ``folders``; returns the folders followed now. Raises
        ``ValueError`` for a path that is not a folder when starting."""
        current = self.watched_folders()
        for folder in folders:
            path = canonical_path(folder)
            if watched and not path.is_dir():
                raise ValueError(f"{display_path(path)} is not a folder; only folders can be watched")
            current = [p for p in current if p != path] + ([path] if watched else [])
        with self.store.writer():
            self.store.catalog.set_manifest(WATCHED_KEY, json.dumps([os.fsdecode(p) for p in current]))
        return current

    def iter_sync(self, paths: Iterable[str | Path]) -> Iterator[IngestEvent]:
        """Bring the index in line with ``paths`` that changed on disk: files (and folders) that exist
        are ingested — a renamed file keeps its passages — and documents at or under a path that is
        gone are removed (``removed`` events)."""
        paths = [Path(p) for p in paths]
        present = [p for p in paths if os.path.lexists(p)]
        if present:
            yield from self.iter_ingest(present)
        yield from self._removed_events([p for p in paths if not os.path.lexists(p)])

    def iter_rescan(self) -> Iterator[IngestEvent]:
        """Catch up with what changed in the watched folders while nobody watched: new and changed
        files are ingested (files whose size and time are unchanged are not read), renamed ones keep
        their passages, and documents whose files are gone are removed. A watched folder that is
        missing altogether (an unplugged disk) keeps its documents and is reported as ``failed``."""
        folders = self.watched_folders()
        missing = [f for f in folders if not f.is_dir()]
        for folder in missing:
            yield IngestEvent(display_path(folder), "failed", 0, 0,
                              "the watched folder is missing (an unplugged disk?); its documents are kept")
        present = [f for f in folders if f.is_dir()]
        if not present:
            return
        yield from self.iter_ingest(present, quick=True)
        prefixes = [fs_path_bytes(f).rstrip(b"/") + b"/" for f in present]
        gone = [Path(os.fsdecode(d.path_bytes)) for d in self.store.catalog.documents()
                if d.path_bytes.startswith(tuple(prefixes)) and not os.path.lexists(os.fsdecode(d.path_bytes))]
        yield from self._removed_events(gone)

    def _removed_events(self, gone: list[Path]) -> Iterator[IngestEvent]:
        if not gone:
            return
        removed = self.remove(gone)
        for i, (path, n) in enumerate(sorted(removed.items()), 1):
            yield IngestEvent(path, "removed", i, len(removed), f"{n} passages removed", n)

    def _plain_disk_full(self, exc: OSError, what: str) -> OSError:
        """What to raise for ``exc``: a full disk as a :class:`DiskFull` that says how many documents the
        index keeps (``what``: what was being written); any other error as it is."""
        if not is_disk_full(exc):
            return exc
        full = exc if isinstance(exc, DiskFull) else DiskFull(self.store.root, what)
        full.__suppress_context__ = True     # one plain line: the OSError behind it adds nothing
        try:
            full.kept_documents = self.store.catalog.counts()["documents"]
        except Exception:   # noqa: BLE001 — the count is a courtesy; the disk-full message must get out
            pass
        return full

    def _triage(self, files: list[Path], quick: bool) -> Iterator[IngestEvent | FileToEncode]:
        """Per file, what the driver decides without encoding: an event for a file that is unreadable
        (recorded as failed), unchanged, renamed (its passages kept) or listed twice, else the
        :class:`FileToEncode` to send to the encoders."""
        seen: set[bytes] = set()
        for path in files:
            path = canonical_path(path)
            shown, key = display_path(path), fs_path_bytes(path)
            if key in seen:
                yield IngestEvent(shown, "unchanged", 0, 0, "listed twice")
                continue
            seen.add(key)
            known = self.store.catalog.document(key)
            same_stat = (known.size, known.mtime) if quick and known and known.status == "indexed" else None
            try:
                size, mtime, digest = _file_facts(path, same_stat)
            except IngestError as exc:
                self.store.catalog.record_failure(shown, key, None, None, None, str(exc))
                yield IngestEvent(shown, "failed", 0, 0, str(exc))
                continue
            if known and known.status == "indexed" and digest in (None, known.content_hash):
                yield IngestEvent(shown, "unchanged", 0, 0, passages=known.passages)
                continue
            if known is None or known.status != "indexed":
                moved = self._renamed_from(digest)
                if moved is not None:
                    self.store.catalog.rename_document(moved.path_bytes, shown, key, mtime)
                    yield IngestEvent(shown, "renamed", 0, 0, f"renamed from {moved.path}; its passages are kept",
                                      moved.passages)
                    continue
            yield FileToEncode(path, shown, key, size, mtime, digest)

    def _accept(self, outcome: FileOutcome, pending: _Pending) -> IngestEvent:
        """Record a failed file, or queue an encoded one for the next commit; the file's event."""
        w, enc = outcome.work, outcome.encoded
        if enc is None:
            self.store.catalog.record_failure(w.shown, w.key, w.digest, w.size, w.mtime, outcome.error or "")
            return IngestEvent(w.shown, "failed", 0, 0, outcome.error or "")
        passages = [replace(p, vec_offset=p.vec_offset + pending.n_vectors) for p in enc.passages]
        pending.docs.append(NewDocument(w.shown, w.key, w.digest, w.size, w.mtime, enc.pages, passages,
                                        enc.page_facts, enc.notes, enc.chars, enc.unrepresented))
        pending.vectors.append(enc.vectors)
        pending.n_vectors += len(enc.vectors)
        return IngestEvent(w.shown, "indexed", 0, 0, f"{len(passages)} passages", len(passages), tuple(enc.notes),
                           enc.ocr_seconds)

    def _renamed_from(self, digest: str):
        """The indexed document with content ``digest`` whose file no longer exists (the old name of a
        renamed or moved file), or ``None``."""
        for doc in self.store.catalog.documents_with_hash(digest):
            if not os.path.lexists(os.fsdecode(doc.path_bytes)):
                return doc
        return None

    def _merge_due(self, done: int, total: int, times: IngestTimes) -> Iterator[IngestEvent]:
        """Carry out the merges the tiered policy asks for, each announced by a ``merging`` event. The
        new documents are committed (searchable) before the first; searches never wait for a merge."""
        while due := self.store.next_merge():
            files, live = due
            yield IngestEvent(display_path(self.store.root), "merging", done, total,
                              f"{len(files)} segments, {live:,} live token vectors", vectors=live)
            with times.phase("merge"):
                self.store.merge(files)

    def _code_new_segments(self) -> None:
        """Give every new segment its codes under the current centroids (growth without retraining)."""
        self.store.centroids.code_new_segments(self.store.segments())

    def _retrain_centroids_if_needed(self, done: int, total: int, times: IngestTimes) -> Iterator[IngestEvent]:
        """Train the centroids (announced by a ``centroids`` event) when there are none yet, the
        collection outgrew them or new vectors drifted from them. Readers keep the old set until the
        new one is committed whole."""
        why = self.store.centroids.needs_training(self.store.live_vectors(), self.store.dim)
        if why:                        # the passage layout is read only when there is training to do
            yield IngestEvent(display_path(self.store.root), "centroids", done, total, why)
            with times.phase("centroids"):
                packed = self.store.packed_segments()
                index = LateIndex(packed.vectors, packed.starts, packed.lengths, packed.passage_ids)
                self.store.centroids.train(index, packed.files, packed.sizes)

    def _commit(self, pending: _Pending) -> None:
        if pending.docs:
            self.store.add_documents(pending.docs, np.concatenate(pending.vectors))
        pending.docs, pending.vectors, pending.n_vectors = [], [], 0


def require_utf8(text: str, what: str) -> str:
    """``text`` if it can be written as UTF-8; ``ValueError`` naming ``what`` when it holds undecodable
    bytes (lone surrogates from a command line typed in another encoding)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise ValueError(f"the {what} {shown!r} holds bytes that are not UTF-8 text") from None
    return text


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
