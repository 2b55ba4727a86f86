"""The packed layout's arithmetic: passage ``r`` owns token rows ``starts[r]:starts[r] + lengths[r]`` of
one ``[T, dim]`` array of token vectors.

Everything that reads an index by passage (the layouts, the backends, centroid training, merges) goes
through these, so they sit below all of it and import nothing of the core.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

# Token vectors as an index stores them, ``[T, dim]``: float16 on disk, float32 when built in memory.
StoredVectors: TypeAlias = NDArray[np.float16 | np.float32]


def token_chunks(counts: NDArray[np.integer[Any]], limit: int) -> Iterator[tuple[int, int]]:
    """Consecutive ``[i, j)`` ranges whose ``counts`` sum to at most ``limit`` (one larger item alone)."""
    ends = np.cumsum(counts)
    i, n = 0, len(counts)
    while i < n:
        base = ends[i - 1] if i else 0
        j = max(int(np.searchsorted(ends, base + limit, side="right")), i + 1)
        yield i, j
        i = j


def gather_indices(starts: NDArray[np.integer[Any]], counts: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
    """Token row indices ``[starts[i], starts[i]+counts[i])`` for every i, concatenated (int64)."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets: NDArray[np.int64] = np.repeat(
        np.asarray(starts, dtype=np.int64) - np.concatenate(([0], np.cumsum(counts)[:-1])), counts
    )
    return np.arange(total, dtype=np.int64) + offsets
