"""An index folder on disk: ``catalog.sqlite`` + ``segments/*.npy``, crash-safe writes, one writer.

Writers hold ``write.lock`` (an advisory ``flock``); readers never take it, and a store opened
``read_only`` never writes a byte. A batch of documents becomes visible in one committed transaction that
references its already-durable segment file, so a killed ingest leaves every committed document whole
and the rest absent — but for a big file committed in parts, whose committed passages stay (its row
without a content hash until its last part, so the next ingest indexes it again in full). Nothing
outside the folder is ever read, written or deleted (:mod:`.paths`): a new index is only made in a
missing or empty folder.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core import IndexChanged, PassageFilter, PassageInfo
from ..core.residual_vectors import ResidualVectors
from ..core.residuals import row_codes
from ..core.segmented import SegmentedVectors
from ..platform.faults import fault_point
from .catalog import FORMAT_VERSION, READABLE_VERSIONS, Catalog, NewDocument, Ranking
from .centroid_codes import code_rows, mean_cosine
from .centroid_store import CentroidStore
from .errors import IndexExists, IndexFormatError, IndexNotCreated, IndexReadOnly, UnsafeIndexError
from .files import tree_bytes
from .merge import MergeTarget, merge_segments
from .merge_policy import SegmentStats, next_merge
from .paths import check_not_special, index_folder
from .segment_listing import list_segments
from .segments import (
    SEGMENT_DIR,
    SegmentDamaged,
    coded_bits,
    map_segment,
    read_segment,
    readable_segment,
    remove_unreferenced,
    write_coded_segment,
    write_segment,
)
from .tiers import keeps_exact, stored_bits, tier_of
from .write_lock import LOCK_FILE, take_write_lock

CATALOG_FILE = "catalog.sqlite"
OWN_NAMES = {CATALOG_FILE, f"{CATALOG_FILE}-wal", f"{CATALOG_FILE}-shm", LOCK_FILE}


@dataclass
class PackedSegments:
    """The live passages packed (see :class:`~workbench.core.LateIndex`), read at catalog ``generation``:
    ``vectors`` ``[T, dim]`` float16 (a memory map, or several as one :class:`SegmentedVectors`), ``starts``/``lengths``/
    ``passage_ids`` int64 ``[n]``; ``files``/``sizes`` the segments in packing order; ``damaged`` maps a
    segment file that could not be read to the reason (its passages are left out)."""

    vectors: NDArray[np.float16] | ResidualVectors | SegmentedVectors[np.float16]  # coded: a compact tier
    starts: NDArray[np.int64]
    lengths: NDArray[np.int64]
    passage_ids: NDArray[np.int64]
    files: list[str]
    sizes: list[int]
    generation: int
    damaged: dict[str, str] = field(default_factory=dict)


class SnapshotCatalog:
    """The catalog as a :class:`~workbench.core.LateIndex` sees it: descriptions are checked against the
    generation its layout was read at, so a writer's changes surface as ``IndexChanged``."""

    def __init__(self, catalog: Catalog, generation: int) -> None:
        self.catalog = catalog
        self.generation = generation

    def describe(self, passage_ids: Sequence[int]) -> list[PassageInfo]:
        return self.catalog.describe(passage_ids, self.generation)

    def lexical_search(self, text: str, k: int, where: PassageFilter | None = None) -> Ranking:
        return self.catalog.lexical_search(text, k, where)

    def passage_ids_where(self, where: PassageFilter) -> NDArray[np.int64]:
        return self.catalog.passage_ids_where(where)


class IndexStore:
    def __init__(self, root: Path, read_only: bool = False) -> None:
        self.root = root
        self.read_only = read_only
        self.catalog = Catalog(root / CATALOG_FILE, read_only)
        self.dropped: list[tuple[str, str]] = []  # documents the last writer found with lost vectors
        self.merge_lock = threading.Lock()  # one merge at a time in this process
        self._session_lock = threading.Lock()
        self._sessions = 0  # writer sessions open in this process (threads share the lock)
        self._lock_fd: int | None = None
        self._stats: tuple[int, list[SegmentStats]] | None = None  # (generation, segment_stats) cache
        self.centroids = CentroidStore(root, lambda key: self.manifest.get(key), self.catalog.set_manifest)

    @staticmethod
    def check_creatable(root: Path) -> None:
        """Raise :class:`UnsafeIndexError` unless ``root`` is missing or an empty folder: an index never
        moves into a folder holding someone else's files (its cleanup would delete them)."""
        if root.is_symlink() and not root.exists():
            raise UnsafeIndexError(f"{root} is a broken symbolic link; choose a new folder for the index")
        if not root.exists():
            return
        if not root.is_dir():
            raise UnsafeIndexError(f"{root} is a file, not a folder; choose a new folder for the index")
        foreign = sorted(e.name for e in os.scandir(root) if e.name not in OWN_NAMES)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise UnsafeIndexError(
                f"{root} is not a Kayak index but already holds files ({shown}); an index is "
                "only created in a new or empty folder, so choose another"
            )

    @staticmethod
    def is_created(root: Path) -> bool:
        """Whether ``root`` holds an index (a catalog with its manifest). Anything at the catalog's name
        that is not a regular file counts as one, so that :meth:`open` refuses it with its reason."""
        catalog = root / CATALOG_FILE
        if not (catalog.exists() or catalog.is_symlink()):
            return False
        if catalog.is_symlink() or not catalog.is_file():
            return True
        probe = Catalog(catalog, read_only=True)
        try:
            return probe.is_created()
        finally:
            probe.close()

    @classmethod
    def needs_creating(cls, root: Path) -> bool:
        """``False`` when ``root`` holds an index already (perhaps one another process has just made),
        ``True`` when a new one may be made there; :class:`UnsafeIndexError` (see
        :meth:`check_creatable`) when the folder holds someone else's files."""
        if cls.is_created(root):
            return False
        try:
            cls.check_creatable(root)
        except UnsafeIndexError:
            if cls.is_created(root):  # another process created it (and wrote to it) since the first look
                return False
            raise
        return True

    @classmethod
    def create(cls, root: Path, manifest: dict[str, str]) -> IndexStore:
        """Make a new index in ``root`` (missing or empty). Creation holds the writer lock and commits the
        schema and manifest in one transaction, so a process killed meanwhile leaves a catalog the next
        call creates again. Raises :class:`IndexExists` when another process created it first."""
        if not cls.needs_creating(root):
            raise IndexExists(f"{root} already holds an index")
        root.mkdir(parents=True, exist_ok=True)
        fd = take_write_lock(root)
        try:
            store = cls(root)
            if store.catalog.is_created():
                raise IndexExists(f"{root} already holds an index")
            store.catalog.create({"format_version": str(FORMAT_VERSION), **manifest})
            return store
        finally:
            os.close(fd)

    @classmethod
    def open(cls, root: Path, read_only: bool | None = None) -> IndexStore:
        """Open an existing index. ``read_only``: ``True`` never writes (searching, inspecting); ``None``
        opens for writing where the folder allows it, read-only elsewhere."""
        catalog = root / CATALOG_FILE
        if not root.is_dir() or not (catalog.is_file() or catalog.is_symlink()):
            raise IndexFormatError(
                f"{root} is not a Kayak index (no {CATALOG_FILE}); create it with "
                f"'workbench ingest FILES --index {root}'"
            )
        check_not_special(catalog)
        index_folder(root, SEGMENT_DIR)  # a linked segments/ folder is refused before anything is read
        if read_only is None:
            read_only = not (os.access(root, os.W_OK) and os.access(catalog, os.W_OK))
        store = cls(root, read_only)
        if not store.catalog.is_created():
            raise IndexNotCreated(
                f"{root} holds no index yet: its creation was interrupted before it finished; "
                f"run 'workbench ingest FILES --index {root}' to create it"
            )
        found = store.manifest.get("format_version")
        if found not in READABLE_VERSIONS:
            raise IndexFormatError(
                f"{root} uses index format version {found or 'unknown'}; this Kayak Workbench "
                f"reads format versions {', '.join(READABLE_VERSIONS)}. Re-index the files into a "
                "new folder."
            )
        if not read_only:
            store.catalog.migrate()  # additive: version 1 gains the version-2 tables
        return store

    @property
    def segment_dir(self) -> Path:
        """Where the segments live (``segments/`` inside the index; it may not exist yet)."""
        return self.root / SEGMENT_DIR

    @property
    def manifest(self) -> dict[str, str]:
        return self.catalog.manifest()

    @property
    def dim(self) -> int:
        try:
            return int(self.manifest.get("dim", 128))
        except ValueError:
            raise IndexFormatError(f"{self.root}: the manifest's dim is not a number") from None

    @contextmanager
    def writer(self) -> Iterator[IndexStore]:
        """Exclusive write access for this process (see :meth:`acquire_writer`)."""
        self.acquire_writer()
        try:
            yield self
        finally:
            self.release_writer()

    def acquire_writer(self) -> None:
        """Enter a writer session. The first session of this process takes ``write.lock`` (another
        process writing raises :class:`IndexFormatError`) and tidies: segments whose files are damaged
        hand their documents back as failed (the next ingest indexes them again), and files a killed
        writer left are removed. Threads of this process share the lock — an ingest commits while a
        background merge runs — so later sessions tidy nothing (their files may be in flight)."""
        if self.read_only:
            raise IndexReadOnly(self.root)
        with self._session_lock:
            if self._sessions == 0:
                fd = take_write_lock(self.root)
                try:
                    self.dropped = self._drop_damaged_segments()
                    segment_dir = index_folder(self.root, SEGMENT_DIR)
                    if segment_dir is not None:
                        remove_unreferenced(segment_dir, self.catalog.segment_files())
                    self.centroids.remove_unreferenced(self.catalog.segment_files())
                except BaseException:
                    os.close(fd)
                    raise
                self._lock_fd = fd
            else:
                self.dropped = []
            self._sessions += 1

    def release_writer(self) -> None:
        """Leave a writer session; the last one of this process releases ``write.lock``."""
        with self._session_lock:
            self._sessions -= 1
            if self._sessions == 0 and self._lock_fd is not None:
                os.close(self._lock_fd)  # closing the descriptor releases the lock
                self._lock_fd = None

    def _drop_damaged_segments(self) -> list[tuple[str, str]]:
        """``(document path, reason)`` for every document whose segment file is lost or damaged, after
        marking it failed in the catalog."""
        folder = index_folder(self.root, SEGMENT_DIR)
        dim = self.dim
        dropped = []
        sizes = self.catalog.segment_sizes()  # not the passage layout: O(segments) per ingest
        coding = self.centroids.coding(dim) if any(coded_bits(n) for n, _ in sizes) else None
        for name, size in sizes:
            try:
                # A coded segment whose centroid table is lost cannot be decoded: its documents are handed
                # back before anything trains a new table (which its codes would then misread).
                readable_segment(map_segment(folder, name, size, dim), name, coding)
            except SegmentDamaged as exc:
                reason = f"its vectors were lost ({exc}); ingest it again"
                dropped += [(path, reason) for path in self.catalog.drop_damaged_segment(name, reason)]
        return dropped

    @property
    def tier(self) -> str:
        """The storage tier (:mod:`.tiers`): ``exact``, ``compact-4`` or ``compact-2``."""
        return tier_of(self.manifest)

    @property
    def keeps_exact(self) -> bool:
        """Whether this compact index keeps its float16 vectors too (:func:`~.tiers.keeps_exact`)."""
        return keeps_exact(self.manifest)

    def add_documents(self, docs: Sequence[NewDocument], vectors: NDArray[np.floating[Any]]) -> None:
        """Commit documents (whole, or a big file's parts: :class:`NewDocument`) whose passages'
        ``vec_offset`` index into ``vectors`` ([n, dim]); no vectors (the last part of a file, empty): no
        segment is written. A compact index stores them coded against its centroids — or, before it has
        any, as float16 vectors that its first training compacts (and always as float16
        vectors when it keeps its exact vectors: their codes are then derived data)."""
        n = int(vectors.shape[0])
        folder = index_folder(self.root, SEGMENT_DIR, create=True)
        bits = stored_bits(self.manifest) if n else 0
        coding = self.centroids.coding(self.dim) if bits else None
        if coding is not None and coding[1].nbits == bits:
            rows = code_rows(vectors, *coding)
            name: str | None = write_coded_segment(folder, rows, bits)
            self.centroids.note_added(n, mean_cosine(vectors, coding[0], row_codes(rows)))
        else:
            name = write_segment(folder, vectors) if n else None
        fault_point("ingest.segment-written")
        self.catalog.commit_batch(name, n, docs)
        fault_point("ingest.committed")

    def packed_segments(self) -> PackedSegments:
        """The live passages as one packed array: one segment's memory map, or several laid end to end
        (:class:`~workbench.core.segmented.SegmentedVectors`, nothing copied). A segment that cannot be read
        is left out and named in ``damaged``; one deleted by a writer that committed after the layout
        was read raises :class:`~workbench.core.IndexChanged`."""
        layout = self.catalog.live_layout()
        folder = index_folder(self.root, SEGMENT_DIR)
        dim = self.dim
        coding = self.centroids.coding(dim) if any(map(coded_bits, layout.segment_files)) else None
        arrays: dict[str, NDArray[np.float16] | ResidualVectors] = {}
        damaged: dict[str, str] = {}
        for name, size in zip(layout.segment_files, layout.segment_sizes):
            try:
                arrays[name] = readable_segment(map_segment(folder, name, size, dim), name, coding)
            except SegmentDamaged as exc:
                if self.catalog.generation() != layout.generation:
                    raise IndexChanged(f"a writer replaced segment {name} while the index was being opened") from None
                damaged[name] = str(exc)
        keep = [i for i, name in enumerate(layout.segment_files) if name in arrays]
        files = [layout.segment_files[i] for i in keep]
        sizes = [layout.segment_sizes[i] for i in keep]
        rows = np.isin(layout.segment_of, keep)
        seg_pos = np.searchsorted(np.array(keep, dtype=np.int64), layout.segment_of[rows])
        offsets, lengths, ids = layout.offsets[rows], layout.lengths[rows], layout.passage_ids[rows]
        if not files:
            empty = np.zeros(0, np.int64)
            return PackedSegments(
                np.zeros((0, dim), np.float16), empty, empty, empty, [], [], layout.generation, damaged
            )
        if len(files) == 1:
            return PackedSegments(arrays[files[0]], offsets, lengths, ids, files, sizes, layout.generation, damaged)
        # the memory maps end to end, no copy (coded segments read as float32 arrays beside float16 ones)
        vectors = SegmentedVectors([arrays[f] for f in files])  # type: ignore[misc]
        return PackedSegments(
            vectors, offsets + vectors.bases[seg_pos], lengths, ids, files, sizes, layout.generation, damaged
        )

    def segments(self) -> list[tuple[str, NDArray[np.float16] | NDArray[np.uint8]]]:
        """Every readable segment, in packing order, memory-mapped — no copy. For writers, after
        :meth:`writer` has dropped damaged segments. Read from the segments table, not the passage layout
        (O(segments))."""
        folder = index_folder(self.root, SEGMENT_DIR)
        if folder is None:
            return []
        out = []
        for f, n in self.catalog.segment_sizes():
            try:
                out.append((f, read_segment(folder, f, n, self.dim)))
            except SegmentDamaged:
                continue  # its documents were handed back on entry; the merge policy drops it
        return out

    def code_float16_segments(self) -> None:
        """Give every float16 segment without them its centroid codes and residuals under the current centroids
        (derived data: :meth:`~.centroid_store.CentroidStore.code_new_segments`); coded segments hold their own.
        Then every segment without them gets its stored inverted lists (:func:`.segment_listing.list_segments`)."""
        float16 = [(f, v) for f, v in self.segments() if not coded_bits(f)]
        self.centroids.code_new_segments(float16)  # type: ignore[arg-type]  # coded_bits 0: float16 arrays
        list_segments(self.centroids, self.catalog, self.segments())

    def segment_stats(self) -> list[SegmentStats]:
        """The catalog's :meth:`~.catalog.Catalog.segment_stats` (one pass over the passages), kept while
        the catalog's generation stays the same: the merge policy and the centroid check share it."""
        generation = self.catalog.generation()
        if self._stats is None or self._stats[0] != generation:
            self._stats = (generation, self.catalog.segment_stats())
        return self._stats[1]

    def live_vectors(self) -> int:
        """Token vectors of live passages."""
        return sum(s.live_vectors for s in self.segment_stats())

    def merge(self, files: Sequence[str], stop: threading.Event | None = None) -> str | None:
        """Merge segments ``files`` into one, live passages only (see :mod:`.merge`); writers only, one
        merge at a time (``merge_lock``). ``stop`` set: the merge gives up between chunks."""
        with self.merge_lock:
            return merge_segments(self._merge_target(), files, stop)

    def _merge_target(self) -> MergeTarget:
        return MergeTarget(self.root, self.dim, self.catalog, self.centroids)

    def next_merge(self) -> tuple[list[str], int] | None:
        """The merge the tiered policy (:mod:`.merge_policy`) asks for now — its segment files and the
        live token vectors they hold — or ``None``."""
        stats = self.segment_stats()
        files = next_merge(stats)
        return (files, sum(s.live_vectors for s in stats if s.file in files)) if files else None

    def maybe_merge(self, stop: threading.Event | None = None) -> list[list[str]]:
        """Carry out every merge the tiered policy asks for now (until ``stop`` is set); returns them."""
        done = []
        while not (stop is not None and stop.is_set()):
            with self.merge_lock:  # choose and merge under one lock: no two merges pick a segment
                due = self.next_merge()
                if due is None:
                    break
                merge_segments(self._merge_target(), due[0], stop)
            done.append(due[0])
        return done

    def compact(self) -> None:
        """Merge every segment into one, dropping tombstones (an explicit full merge)."""
        files = [s.file for s in self.segment_stats()]
        if files:
            self.merge(files)

    def disk_bytes(self) -> int:
        """Bytes of the index's own files (links are not followed): :func:`.files.tree_bytes`."""
        return tree_bytes(self.root)
