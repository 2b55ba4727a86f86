"""A segment's inverted lists on disk, so that opening an index joins stored lists instead of sorting codes.

``centroids/<version>/lists-<segment>`` is one int32 ``.npy`` array::

    [K, P, E,  starts (P),  offsets (K+1),  entries (E)]

``starts`` are the first token rows, in the segment, of the ``P`` passages that were live when the lists
were written (ascending); the passages holding a token of centroid ``c`` are the ordinals
``entries[offsets[c]:offsets[c+1]]`` (ascending, each once). A passage tombstoned later is dropped when
the lists are joined (:func:`~workbench.core.inverted_lists.join_lists`); a live passage missing from
``starts`` means the lists are stale, and the reader lists the segment again in memory.

The file is derived data, written by the writer that writes (or codes) the segment and checked when read:
a file of the wrong shape, with offsets out of order or an entry past ``P``, counts as absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..core.inverted_lists import inverted_lists
from .centroid_arrays import load_npy
from .files import save_array
from .paths import is_regular_file, is_segment_name
from .segments import SegmentDamaged

HEADER = 3  # K, P, E


@dataclass(frozen=True)
class SegmentLists:
    """One segment's lists: ``starts`` int64 ``[P]`` (passage start rows in the segment), ``offsets`` int64
    ``[K+1]``, ``entries`` int32 ``[E]`` (passage ordinals)."""

    starts: NDArray[np.int64]
    offsets: NDArray[np.int64]
    entries: NDArray[np.int32]

    def row_of(self, live_starts: NDArray[np.int64], first_row: int) -> NDArray[np.int64] | None:
        """int64 ``[P]``: the snapshot row of each listed passage (-1: no longer live), given the start rows
        of the segment's live passages (ascending) and the snapshot row of the first; ``None`` when a live
        passage is not listed (the lists are stale)."""
        at = np.searchsorted(self.starts, live_starts)
        if at.shape[0] and (int(at[-1]) >= self.starts.shape[0] or not np.array_equal(self.starts[at], live_starts)):
            return None
        rows = np.full(self.starts.shape[0], -1, np.int64)
        rows[at] = first_row + np.arange(at.shape[0], dtype=np.int64)
        return rows


def list_segment(
    codes: NDArray[np.int32], starts: NDArray[np.int64], lengths: NDArray[np.int64], n_centroids: int
) -> SegmentLists:
    """The lists of a segment's live passages (``starts``/``lengths`` int64 ``[P]``, token rows in the segment,
    ascending) from its token ``codes`` (int32 ``[n]``, each in ``[0, n_centroids)``)."""
    offsets, entries = inverted_lists(codes, starts, lengths, n_centroids)
    return SegmentLists(np.asarray(starts, np.int64), offsets, entries)


def save_lists(path: Path, lists: SegmentLists) -> None:
    """Write ``lists`` durably to ``path`` (one int32 array, replaced in one rename)."""
    k, p, e = lists.offsets.shape[0] - 1, lists.starts.shape[0], lists.entries.shape[0]
    whole = np.concatenate(
        (np.array([k, p, e], np.int64), lists.starts, lists.offsets, lists.entries.astype(np.int64))
    ).astype(np.int32)
    save_array(path, whole, f"the inverted lists of {p:,} passages")


def read_lists(path: Path, n_vectors: int, n_centroids: int) -> SegmentLists | None:
    """The lists at ``path`` for a segment of ``n_vectors`` token rows under a table of ``n_centroids``
    (older lists may know fewer); ``None`` when absent or not as :func:`save_lists` writes them."""
    a = load_npy(path)
    if a is None or a.dtype != np.int32 or a.ndim != 1 or a.shape[0] < HEADER:
        return None
    k, p, e = (int(x) for x in a[:HEADER])
    if not (1 <= k <= n_centroids and 0 <= p <= n_vectors and e >= 0 and a.shape[0] == HEADER + p + k + 1 + e):
        return None
    starts = a[HEADER : HEADER + p].astype(np.int64)
    offsets = a[HEADER + p : HEADER + p + k + 1].astype(np.int64)
    entries = a[HEADER + p + k + 1 :]
    if p and (int(starts[0]) < 0 or int(starts[-1]) >= n_vectors or bool(np.any(np.diff(starts) <= 0))):
        return None
    if int(offsets[0]) != 0 or int(offsets[-1]) != e or bool(np.any(np.diff(offsets) < 0)):
        return None
    if e and (int(entries.min()) < 0 or int(entries.max()) >= p):  # an entry past P would index past row_of
        return None
    return SegmentLists(starts, offsets, np.ascontiguousarray(entries))


def lists_path(folder: Path, segment: str) -> Path | None:
    """``folder/lists-<segment>``, for a segment name this program writes (else ``None``: no path is formed)."""
    return folder / f"lists-{segment}" if is_segment_name(segment) else None


def write_lists(
    path: Path, codes: NDArray[np.int32], starts: NDArray[np.int64], lengths: NDArray[np.int64], n_centroids: int
) -> None:
    """Store at ``path`` the lists of a segment's live passages (``starts``/``lengths`` int64, token rows in
    the segment, ascending) from its ``codes``. Codes outside ``[0, n_centroids)`` raise
    :class:`~.segments.SegmentDamaged`: this is where a coded segment's codes are checked whole (readers
    check the rows they decode or score, never reading every row of a file on open)."""
    if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= n_centroids):
        raise SegmentDamaged(f"vector segment {path.name[6:]} holds centroid codes outside the centroid table")
    save_lists(path, list_segment(codes, starts, lengths, n_centroids))


def link_lists(old: Path, new: Path, segment_files: Iterable[str]) -> None:
    """Hard-link the lists of ``segment_files`` from version folder ``old`` into ``new`` (a version whose table
    keeps the old centroids as its first ones, so a segment's lists stay true)."""
    for name in segment_files:
        source, target = lists_path(old, name), lists_path(new, name)
        if source is not None and target is not None and is_regular_file(source):
            try:
                os.link(source, target)
            except OSError:
                continue  # derived data: the next writer lists the segment again
