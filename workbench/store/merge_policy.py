"""Which segments to merge next: a tiered policy, as Lucene's and Tantivy's log/tiered merge policies.

Every ingest commits a new small segment. Segments are grouped in size tiers (tier ``t`` holds
segments of ``FLOOR × FACTOR^t`` to ``FLOOR × FACTOR^(t+1)`` live vectors); when a tier holds
``FACTOR`` segments, they merge into one segment of the next tier. A vector is therefore rewritten
once per tier it climbs — about ``log_FACTOR(N / FLOOR)`` times for a collection of ``N`` vectors —
instead of on every ingest, and at most about ``FACTOR`` segments per tier are searched. A segment
whose tombstones (removed passages) reach ``DELETED_SHARE`` of it is rewritten on its own, so space
is reclaimed without waiting for its tier.

No merge writes more than ``MAX_MERGED_VECTORS``: a segment of ``MAX_MERGED_VECTORS / FACTOR`` live
vectors or more is full-sized and no longer merged by size (only rewritten for its tombstones), as
Lucene's TieredMergePolicy stops at ``maxMergedSegmentMB``. Without the cap, the ingest that fills
every tier at once (the 1,000th of a 10⁶-passage collection) rewrites the whole index.

Pure: no files are read here. :meth:`~workbench.store.IndexStore.merge` carries a plan out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

FACTOR = 10  # segments per tier before they merge (Lucene's segmentsPerTier default)
FLOOR_VECTORS = 50_000  # smaller segments count as this size (one ingest batch commits ≈ 50k vectors)
DELETED_SHARE = 0.3  # a segment at least this much tombstoned is rewritten without its tombstones
MAX_MERGED_VECTORS = 1 << 24  # 4 GiB of 128-d float16 per merge at most (Lucene's default cap is 5 GB)


@dataclass(frozen=True)
class SegmentStats:
    """A segment as the policy sees it: its file, the vectors it holds and those of live passages."""

    file: str
    n_vectors: int
    live_vectors: int

    @property
    def deleted_share(self) -> float:
        return 1.0 - self.live_vectors / self.n_vectors if self.n_vectors else 1.0


def tier(live_vectors: int, floor: int = FLOOR_VECTORS, factor: int = FACTOR) -> int:
    """The size tier of a segment with ``live_vectors`` live vectors (0 for anything up to ``factor × floor``)."""
    return int(math.floor(math.log(max(live_vectors, floor) / floor, factor) + 1e-9))


def next_merge(
    segments: Sequence[SegmentStats],
    factor: int = FACTOR,
    floor: int = FLOOR_VECTORS,
    deleted_share: float = DELETED_SHARE,
    max_merged: int = MAX_MERGED_VECTORS,
) -> list[str]:
    """The files of the next merge, in their given (packing) order, or ``[]`` when none is due.

    A segment heavy with tombstones comes first (alone: rewriting it reclaims their space); then the
    lowest tier holding ``factor`` or more segments below the full size (``max_merged / factor`` live
    vectors) merges its ``factor`` smallest, which writes fewer than ``max_merged`` vectors.
    """
    for s in segments:
        if s.deleted_share >= deleted_share:
            return [s.file]
    tiers: dict[int, list[SegmentStats]] = {}
    for s in segments:
        if s.live_vectors >= max_merged // factor:
            continue  # full-sized: merging it would write more than max_merged
        tiers.setdefault(tier(s.live_vectors, floor, factor), []).append(s)
    for t in sorted(tiers):
        if len(tiers[t]) >= factor:
            chosen = {s.file for s in sorted(tiers[t], key=lambda s: s.live_vectors)[:factor]}
            return [s.file for s in segments if s.file in chosen]
    return []
