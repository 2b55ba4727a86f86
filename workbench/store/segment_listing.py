"""Keeping an index's segments listed: the writer steps that store a segment's inverted lists
(:mod:`.segment_lists`) — for every segment that has codes but no lists, and for a merged segment by
joining its old segments' lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ..core.inverted_lists import ListPart, join_lists
from ..platform.faults import fault_point
from .paths import is_regular_file
from .segment_lists import SegmentLists, lists_path, read_lists, save_lists, write_lists
from .segments import SegmentDamaged

if TYPE_CHECKING:
    from .catalog import Catalog
    from .centroid_store import CentroidStore


def list_segments(
    centroids: CentroidStore, catalog: Catalog, segments: Iterable[tuple[str, NDArray[np.float16] | NDArray[np.uint8]]]
) -> list[tuple[str, str]]:
    """Store the lists of every one of ``segments`` (an index's, read by memory map; the caller holds its
    writer lock) that has codes but no lists under the current centroids. A coded segment whose codes fall
    outside the centroid table is dropped as damaged; returns ``(document path, reason)`` of the documents
    it held, handed back as failed."""
    target = centroids.lists_folder()
    dropped: list[tuple[str, str]] = []
    if target is None:
        return dropped
    folder, k = target
    for name, array in segments:
        path = lists_path(folder, name)
        if path is None or is_regular_file(path):
            continue
        codes = centroids.segment_codes(name, array)
        if codes is None:
            continue  # a float16 segment not coded yet: listed once it is
        try:
            write_lists(path, codes, *catalog.live_spans_in(name), k)
            fault_point("lists.written")
        except SegmentDamaged as exc:
            reason = f"its vectors were lost ({exc}); ingest it again"
            dropped += [(p, reason) for p in catalog.drop_damaged_segment(name, reason)]
    return dropped


def join_merged_lists(
    centroids: CentroidStore,
    new_segment: str,
    pieces: list[tuple[str, int, NDArray[np.int64], int]],
    starts: NDArray[np.int64],
) -> bool:
    """After a merge: the new segment's lists joined from its old segments' stored ones (no code read, no
    sort). ``pieces``: per old segment in merge order, ``(file, its token rows, start rows of its passages
    kept, their first ordinal in the new segment)``; ``starts``: the new segment's passage start rows.
    Returns whether it could (every old segment had usable lists)."""
    target = centroids.lists_folder()
    out = lists_path(target[0], new_segment) if target is not None else None
    if target is None or out is None:
        return False
    folder, k = target
    parts: list[ListPart] = []
    for old, size, kept_starts, first in pieces:
        path = lists_path(folder, old)
        stored = read_lists(path, size, k) if path is not None else None
        row_of = stored.row_of(kept_starts, first) if stored is not None else None
        if stored is None or row_of is None:
            return False
        parts.append((stored.offsets, stored.entries, row_of))
    offsets, entries = join_lists(parts, k)
    save_lists(out, SegmentLists(starts, offsets, entries))
    return True
