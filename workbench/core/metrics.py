"""Retrieval metrics over ranked document ids (BEIR conventions) and stage-1 recall.

``qrels`` maps a document id to its graded relevance (> 0 relevant). nDCG uses the grade as gain.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence


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
