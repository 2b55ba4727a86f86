"""Merging segments in a streaming pass with bounded memory (the policy is :mod:`.merge_policy`).

The live passages of the merged segments are copied, in packing order, into one new segment a chunk
of about ``CHUNK_VECTORS`` vectors at a time (a gather from the old memory maps into a memory map of
the new file); their centroid codes and residuals are carried by the same kind of pass. The new
files are flushed and renamed into place, then one committed transaction points the passages at the
new segment and drops the old ones, whose files are deleted afterwards. A search that opened the old
segments keeps reading them (Linux keeps a deleted file alive while it is mapped); a writer killed
at any moment leaves either the old segments or the new one referenced, never a mix.

A merge runs on a thread of its own at a lower CPU priority (:func:`below_normal_priority`, Linux
nice +10 for that thread only), as Lucene throttles its merges: on a machine of two cores a search
started meanwhile gets the CPU first. Stopping it (Ctrl+C, a closed ingest) between chunks removes the
partial file; the merge is simply due again next time.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray

from ..core.packed import gather_indices, token_chunks
from ..platform.faults import fault_point
from .centroid_codes import code_rows
from .errors import DiskFull
from .files import fsync_dir, save_array_streaming
from .paths import index_folder, remove_own_entries
from .segment_listing import join_merged_lists
from .segment_lists import lists_path, write_lists
from .segments import SEGMENT_DIR, STORAGE_DTYPE, coded_bits, read_segment

if TYPE_CHECKING:
    from .catalog import Catalog
    from .catalog.segments import LiveLayout
    from .centroid_store import CentroidStore

CHUNK_VECTORS = 1 << 18  # vectors gathered per step: 64 MiB of float16 at dim 128
FREE_MARGIN_BYTES = 16 << 20  # room a merge leaves for the catalog's own growth
MERGE_NICENESS = 10  # added to the merging thread's nice value (searches and the GUI go first)
T = TypeVar("T")


class MergeStopped(Exception):
    """A merge was stopped between chunks; nothing of it was kept."""


def below_normal_priority(work: Callable[[threading.Event], T], stop: threading.Event | None = None) -> T:
    """``work(stop)`` on a new thread whose nice value is raised by ``MERGE_NICENESS`` (Linux sets it per
    thread; elsewhere the thread runs at normal priority), waiting for it here. An exception in it is
    raised here; one here (Ctrl+C) sets ``stop`` (a new event unless given) and waits for the work to
    notice."""
    box: dict[str, object] = {}
    stop = stop if stop is not None else threading.Event()

    def body() -> None:
        if sys.platform.startswith("linux"):
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), MERGE_NICENESS)
            except OSError:
                pass  # a priority we may not lower is no reason not to merge
        try:
            box["result"] = work(stop)
        except BaseException as exc:  # noqa: BLE001 — handed to the waiting thread
            box["error"] = exc

    thread = threading.Thread(target=body, name="kayak-merge", daemon=True)  # a killed merge loses nothing
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except BaseException:
        stop.set()
        thread.join()
        raise
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("result")  # type: ignore[return-value]


@dataclass(frozen=True)
class MergeTarget:
    """The parts of an index a merge reads and writes: its folder, vector width, catalog and centroid
    codes (passed in, so that this module needs nothing of :class:`~.index_store.IndexStore`)."""

    root: Path
    dim: int
    catalog: Catalog
    centroids: CentroidStore


def merge_segments(store: MergeTarget, files: Sequence[str], stop: threading.Event | None = None) -> str | None:
    """Merge segments ``files`` of ``store`` (the caller holds a writer session and the index's merge
    lock) into one, on a thread of lower priority; returns the new segment's file, or ``None`` when none of
    their passages is live (their rows are simply dropped). ``stop`` set: :class:`MergeStopped` between
    chunks, nothing kept. Raises :class:`~.errors.DiskFull` before writing when the disk cannot hold
    the new segment."""
    return below_normal_priority(lambda event: _merge(store, files, event), stop)


def _merge(store: MergeTarget, files: Sequence[str], stop: threading.Event) -> str | None:
    layout = store.catalog.live_layout()
    files = list(files)
    members = [layout.segment_files.index(f) for f in files if f in layout.segment_files]
    rows = np.flatnonzero(np.isin(layout.segment_of, members))  # packing order: segment, then offset
    lengths = layout.lengths[rows]
    n_out = int(lengths.sum())
    folder = index_folder(store.root, SEGMENT_DIR, create=True)
    if n_out == 0:
        store.catalog.replace_segments(None, 0, [], files)
        _remove_merged(store, folder, files)
        return None
    dim = store.dim
    # Coded segments merge into a coded one (rows copied as they are; a float16 segment of the same merge,
    # written before the centroids existed, is coded on the way); float16 ones into float16.
    bits = max(coded_bits(f) for f in files)
    coding = store.centroids.coding(dim) if bits else None
    dtype, width = (np.dtype(np.uint8), 4 + dim * bits // 8) if bits else (np.dtype(STORAGE_DTYPE), dim)
    needed = n_out * width * dtype.itemsize
    if shutil.disk_usage(folder).free < needed + FREE_MARGIN_BYTES:
        raise DiskFull(folder, f"a merged vector segment of {needed / 2**20:,.0f} MB", needed)
    sizes = dict(zip(layout.segment_files, layout.segment_sizes))
    arrays = {f: read_segment(folder, f, sizes[f], dim) for f in files if f in sizes}
    seg_files = [layout.segment_files[p] for p in layout.segment_of[rows]]
    offsets = layout.offsets[rows]

    def pieces(i: int, j: int) -> Iterator[tuple[str, NDArray[np.int64]]]:
        k = i
        while k < j:  # rows of one segment are consecutive: one gather per run
            f = seg_files[k]
            end = k + 1
            while end < j and seg_files[end] == f:
                end += 1
            yield f, gather_indices(offsets[k:end], lengths[k:end])
            k = end

    chunks = list(token_chunks(lengths, CHUNK_VECTORS))
    name = f"seg-{uuid.uuid4().hex}" + (f".c{bits}.npy" if bits else ".npy")

    def fill(out: NDArray[np.float16] | NDArray[np.uint8]) -> None:
        pos = 0
        for i, j in chunks:
            if stop.is_set():
                raise MergeStopped("the merge was stopped")
            for f, idx in pieces(i, j):
                rows = arrays[f][idx]
                if coding is not None and not coded_bits(f):
                    rows = code_rows(np.asarray(rows, dtype=np.float32), *coding)
                out[pos : pos + idx.shape[0]] = rows
                pos += idx.shape[0]

    if bits and coding is None:
        raise MergeStopped("coded segments cannot be merged without their centroid table")
    save_array_streaming(folder / name, (n_out, width), dtype, fill, f"a merged vector segment ({n_out:,} vectors)")
    fsync_dir(folder)
    fault_point("merge.segment-written")
    if not bits:  # a coded segment holds its own codes
        store.centroids.carry_codes(
            [f for f in files if f in sizes], [sizes[f] for f in files if f in sizes], name, n_out, chunks, pieces
        )
    new_offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    _list_merged(store, name, folder, layout, rows, new_offsets, lengths)
    fault_point("merge.lists-written")
    store.catalog.replace_segments(
        name, n_out, list(zip(layout.passage_ids[rows].tolist(), new_offsets.tolist())), files
    )
    fault_point("merge.committed")
    _remove_merged(store, folder, files)
    return name


def _list_merged(
    store: MergeTarget,
    name: str,
    folder: Path,
    layout: LiveLayout,
    rows: NDArray[np.int64],
    starts: NDArray[np.int64],
    lengths: NDArray[np.int64],
) -> None:
    """The merged segment's inverted lists, before the catalog references it: its old segments' stored
    lists joined (no code read, no sort), else listed from its codes. ``rows``: the layout rows merged, in
    output order; ``starts``/``lengths``: the output passages. Derived data: when neither works (no
    centroids, codes not written), the next writer or reader lists it."""
    seg_pos = layout.segment_of[rows]  # non-decreasing: the merge keeps the packing order
    pieces = []
    for p in np.unique(seg_pos):
        lo, hi = (int(x) for x in np.searchsorted(seg_pos, [p, p + 1]))
        pieces.append((layout.segment_files[p], layout.segment_sizes[p], layout.offsets[rows[lo:hi]], lo))
    if join_merged_lists(store.centroids, name, pieces, starts):
        return
    target = store.centroids.lists_folder()
    codes = store.centroids.segment_codes(name, read_segment(folder, name, int(lengths.sum()), store.dim))
    path = lists_path(target[0], name) if target is not None else None
    if target is not None and codes is not None and path is not None:
        write_lists(path, codes, starts, lengths, target[1])


def _remove_merged(store: MergeTarget, folder: Path, files: Sequence[str]) -> None:
    """Delete the merged segments' files and codes, now that the catalog no longer references them
    (readers that mapped them keep their mapping). Only these: an ingest of this process may be writing
    a segment the catalog does not reference yet."""
    referenced = store.catalog.segment_files()
    gone = {f for f in files if f not in referenced}
    remove_own_entries(folder, lambda name: name in gone, keep=referenced, temporaries=False)
    store.centroids.remove_segment_parts(gone)
