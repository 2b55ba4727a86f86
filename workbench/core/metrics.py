"""Retrieval metrics over ranked document ids (BEIR conventions) and stage-1 recall.

``qrels`` maps a document id to its graded relevance (> 0 relevant). nDCG uses the grade as gain.
Bootstrap intervals of a mean and of a paired difference tell a gain from noise over a query set.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TypedDict

import numpy as np
from numpy.typing import NDArray


def ndcg_at(ranked: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    dcg = sum(qrels.get(doc, 0.0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: Sequence[str], qrels: Mapping[str, float], k: int) -> float:
    relevant = {d for d, g in qrels.items() if g > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    for i, doc in enumerate(ranked[:k]):
        if qrels.get(doc, 0.0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def overlap_recall(candidates: Iterable[int], reference_top: Sequence[int]) -> float:
    """Share of ``reference_top`` (exhaustive exact top-k ids) found in a stage's ``candidates``."""
    if not reference_top:
        return 1.0
    return len(set(candidates).intersection(reference_top)) / len(reference_top)


BOOTSTRAP_RESAMPLES = 10_000


class PairedDifference(TypedDict):
    """What :func:`paired_difference` reports: the ``queries`` both runs evaluated, the ``mean``
    difference (A − B) and its ``level`` interval ``[low, high]``, and the queries A ``wins``, ``losses``
    and ``ties`` (a difference within 10⁻¹² is a tie)."""

    queries: int
    mean: float
    low: float
    high: float
    level: float
    wins: int
    losses: int
    ties: int


def bootstrap_interval(
    values: Sequence[float] | NDArray[np.float64],
    level: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap interval of the mean of per-query ``values`` (Efron & Tibshirani, *An
    Introduction to the Bootstrap*, 1993, ch. 13; the usual test collection practice, Sakai 2014):
    queries are resampled with replacement ``resamples`` times and the ``level`` central share of the
    resampled means is returned as ``(low, high)``. Seeded, so a report is reproducible.
    Raises ``ValueError`` for no values or a level outside (0, 1)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("no per-query values to resample")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie between 0 and 1 (got {level})")
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, 1000):  # chunks keep the index matrix at ≤ 1000 × n
        n = min(1000, resamples - start)
        means[start : start + n] = x[rng.integers(0, x.size, (n, x.size))].mean(axis=1)
    tail = (1.0 - level) / 2
    lo, hi = np.quantile(means, [tail, 1.0 - tail])
    return float(lo), float(hi)


def paired_difference(
    a: Mapping[str, float],
    b: Mapping[str, float],
    level: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> PairedDifference:
    """Plan A minus plan B on the queries both evaluated (``query id → metric``): the mean difference,
    its paired percentile-bootstrap interval (queries resampled together, so per-query difficulty
    cancels), and how many queries A wins, loses and ties. Raises ``ValueError`` with no common query."""
    common = sorted(set(a) & set(b))
    if not common:
        raise ValueError("the two runs share no evaluated query")
    d = np.array([a[q] - b[q] for q in common])
    lo, hi = bootstrap_interval(d, level, resamples, seed)
    return {
        "queries": len(common),
        "mean": float(d.mean()),
        "low": lo,
        "high": hi,
        "level": level,
        "wins": int((d > 1e-12).sum()),
        "losses": int((d < -1e-12).sum()),
        "ties": int((np.abs(d) <= 1e-12).sum()),
    }
