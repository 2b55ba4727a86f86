"""What a search reads of the stored centroids: the centroid index (table, inverted lists, codes) and the
residual index of a snapshot, joined from the current version's per-segment files.

Reading never sorts codes when the segments' lists are stored (:mod:`.segment_lists`): the lists are
joined in one pass over their entries, tombstoned passages dropped on the way. A compact index's codes
are not read at all — its coded rows hold them, checked where a search decodes or scores them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..core.centroids import CentroidIndex
from ..core.inverted_lists import ListPart, join_lists
from ..core.layouts import LateIndex
from ..core.residual_vectors import ResidualVectors
from ..core.residuals import ResidualIndex
from ..core.segmented import SegmentedVectors
from .centroid_arrays import joined_codes, joined_residuals
from .centroid_codes import CODE_CHUNK, code_segment
from .centroid_store import CentroidStore
from .segment_lists import list_segment, lists_path, read_lists


def load_centroid_indexes(
    store: CentroidStore, index: LateIndex, segment_files: list[str], segment_sizes: list[int]
) -> tuple[CentroidIndex | None, ResidualIndex | None]:
    """The centroid and residual indexes of ``index`` (a snapshot: its passages in packing order, packed from
    ``segment_files`` of ``segment_sizes`` token rows, in that order) under ``store``'s current version, or
    ``None`` where nothing was trained. The inverted lists are the segments' stored lists joined
    (:mod:`.segment_lists`); a segment without usable ones (a writer killed in between, an index
    written before lists were stored) is listed now, in memory, as are the codes and residuals of a
    float16 segment that lacks them. A compact index's codes stay in its coded rows, unread here."""
    v = store.version
    if v is None:
        return None, None
    centroids = store.read_centroids(v, index.dim)
    if centroids is None:
        return None, None  # damaged: the search builds centroids in memory and says so
    k = int(centroids.shape[0])
    codec = store.read_codec(v)
    width = index.dim * codec.nbits // 8 if codec is not None else 0  # bytes of a packed residual
    codes: list[NDArray[np.int32]] = []
    packed: list[NDArray[np.uint8]] = []
    lists: list[ListPart] = []
    base = 0
    parts = index.vectors.segments if isinstance(index.vectors, SegmentedVectors) else (index.vectors,)
    compact = any(isinstance(part, ResidualVectors) for part in parts)
    for part, name, size in zip(parts, segment_files, segment_sizes):
        lo, hi = (int(x) for x in np.searchsorted(index.starts, [base, base + size]))  # its live passages
        if isinstance(part, ResidualVectors):  # a coded segment's rows hold its codes
            segment_codes: NDArray[np.int32] = part.codes
        else:
            c = store.read_part(v, "codes", name, (size,), np.int32, k)
            r = store.read_part(v, "residuals", name, (size, width), np.uint8) if codec is not None else None
            if c is None or (codec is not None and r is None):
                c, r, _ = code_segment(index.vectors[base : base + size], centroids, codec, CODE_CHUNK)
            codes.append(c)
            if r is not None:  # there are residuals exactly when there is a codec
                packed.append(r)
            segment_codes = c
        live_starts = index.starts[lo:hi] - base
        path = lists_path(store.folder / v, name)
        stored = read_lists(path, size, k) if path is not None else None
        row_of = stored.row_of(live_starts, lo) if stored is not None else None
        if stored is None or row_of is None:
            stored = list_segment(segment_codes, live_starts, index.lengths[lo:hi], k)
            row_of = np.arange(lo, hi, dtype=np.int64)
        lists.append((stored.offsets, stored.entries, row_of))
        base += size
    offsets, rows = join_lists(lists, k)
    ci = CentroidIndex(centroids, None if compact else joined_codes(codes), offsets, rows)
    # a compact index's vectors are residuals already: no second, derived set
    ri = ResidualIndex(codec, joined_residuals(packed, width)) if codec is not None and not compact else None
    return ci, ri
