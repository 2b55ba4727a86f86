"""The facade: an index folder with its encoder. Wires ingest → encode → store → core search.

The CLI, the GUI and scripts all go through :class:`Collection`; nothing else connects the layers. It
opens the index and decides whether its encoder may run, serves searches on a snapshot that follows the
writers, and hands the rest to the modules beside it: the ingest pipeline, maintenance, removal, the
watched folders and the documents' pages (``coll.pages``). Long operations are generators
(:meth:`Collection.iter_ingest`, :func:`workbench.core.iter_search`) so a caller can report progress and stop
between steps.
"""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..core import (
    NUMPY_REFERENCE_BACKEND,
    IndexChanged,
    LateIndex,
    LateQuery,
    ParsedQuery,
    PassageFilter,
    SearchPlan,
    SearchResult,
    search_with_plan,
)
from ..store import CatalogCounts, DocumentRow, IndexExists, IndexFormatError, IndexStore
from ..store.tiers import DEFAULT_TIER, EXACT, KEEP_EXACT_KEY, TIER_KEY, check_tier
from .batched_encoding import InProcessEncoding
from .document_groups import DocumentGroup, group_by_document
from .document_pages import DocumentPages
from .encoder_trust import check_encoder, encoder_spec, require_trusted
from .errors import EncoderMismatch
from .events import IngestEvent, IngestReport
from .file_encoding import EncoderSpec, FileEncoding
from .info import describe_index
from .ingest_pipeline import iter_ingest
from .ingest_times import IngestTimes
from .maintained import MaintainedIndex
from .query_text import prepare_query, require_utf8
from .removal import remove_documents, removed_events
from .scored_tiers import ScoredTiers
from .snapshot import open_snapshot
from .watched_folders import iter_rescan, iter_sync, set_watched, watched_folders

if TYPE_CHECKING:
    from ..core.verification import Verifier
    from ..encode import Encoder

DEFAULT_MODEL = "default"
REOPEN_ATTEMPTS = 5  # a search whose index a writer changed underneath is run again on the new one
T = TypeVar("T")


class Collection(MaintainedIndex):
    def __init__(
        self,
        store: IndexStore,
        model: str,
        encoder: Encoder | None = None,
        named_by_user: bool = False,
        trust_remote_code: bool = False,
    ) -> None:
        self.store = store
        self.model = model
        self._named_by_user = named_by_user or model == DEFAULT_MODEL
        self._trust_remote_code = trust_remote_code
        self._encoder: Encoder | None = None
        self._index: LateIndex | None = None
        self._scored: ScoredTiers | None = None
        self.verifier_model: str | None = None  # stage 3's cross-encoder (None: the default one)
        self._verifier: Verifier | None = None
        self._verifier_of: str | None = None
        self.warnings: list[str] = []  # what the last opened index could not use, in plain words
        self.ocr = True  # read pages without usable text by OCR (where Tesseract is installed)
        self.ingest_times = IngestTimes()  # of the running (or last) ingest: seconds per phase
        self.pages = DocumentPages(self.source_path)  # page counts and images of its documents, for readers
        # Long-lived programs (the GUI, ``watch``) set this: after its commit an ingest leaves coding,
        # merges and retraining to a maintenance thread, so the next change is indexed without waiting.
        self.merge_in_background = False
        self._maintenance_thread = None
        if encoder is not None:
            self._check_encoder(encoder)
            self._encoder = encoder

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | Path,
        model: str | None = None,
        create: bool = False,
        encoder: Encoder | None = None,
        read_only: bool | None = None,
        trust_remote_code: bool = False,
        tier: str = DEFAULT_TIER,
        keep_exact: bool = False,
    ) -> Collection:
        """Open the index folder at ``path`` (``create``: make it if missing, in a new or empty folder, in ``tier``;
        ``keep_exact``: a compact tier keeps the float16 vectors too, so searches can score either).

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
        if create and IndexStore.needs_creating(root):  # before the encoder loads: fail in milliseconds
            coll = cls(None, model or DEFAULT_MODEL, encoder, named, trust_remote_code)  # type: ignore[arg-type]
            enc = coll.encoder
            try:
                coll.store = IndexStore.create(
                    root,
                    {
                        "model": coll.model,
                        "encoder_identity": enc.identity,
                        "encoder_checksum": enc.checksum,
                        "encoder_settings": json.dumps(enc.describe_settings(), sort_keys=True),
                        "dim": str(enc.dim),
                        "dtype": "float16",
                        TIER_KEY: check_tier(tier),
                        KEEP_EXACT_KEY: "1" if keep_exact and tier != EXACT else "0",
                        "created_at": str(time.time()),
                    },
                )
                return coll
            except IndexExists:  # another process created it while the encoder loaded: open it as theirs
                encoder = enc
        store = IndexStore.open(root, read_only)
        recorded = store.manifest.get("model", DEFAULT_MODEL)
        if model is not None and model != (recorded if recorded == DEFAULT_MODEL else model_key(recorded)):
            raise EncoderMismatch(
                f"{root} was written by encoder {store.manifest.get('encoder_identity')} (model {recorded!r}); "
                f"it cannot be searched or extended with model {model!r}. Use --model {recorded} or a new index."
            )
        return cls(store, model or recorded, encoder, named, trust_remote_code)

    @property
    def encoder(self) -> Encoder:
        """The encoder, loaded on first use and checked against the index's manifest. A model the index
        recorded but nobody named on this machine is refused (:class:`~workbench.encode.UntrustedModel`)."""
        if self._encoder is None:
            from ..encode import Encoder

            self._require_trusted()
            self._check_encoder(enc := Encoder(self.model, trust_remote_code=self._trust_remote_code))
            self._encoder = enc
        return self._encoder

    def release_encoder(self) -> None:
        """Free the loaded encoder (ONNX Runtime sessions, torch weights: ≈0.3 GB) until it is next needed: a
        one-shot ingest's merges and centroid training, which follow its last commit, then run without it."""
        self._encoder = None
        gc.collect()  # torch modules hold reference cycles

    def _require_trusted(self) -> None:
        require_trusted(self.model, self._named_by_user, self.store.root if self.store is not None else None)

    def _encoder_spec(self) -> EncoderSpec:
        return encoder_spec(self.store, self.model, self._trust_remote_code, self.ocr)

    def _check_encoder(self, enc: Encoder) -> None:
        if self.store is not None:
            check_encoder(self.store, self._encoder_spec(), enc.identity, enc.checksum)

    # -- reading ---------------------------------------------------------------------------------
    def late_index(self, tier: str | None = None) -> LateIndex:
        """The live passages as a packed :class:`LateIndex`, kept while the catalog's generation stays the
        same and reopened once a writer (this process or another) has committed a change. ``tier``: which
        stored vectors it scores — one of :attr:`scored_tiers` (default: the index's own tier;
        :class:`~.scored_tiers.ScoredTiers`); ``ValueError`` for a tier the index does not keep."""
        return self._tiers.view(self._snapshot(), tier)

    @property
    def _tiers(self) -> ScoredTiers:
        if self._scored is None or self._scored.store is not self.store:  # ``open`` sets the store of a new index
            self._scored = ScoredTiers(self.store)
        return self._scored

    def scored_tier(self, tier: str | None) -> str:
        """``tier`` (``None``: the index's own) if a search of this index can score it; else ``ValueError``."""
        return self._tiers.check(tier)

    @property
    def scored_tiers(self) -> list[str]:
        """The tiers a search can score: the index's own first, then ``exact`` if it keeps its float16 vectors."""
        return self._tiers.tiers

    def _snapshot(self) -> LateIndex:
        if self._index is not None and self._index.catalog.generation == self.store.catalog.generation():
            return self._index
        for attempt in range(REOPEN_ATTEMPTS):
            try:
                self._index = self._open_index()
                return self._index
            except IndexChanged:
                time.sleep(0.05 * attempt)  # a writer is mid-compaction: give it a moment
        raise IndexFormatError(
            f"{self.store.root} kept changing while it was being opened; try again once the "
            "ingest writing to it has finished"
        )

    def _open_index(self) -> LateIndex:
        index, self.warnings = open_snapshot(self.store, self.encode_query)
        return index

    def retrying(self, fn: Callable[[LateIndex], T], tier: str | None = None) -> T:
        """``fn(index)`` on the current index (scoring ``tier``: :meth:`late_index`); if a writer changed the
        index under it (``IndexChanged``), again on the reopened index."""
        for attempt in range(REOPEN_ATTEMPTS):
            index = self.late_index(tier)
            try:
                return fn(index)
            except IndexChanged:
                self._index = None
                time.sleep(0.05 * attempt)
        raise IndexFormatError(
            f"{self.store.root} kept changing during the search; try again once the ingest writing to it has finished"
        )

    def encode_query(self, text: str) -> LateQuery:
        """The query's token vectors; ``ValueError`` for an empty query or one that is not valid text."""
        if not text.strip():
            raise ValueError("the query is empty")
        return self.encoder.encode_query(require_utf8(text, "query"))

    def verifier(self) -> Verifier:
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

    def verifier_for(self, plan: SearchPlan) -> Verifier | None:
        """The cross-encoder ``plan`` needs: loaded when it has ``verify_k``, else ``None``."""
        return self.verifier() if plan.verify_k else None

    def prepare(
        self, text: str, where: PassageFilter | None = None
    ) -> tuple[LateQuery, PassageFilter | None, ParsedQuery]:
        """The typed ``text`` as what a search runs: ``(query, filter, syntax)`` (:func:`.query_text.prepare_query`)."""
        return prepare_query(text, where, self.encode_query)

    def search(
        self,
        text: str,
        plan: SearchPlan,
        backend: str = NUMPY_REFERENCE_BACKEND,
        where: PassageFilter | None = None,
        tier: str | None = None,
    ) -> SearchResult:
        """Search for ``text`` with ``plan``; ``where`` limits every stage to passages of matching documents,
        and so do the query's phrases and exclusions (its syntax, read by :meth:`prepare`, is the result's
        ``syntax``); ``tier`` picks the stored vectors scored (:meth:`late_index`). A writer committing
        meanwhile (another process included) makes it search again."""
        self.scored_tier(tier)  # a tier the index does not keep fails before any work (the query's encoding)
        query, where, parsed = self.prepare(text, where)
        verifier = self.verifier_for(plan)
        result = self.retrying(lambda index: search_with_plan(query, index, plan, backend, where, verifier), tier)
        result.syntax = parsed
        return result

    def document_groups(self, result: SearchResult) -> list[DocumentGroup]:
        """``result``'s hits per document, copies of one content collapsed (:mod:`.document_groups`)."""
        return group_by_document(self.store, result.hits)

    def info(self) -> dict[str, Any]:
        """What the index holds and costs (:func:`.info.describe_index`), JSON-ready."""
        return describe_index(self.store, self._snapshot(), self.warnings)

    @property
    def read_only(self) -> bool:
        """Whether this collection was opened without the right (or the wish) to write to its index."""
        return self.store.read_only

    @property
    def dim(self) -> int:
        """Width of the index's token vectors (the encoder's output dimension)."""
        return self.store.dim

    @property
    def encoder_identity(self) -> str:
        """The encoder the index was written with, as its manifest names it."""
        return self.store.manifest.get("encoder_identity", "")

    @property
    def storage_tier(self) -> str:
        """How the index keeps its token vectors: ``exact``, ``compact-4`` or ``compact-2`` (:mod:`~workbench.store.tiers`)."""
        return self.store.tier

    @property
    def encoder_runtime(self) -> str:
        """Where the loaded encoder runs ("ONNX Runtime fp32 on the CPU, 2 threads"); "" before it loads."""
        return self._encoder.runtime_detail if self._encoder is not None else ""

    def counts(self) -> CatalogCounts:
        """Live documents, passages, token vectors and segments of the index, from its catalog."""
        return self.store.catalog.counts()

    def documents(self) -> list[DocumentRow]:
        """Every document of the index, indexed or failed, by path."""
        return self.store.catalog.documents()

    def source_path(self, document_id: int) -> Path | None:
        """The file a document was read from (exact bytes of its name), if it is still indexed."""
        raw = self.store.catalog.document_path_bytes(document_id)
        return Path(os.fsdecode(raw)) if raw is not None else None

    # -- writing ---------------------------------------------------------------------------------
    def iter_ingest(
        self, paths: Iterable[str | Path], quick: bool = False, encoding: FileEncoding | None = None
    ) -> Iterator[IngestEvent]:
        """Index files and folders; yields an event per file (and while encoding big ones).

        Unchanged files (same content hash) are skipped, changed ones replace their passages, a new
        name holding the content of an indexed document whose file is gone is that document renamed
        (``renamed``: its passages are kept, nothing is encoded), and a file that cannot be read is
        recorded with its reason while the rest carry on. ``quick``: a file whose size and
        modification time equal the indexed ones counts as unchanged without reading it (rescans of
        watched folders). ``encoding``: where files are parsed and encoded — ``None`` for this process,
        or a pool of workers such as :class:`~workbench.cluster.ray_ingest.RayEncoding`; this process
        stays the index's one writer either way. Closing the generator early (or Ctrl+C) commits every
        document already encoded; a killed process keeps every batch already committed. The pipeline
        itself: :mod:`.ingest_pipeline`.
        """
        if encoding is None:
            encoding = InProcessEncoding(self.encoder)  # a model that cannot load stops the ingest before any file
        else:
            self._require_trusted()  # the workers load it; whether it may run is decided here
        self.ingest_times = IngestTimes()
        background = self._maintenance if self.merge_in_background else None
        try:
            yield from iter_ingest(
                self.store, paths, encoding, self._encoder_spec(), self.ingest_times, quick, background
            )
        finally:
            self._index = None

    def ingest(self, paths: Iterable[str | Path]) -> IngestReport:
        """:meth:`iter_ingest` run to its end, its files sorted by outcome."""
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
        """Tombstone the passages of each path (files, or every indexed file under a folder); passages
        removed per document path (:mod:`.removal`)."""
        try:
            return remove_documents(self.store, paths, self._maintenance if self.merge_in_background else None)
        finally:
            self._index = None

    # -- watched folders (:mod:`.watched_folders`) ---------------------------------------------------
    def watched_folders(self) -> list[Path]:
        """The folders this index follows (kept in its manifest, so every program that opens it knows)."""
        return watched_folders(self.store)

    def set_watched(self, folders: Iterable[str | Path], watched: bool = True) -> list[Path]:
        """Start (``watched``) or stop following ``folders``; returns the folders followed now. Raises
        ``ValueError`` for a path that is not a folder when starting."""
        return set_watched(self.store, folders, watched)

    def iter_sync(self, paths: Iterable[str | Path]) -> Iterator[IngestEvent]:
        """Bring the index in line with ``paths`` that changed on disk: existing ones are ingested, and
        documents at or under a path that is gone are removed (``removed`` events)."""
        return iter_sync(paths, self.iter_ingest, lambda gone: removed_events(self.remove(gone)))

    def iter_rescan(self) -> Iterator[IngestEvent]:
        """Catch up with what changed in the watched folders while nobody watched (see
        :func:`.watched_folders.iter_rescan`); a missing watched folder keeps its documents."""
        return iter_rescan(self.store, self.iter_ingest, lambda gone: removed_events(self.remove(gone)))
