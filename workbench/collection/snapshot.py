"""A searchable snapshot of the index: the live passages of one catalog generation as a packed
:class:`~workbench.core.LateIndex`, with the stored token centroids and what could not be used."""

from __future__ import annotations

from collections.abc import Callable

from ..core import LateIndex, LateQuery
from ..store import IndexStore, SnapshotCatalog
from ..store.centroid_load import load_centroid_indexes


def open_snapshot(store: IndexStore, query_encoder: Callable[[str], LateQuery]) -> tuple[LateIndex, list[str]]:
    """The index of ``store``'s live passages (vectors read in place, segment by segment) with its
    centroid and residual structures, and warnings in plain words: damaged segments whose documents are
    left out, stored centroids that cannot be used. Raises
    :class:`~workbench.core.IndexChanged` when a writer changed the index while it was read."""
    packed = store.packed_segments()
    index = LateIndex(
        packed.vectors,
        packed.starts,
        packed.lengths,
        packed.passage_ids,
        catalog=SnapshotCatalog(store.catalog, packed.generation),
        query_encoder=query_encoder,
        name=str(store.root),
    )
    # Centroid files are read after the layout: if a writer retrains meanwhile, codes missing for this
    # snapshot's segments are computed in memory, so the pair stays consistent without a retry.
    index.centroid_index, index.residual_index = load_centroid_indexes(
        store.centroids, index, packed.files, packed.sizes
    )
    warnings = [
        f"{why} — its documents are left out of searches; ingest them again to restore them"
        for why in packed.damaged.values()
    ]
    problem = store.centroids.problem()
    if problem:
        warnings.append(
            f"stored token centroids not used: {problem}; a centroid search builds them in "
            "memory, and the next ingest trains a new set"
        )
    return index, warnings
