"""An index folder on disk: ``catalog.sqlite`` + ``segments/*.npy``, crash-safe writes, one writer.

Writers hold ``write.lock`` (an advisory ``flock``); readers never take it. A batch of whole documents
becomes visible in one committed transaction that references its already-durable segment file, so a
killed ingest leaves every committed document whole and the rest absent.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .catalog import Catalog, NewDocument
from .centroid_store import CentroidStore
from .schema import FORMAT_VERSION
from .segments import SEGMENT_DIR, read_segment, remove_unreferenced, write_segment

CATALOG_FILE = "catalog.sqlite"
LOCK_FILE = "write.lock"


class IndexFormatError(ValueError):
    """The folder is not an index this version can read; the message names what was found and wanted."""


class IndexStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.catalog = Catalog(root / CATALOG_FILE)
        self.segment_dir = root / SEGMENT_DIR
        self.centroids = CentroidStore(root, lambda key: self.manifest.get(key), self.catalog.set_manifest)

    @classmethod
    def create(cls, root: Path, manifest: dict[str, str]) -> "IndexStore":
        root.mkdir(parents=True, exist_ok=True)
        if (root / CATALOG_FILE).exists():
            raise IndexFormatError(f"{root} already holds an index")
        store = cls(root)
        store.catalog.create({"format_version": str(FORMAT_VERSION), **manifest})
        return store

    @classmethod
    def open(cls, root: Path) -> "IndexStore":
        if not (root / CATALOG_FILE).is_file():
            raise IndexFormatError(f"{root} is not a Kayak index (no {CATALOG_FILE}); create it with "
                              "'workbench ingest FILES --index {root}'".replace("{root}", str(root)))
        store = cls(root)
        found = store.manifest.get("format_version")
        if found != str(FORMAT_VERSION):
            raise IndexFormatError(f"{root} uses index format version {found or 'unknown'}; this Kayak Workbench "
                              f"reads format version {FORMAT_VERSION}. Re-index the files into a new folder.")
        return store

    @property
    def manifest(self) -> dict[str, str]:
        return self.catalog.manifest()

    @contextmanager
    def writer(self) -> Iterator["IndexStore"]:
        """Exclusive write access; tidies files a killed writer left unreferenced."""
        with open(self.root / LOCK_FILE, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexFormatError(f"another process is writing to {self.root}; wait for it to finish") from None
            try:
                remove_unreferenced(self.segment_dir, self.catalog.segment_files())
                self.centroids.remove_unreferenced(self.catalog.segment_files())
                yield self
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add_documents(self, docs: Sequence[NewDocument], vectors: np.ndarray) -> None:
        """Commit whole documents whose passages' ``vec_offset`` index into ``vectors`` ([n, dim])."""
        name = write_segment(self.segment_dir, vectors)
        self.catalog.commit_batch(name, int(vectors.shape[0]), docs)

    def packed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(vectors, starts, lengths, passage_ids)`` of live passages. One segment is memory-mapped
        as is; several are concatenated in memory (ingest compacts, so that is the rare case)."""
        return self.packed_segments()[0]

    def packed_segments(self) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], list[str], list[int]]:
        """:meth:`packed` and the segment files it concatenated, in order, with their vector counts."""
        ids, files, seg_pos, offsets, lengths = self.catalog.live_layout()
        arrays = [a for _, a in self.segments(files)]
        sizes = [int(a.shape[0]) for a in arrays]
        dim = int(self.manifest.get("dim", 128))
        if not arrays:
            empty = np.zeros(0, np.int64)
            return (np.zeros((0, dim), np.float16), empty, empty, empty), files, sizes
        if len(arrays) == 1:
            return (arrays[0], offsets, lengths, ids), files, sizes
        bases = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        return (np.concatenate(arrays), offsets + bases[seg_pos], lengths, ids), files, sizes

    def segments(self, files: list[str] | None = None) -> list[tuple[str, np.ndarray]]:
        """Every referenced segment (or those named), in packing order, memory-mapped — no copy."""
        if files is None:
            files = self.catalog.live_layout()[1]
        return [(f, read_segment(self.segment_dir, f)) for f in files]

    def needs_compaction(self) -> bool:
        c = self.catalog.counts()
        return c["segments"] > 1 or c["tombstones"] > 0

    def compact(self) -> None:
        """Rewrite live vectors into one segment (dropping tombstones), carry their centroid codes
        over, then delete the old files."""
        (vectors, starts, lengths, ids), files, sizes = self.packed_segments()
        order = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lengths)]) if len(ids) else \
            np.empty(0, np.int64)
        new_offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(ids) else lengths
        name = write_segment(self.segment_dir, np.asarray(vectors[order]))
        old = self.catalog.replace_segments(name, int(order.shape[0]),
                                            list(zip(ids.tolist(), new_offsets.tolist())))
        self.centroids.carry_codes(files, name, order, sizes)
        for f in old:
            (self.segment_dir / f).unlink(missing_ok=True)

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())


def fs_path_bytes(path: Path) -> bytes:
    return os.fsencode(path)


def display_path(path: Path) -> str:
    """The path as text for people; bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(path).decode("utf-8", errors="replace")
