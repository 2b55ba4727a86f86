"""Inverted lists of a centroid index: for each centroid, the passages holding one of its tokens.

Lists are built from token codes by sorting (:func:`inverted_lists`, ``O(T log T)``) once per segment, when
the segment is written; opening an index only joins the segments' stored lists (:func:`join_lists`,
``O(entries)``, no sort), dropping tombstoned passages on the way — as Lucene keeps postings per immutable
segment and a reader skips deleted documents.

A list is in CSR form: ``offsets`` int64 ``[K+1]`` and ``rows`` int32, the rows holding a token of centroid
``c`` being ``rows[offsets[c]:offsets[c+1]]``, each once, ascending.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .packed import gather_indices, token_chunks
from .ranking import sorted_unique

ListPart = tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.int64]]
"""One segment's lists for :func:`join_lists`: ``(offsets int64 [K_s+1], entries int32, row_of int64 [P_s])``
— entries are the segment's passage ordinals; ``row_of`` maps each ordinal to its output row (-1: dropped)."""


def inverted_lists(
    codes: NDArray[np.int32], starts: NDArray[np.int64], lengths: NDArray[np.int64], n_centroids: int
) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """``(offsets, rows)`` from token ``codes`` (int32 ``[T]``, indexed by token row) and the passage layout
    ``starts``/``lengths`` (int64 ``[n]``): row ``i`` is on the list of every centroid coding one of its tokens."""
    n = starts.shape[0]
    pairs = []
    for i, j in token_chunks(lengths, 1 << 22):
        tok = np.asarray(codes[gather_indices(starts[i:j], lengths[i:j])]).astype(np.int64)
        rows = np.repeat(np.arange(i, j, dtype=np.int64), lengths[i:j])
        pairs.append(sorted_unique(tok * n + rows))
    merged = sorted_unique(np.concatenate(pairs)) if pairs else np.empty(0, np.int64)
    list_codes = merged // max(n, 1)
    offsets = np.searchsorted(list_codes, np.arange(n_centroids + 1)).astype(np.int64)
    return offsets, (merged % max(n, 1)).astype(np.int32)


def join_lists(parts: Sequence[ListPart], n_centroids: int) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """The lists of several segments as one ``(offsets int64 [K+1], rows int32)``, in ``O(entries)``.

    Each part's ``row_of`` must be increasing over the ordinals it keeps, and every row of a part must lie
    below those of the next part (the packing order), so each joined list stays ascending without a sort.
    A part may know fewer centroids than ``n_centroids`` (lists written before the table grew): the new
    centroids' lists are empty there. Memory: the output and one part's temporaries.
    """
    if len(parts) == 1:  # the kept entries are in list order already: nothing to scatter
        rows, codes, counts = _kept(*parts[0], n_centroids)
        return np.concatenate(([0], np.cumsum(counts))).astype(np.int64), rows.astype(np.int32)
    total = np.zeros(n_centroids, np.int64)
    for part in parts:  # first pass: the joined list lengths
        total += _kept(*part, n_centroids)[2]
    out_offsets = np.concatenate(([0], np.cumsum(total))).astype(np.int64)
    out = np.empty(int(out_offsets[-1]), np.int32)
    fill = out_offsets[:-1].copy()  # where each list's next entries go
    for part in parts:  # second pass: each part's entries into place
        rows, codes, counts = _kept(*part, n_centroids)
        if codes is None:
            codes = _list_codes(part[0])
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))  # each list's start within the part
        out[fill[codes] + np.arange(codes.shape[0]) - first[codes]] = rows
        fill += counts
    return out_offsets, out


def _list_codes(offsets: NDArray[np.int64]) -> NDArray[np.int32]:
    """The centroid of each entry of lists ``offsets`` (int32, entries in list order)."""
    return np.repeat(np.arange(offsets.shape[0] - 1, dtype=np.int32), np.diff(offsets))


def _kept(
    offsets: NDArray[np.int64], entries: NDArray[np.int32], row_of: NDArray[np.int64], n_centroids: int
) -> tuple[NDArray[np.int64], NDArray[np.int32] | None, NDArray[np.int64]]:
    """A part's kept rows in list order, their centroids (``None`` when every entry is kept: the stored
    offsets say it), and the kept entries per centroid (int64 ``[K]``)."""
    rows = row_of[entries]
    keep = rows >= 0
    if bool(keep.all()):
        counts = np.zeros(n_centroids, np.int64)
        counts[: offsets.shape[0] - 1] = np.diff(offsets)
        return rows, None, counts
    codes = _list_codes(offsets)[keep]
    return rows[keep], codes, np.bincount(codes, minlength=n_centroids).astype(np.int64)
