"""Fusing the exact MaxSim ranking with the lexical (BM25) ranking of a hybrid plan.

Both fusions run over the union of the plan's candidates — the proxy stage's ``candidate_k`` and the
lexical stage's ``lexical_k`` — after the exact stage has scored every one of them by MaxSim.
A passage outside the lexical stage's ``lexical_k`` has no lexical part (it counts 0): the BM25 walk
stops there, and the profile says so.

* ``rrf``: reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009),
  ``(1 − w) / (k + rank_maxsim) + w / (k + rank_bm25)`` with ``k = 60`` and ranks 1-based; ``w = 0.5``
  orders exactly as the paper's unweighted sum.
* ``linear``: a linear combination (Elasticsearch's ``linear`` retriever, here with MaxSim min–max
  normalised) ``(1 − w) · maxsim' + w · bm25'``, where ``maxsim'`` is min–max normalised over the
  candidates (the best 1, the worst 0: raw MaxSim grows with the query's length) and ``bm25'`` is the
  score over the best lexical score (BM25 is ≥ 0, so an unmatched passage's 0 is the floor).

``w`` is the plan's ``fusion_weight``: the lexical share of the fused score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
from numpy.typing import NDArray

from .ranking import top_k

FUSIONS = ("none", "rrf", "linear")
RRF_K = 60


@dataclass(frozen=True)
class ScoreParts:
    """The two rankings a fused score combines, for one hit: its exact MaxSim score and rank among the
    candidates, and its lexical score and rank (``None``: not among the lexical stage's ``lexical_k``)."""

    maxsim: float
    maxsim_rank: int
    lexical: float | None
    lexical_rank: int | None

    def describe(self) -> str:
        """One line for people: ``MaxSim 17.2031 (#3) · BM25 8.4120 (#1)``."""
        lexical = (
            "BM25 — (outside the lexical stage's top-k)"
            if self.lexical is None
            else f"BM25 {self.lexical:.4f} (#{self.lexical_rank})"
        )
        return f"MaxSim {self.maxsim:.4f} (#{self.maxsim_rank}) · {lexical}"

    def to_dict(self) -> ScorePartsDict:
        return {
            "maxsim": self.maxsim,
            "maxsim_rank": self.maxsim_rank,
            "lexical": self.lexical,
            "lexical_rank": self.lexical_rank,
        }


class ScorePartsDict(TypedDict):
    """:meth:`ScoreParts.to_dict`: its fields by name."""

    maxsim: float
    maxsim_rank: int
    lexical: float | None
    lexical_rank: int | None


def fusion_label(fusion: str, weight: float) -> str:
    """How a profile names a fusion and its BM25 weight: ``rrf(w=0.5)`` or ``linear(w=0.3)``."""
    return f"{fusion}(w={weight:g})"


def fuse(
    rows: NDArray[np.int64],
    maxsim: NDArray[np.floating[Any]],
    lexical_rows: NDArray[np.int64],
    lexical_scores: NDArray[np.floating[Any]],
    passage_ids: NDArray[np.int64],
    fusion: str,
    weight: float,
    k: int,
) -> tuple[NDArray[np.int64], NDArray[np.float64], list[ScoreParts]]:
    """The best ``k`` candidates by fused score: ``(rows, fused scores, parts)``, best first.

    ``rows``: int64 ``[n]`` candidate rows ranked by ``maxsim`` (float32 ``[n]``, best first, as the exact
    stage returns them); ``lexical_rows``/``lexical_scores``: the lexical stage's list, best first
    (a subset of ``rows``); ``passage_ids``: int64 ids of ``rows`` (ties go to the smaller id).
    Raises ``ValueError`` for an unknown ``fusion`` or a weight outside [0, 1].
    """
    if fusion not in FUSIONS[1:]:
        raise ValueError(f"fusion must be one of {FUSIONS[1:]}, got {fusion!r}")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"fusion_weight is the lexical share, between 0 and 1 (got {weight})")
    n = rows.shape[0]
    maxsim = maxsim.astype(np.float64)
    lexical = np.zeros(n)
    lexical_rank = np.zeros(n, dtype=np.int64)  # 0: not in the lexical list
    position = {int(r): i for i, r in enumerate(rows.tolist())}
    for rank, (r, s) in enumerate(zip(lexical_rows.tolist(), lexical_scores.tolist()), 1):
        i = position.get(int(r))
        if i is not None:
            lexical[i], lexical_rank[i] = s, rank
    if fusion == "rrf":
        matched = lexical_rank > 0
        fused = (1 - weight) / (RRF_K + np.arange(1, n + 1))
        fused[matched] += weight / (RRF_K + lexical_rank[matched])
    else:
        span = maxsim.max() - maxsim.min() if n else 0.0
        norm_maxsim = (maxsim - maxsim.min()) / span if span > 0 else np.ones(n)
        top = lexical.max() if n else 0.0
        norm_lexical = lexical / top if top > 0 else np.zeros(n)
        fused = (1 - weight) * norm_maxsim + weight * norm_lexical
    best = top_k(fused, passage_ids, k)
    parts = [
        ScoreParts(
            float(maxsim[i]), int(i) + 1, float(lexical[i]) if lexical_rank[i] else None, int(lexical_rank[i]) or None
        )
        for i in best.tolist()
    ]
    return rows[best], fused[best], parts
