"""Recall of a staged plan against exhaustive MaxSim on the same index: how much of the exact top 10 a
plan's stage 1 lets through, and what it costs.

The reference is exhaustive MaxSim over the very vectors stage 2 scores — on a compact index the coded
rows, not the float vectors they came from — so a miss here is stage 1's alone. Used by
``benchmarks/stage1_recall.py`` and by ``workbench bench-ingest``'s probes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from ..core import LateIndex, LateQuery, SearchPlan, exhaustive_search_plan, search_with_plan
from ..core.metrics import overlap_recall
from .percentiles import latency_percentiles


def exhaustive_top(
    index: LateIndex, queries: Sequence[LateQuery], backend: str, final_k: int = 10
) -> tuple[list[list[int]], list[float]]:
    """Each query's exhaustive top ``final_k`` passage ids, best first, and each search's milliseconds."""
    plan = exhaustive_search_plan(final_k=final_k)
    tops, ms = [], []
    for q in queries:
        t = time.perf_counter()
        result = search_with_plan(q, index, plan, backend)
        ms.append((time.perf_counter() - t) * 1e3)
        tops.append([h.passage_id for h in result.hits])
    return tops, ms


def plan_recall(
    index: LateIndex, queries: Sequence[LateQuery], truth: Sequence[list[int]], plan: SearchPlan, backend: str
) -> dict:
    """recall@k of ``plan`` against ``truth`` (:func:`exhaustive_top` of the same queries), per query
    and on average, with the latency of each search (query encoding excluded; run once untimed first so
    the first query does not pay for the index's first touch) and the concrete plan's ``candidate_k``
    (a scaled one resolved; the largest if the plans differ between queries)."""
    search_with_plan(queries[0], index, plan, backend)
    recalls, ms, candidate_k, kinds = [], [], 0, set()
    for q, top in zip(queries, truth):
        t = time.perf_counter()
        result = search_with_plan(q, index, plan, backend)
        ms.append((time.perf_counter() - t) * 1e3)
        recalls.append(overlap_recall((h.passage_id for h in result.hits), top))
        candidate_k = max(candidate_k, result.plan.candidate_k)
        kinds.add(result.plan.kind)
    return {
        "recall_at_k": round(float(np.mean(recalls)), 3),
        "min_recall": round(min(recalls), 2),
        "per_query": [round(r, 2) for r in recalls],
        "candidate_k": candidate_k,
        "ran": "/".join(sorted(kinds)),
        **latency_percentiles(ms),
    }
