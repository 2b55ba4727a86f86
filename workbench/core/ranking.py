"""Ordering scores into a ranking the same way in every stage."""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best scores, best first; ties broken by the smaller passage id."""
    k = min(k, scores.shape[0])
    if k == 0:
        return np.empty(0, dtype=np.int64)
    if k < scores.shape[0]:
        # argpartition narrows cheaply; keep every score tied with the k-th so ties resolve by id.
        kth = np.partition(-scores, k - 1)[k - 1]
        pool = np.flatnonzero(-scores <= kth)
    else:
        pool = np.arange(scores.shape[0])
    order = np.lexsort((ids[pool], -scores[pool]))
    return pool[order[:k]]
