"""A storage tier on disk (:mod:`.tiers`): coding token vectors into coded rows, and rewriting an index's
segments into another tier — compacting the float16 segments of a compact index once its first centroids
exist, and converting an index from one tier to another.

A rewrite writes one new file per segment beside the old (streamed a chunk at a time, never a whole
segment in memory), then switches every segment's name and the manifest's tier in one committed
transaction, and only then deletes the old files. A writer killed at any moment leaves the old index
whole or the new one, never a mix; the next writer removes the files nobody references.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..core.residual_vectors import ResidualVectors
from ..core.residuals import ResidualCodec
from ..platform.faults import fault_point
from .centroid_codes import code_into
from .files import fsync_dir, save_array_streaming
from .merge import MergeStopped
from .paths import index_folder, remove_own_entries
from .segment_listing import list_segments
from .segments import SEGMENT_DIR, STORAGE_DTYPE, coded_bits, read_segment
from .tiers import EXACT, KEEP_EXACT_KEY, TIER_KEY, stored_bits, tier_bits, tier_of

if TYPE_CHECKING:
    from .index_store import IndexStore

CODE_CHUNK = 1 << 16  # token vectors coded or decoded at a time (32 MiB of float32)
Coding = tuple[NDArray[np.float32], ResidualCodec]  # a compact index's centroid table and residual codec


def rewrite_segments(
    store: IndexStore,
    tier: str,
    coding: Coding | None,
    progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Store every segment of ``store`` (the caller holds its writer lock) as ``tier`` keeps vectors: float16
    for ``exact``, coded rows against ``coding`` for a compact tier (a coded segment is decoded with
    ``coding`` too, so both must be the current centroid version's). One transaction switches the segment
    names and sets the manifest's tier; returns the segments rewritten. ``progress(done, total)`` after
    each segment; ``stop`` set: :class:`~.merge.MergeStopped` between chunks, nothing kept."""
    bits = tier_bits(tier)
    if (bits or any(coded_bits(n) for n, _ in store.catalog.segment_sizes())) and coding is None:
        raise ValueError("coded segments need the index's centroid table and codec, and they are missing")
    folder = index_folder(store.root, SEGMENT_DIR, create=True)
    todo = [(n, s) for n, s in store.catalog.segment_sizes() if coded_bits(n) != bits]
    renames: dict[str, str] = {}
    try:
        for done, (name, size) in enumerate(todo):
            renames[name] = _rewrite(folder, name, size, store.dim, bits, coding, stop)
            if progress is not None:
                progress(done + 1, len(todo))
        fsync_dir(folder)
    except BaseException:
        remove_own_entries(folder, lambda n: n in renames.values(), temporaries=False)
        raise
    fault_point("convert.segments-written")
    store.catalog.recode_segments(renames, {TIER_KEY: tier, KEEP_EXACT_KEY: "0"})
    fault_point("convert.committed")
    remove_own_entries(folder, lambda n: n in renames, keep=store.catalog.segment_files(), temporaries=False)
    store.centroids.remove_segment_parts(set(renames))
    list_segments(store.centroids, store.catalog, store.segments())
    return len(renames)


def _rewrite(
    folder: Any, name: str, size: int, dim: int, bits: int, coding: Coding | None, stop: threading.Event | None
) -> str:
    """Segment ``name`` written again as float16 vectors (``bits`` 0) or coded rows; returns the new name."""
    array = read_segment(folder, name, size, dim)
    source: NDArray[Any] | ResidualVectors = array
    if coded_bits(name):
        assert coding is not None  # checked by the caller
        source = ResidualVectors(array, *coding)  # type: ignore[arg-type]
    new = f"seg-{uuid.uuid4().hex}" + (f".c{bits}.npy" if bits else ".npy")
    if bits:
        assert coding is not None
        centroids, codec = coding

        def fill(out: NDArray[Any]) -> None:
            for lo in range(0, size, CODE_CHUNK):
                if stop is not None and stop.is_set():
                    raise MergeStopped("the conversion was stopped")
                code_into(source[lo : lo + CODE_CHUNK], centroids, codec, out[lo : lo + CODE_CHUNK], None)

        save_array_streaming(folder / new, (size, 4 + dim * bits // 8), np.uint8, fill, f"{size:,} coded token vectors")
    else:

        def fill(out: NDArray[Any]) -> None:
            for lo in range(0, size, CODE_CHUNK):
                if stop is not None and stop.is_set():
                    raise MergeStopped("the conversion was stopped")
                out[lo : lo + CODE_CHUNK] = np.asarray(source[lo : lo + CODE_CHUNK], dtype=STORAGE_DTYPE)

        save_array_streaming(folder / new, (size, dim), STORAGE_DTYPE, fill, f"{size:,} token vectors")
    return new


def pending(store: IndexStore) -> bool:
    """Whether a compact index still holds float16 segments written before its first centroids (never one
    that keeps its exact vectors: its segments stay float16)."""
    bits = stored_bits(store.manifest)
    return bits > 0 and any(coded_bits(n) != bits for n, _ in store.catalog.segment_sizes())


def convert_tier(
    store: IndexStore,
    tier: str,
    progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
    keep_exact: bool = False,
) -> int:
    """Convert ``store`` (the caller holds its writer lock) to storage ``tier`` — a compact one keeping the
    float16 vectors too with ``keep_exact`` — and return the segments rewritten. Coded segments are first
    decoded to float16 ones (committed: an exact index); a compact tier then needs centroids with a codec
    of its bits — trained now on the live vectors when missing — and either every segment is coded
    against them, or (``keep_exact``) the float16 segments stay and get their codes and residuals as
    derived files. Each step commits whole (:func:`rewrite_segments`), so a conversion killed at any point
    leaves an index that opens, in the old tier or the new one."""
    from ..core import LateIndex

    tier_bits(tier)  # KeyError for an unknown tier: the CLI offers only the known ones
    keep = keep_exact and tier != EXACT
    if tier_of(store.manifest) == tier and store.keeps_exact == keep and not pending(store):
        return 0
    coding = store.centroids.coding(store.dim)
    coded = any(coded_bits(n) for n, _ in store.catalog.segment_sizes())
    done = rewrite_segments(store, EXACT, coding, progress, stop) if coded or tier == EXACT else 0
    if tier == EXACT:
        return done
    if coding is None or coding[1].nbits != tier_bits(tier):
        packed = store.packed_segments()
        if packed.lengths.size:
            index = LateIndex(packed.vectors, packed.starts, packed.lengths, packed.passage_ids)
            store.centroids.train(index, packed.files, packed.sizes, nbits=tier_bits(tier), code_segments=keep)
        coding = store.centroids.coding(store.dim)
    if keep:  # the derived codes of segments decoded above (training coded all of them otherwise)
        store.code_float16_segments()
        store.catalog.recode_segments({}, {TIER_KEY: tier, KEEP_EXACT_KEY: "1"})
        return done
    return done + rewrite_segments(store, tier, coding, progress, stop)
