"""Qdrant as an executor: a plan run against an exported collection (:mod:`.qdrant_export`), returning
the same :class:`~workbench.core.SearchResult` as the NumPy and Mojo backends, so rankings, scores and
latencies compare side by side.

* ``exhaustive``: one query, the query's (budgeted) token vectors against every point's ``tokens`` by
  MaxSim, within the filter.
* ``document_proxy``: one query with a ``prefetch`` — the mean query vector against ``proxy`` keeps
  ``candidate_k`` points (on a server through Qdrant's HNSW graph once the collection is large enough
  to be indexed, so approximately; in local mode by a full scan), MaxSim over ``tokens`` ranks them. Qdrant runs both stages in one request, so
  the profile gives the time once, on the exact stage, and says so.

* ``auto``: ``exhaustive`` while its products fit the NumPy reference's ~20 ms budget, else
  ``document_proxy`` with the plan's ``candidate_k`` (0: scaled to the passages searched, as on the local
  backends; :func:`resolve_qdrant_auto`); the first stage's
  ``note`` says which and why, and the result's ``requested`` is the auto plan, as on the local backends.

The collection holds each passage's every token and the mean of all of them, so a plan with a document
vector budget cannot run there (``ValueError``): Qdrant would score other vectors than the plan names.
Scores equal the local backends' up to float16 storage (Qdrant keeps the tokens float16, as the index).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from ..core import (
    NUMPY_REFERENCE_BACKEND,
    LateIndex,
    LateQuery,
    PassageFilter,
    SearchPlan,
    document_proxy_search_plan,
    exhaustive_search_plan,
    kept_count,
    scale_candidates,
)
from ..core.results import Hit, SearchResult, StageProfile
from ..core.search import AUTO_EXACT_PAIRS
from . import require
from .qdrant_schema import PROXY, TOKENS, describe_target, to_filter

PLANS = ("exhaustive", "document_proxy")


def resolve_qdrant_auto(
    n_query_vectors: int, index: LateIndex, plan: SearchPlan, eligible: NDArray[np.bool_] | None
) -> tuple[SearchPlan, str]:
    """The plan an ``auto`` plan runs on Qdrant, and why: exhaustive MaxSim while its query × document
    vector products fit the NumPy reference's ~20 ms budget (Qdrant's local mode scores in NumPy too; a
    server, faster, gets the staged plan a little early), else ``document_proxy`` — the staged plan Qdrant
    runs (it has no centroid lists)."""
    lengths = index.lengths if eligible is None else index.lengths[eligible]
    pairs = kept_count(n_query_vectors, plan.query_vector_budget) * int(lengths.sum())
    limit = AUTO_EXACT_PAIRS[NUMPY_REFERENCE_BACKEND]
    if pairs <= limit:
        exact = exhaustive_search_plan(plan.final_k, plan.query_vector_budget)
        return (
            replace(exact, verify_k=plan.verify_k),
            f"auto chose exact MaxSim on Qdrant: {pairs:,} products fit the ~20 ms budget of {limit:,}",
        )
    asked = replace(
        document_proxy_search_plan(plan.final_k, plan.candidate_k, plan.query_vector_budget, 0), verify_k=plan.verify_k
    )
    staged, scaled = scale_candidates(asked, lengths.shape[0])
    candidates = scaled or f"{staged.candidate_k:,} candidates"
    return (
        staged,
        f"auto chose Qdrant's staged plan (document proxy, then MaxSim on {candidates}): "
        f"exact MaxSim would take {pairs:,} products, over the ~20 ms budget of {limit:,}",
    )


def qdrant_search(
    query: LateQuery, index: LateIndex, client, collection: str, plan: SearchPlan, where: PassageFilter | None = None
) -> SearchResult:
    """Run ``plan`` for ``query`` on Qdrant collection ``collection`` (exported from ``index``, whose
    catalog describes the hits and counts the vectors each stage scored). Raises ``ValueError`` for a
    plan Qdrant cannot run as named (another kind, a document vector budget, stage 3)."""
    models = require("qdrant_client.models", "the Qdrant executor")
    eligible = index.eligible_rows(where)
    n_eligible = index.count_eligible(eligible)
    asked = plan
    if plan.kind == "auto":
        plan, why = resolve_qdrant_auto(query.n_vectors, index, plan, eligible)
    else:
        plan, why = scale_candidates(plan, n_eligible)
    if plan.kind not in PLANS:
        raise ValueError(f"the Qdrant executor runs the plans auto, {', '.join(PLANS)}, not {plan.kind!r}")
    if plan.document_vector_budget:
        raise ValueError(
            "the Qdrant collection holds every token of each passage and their mean: run it with "
            "document_vector_budget 0 (all vectors)"
        )
    if plan.verify_k:
        raise ValueError("stage 3 (verify_k) runs beside the index, not in Qdrant: run it with verify_k 0")
    q = query.matrix()[: kept_count(query.n_vectors, plan.query_vector_budget)]
    flt = to_filter(where)
    where_label = describe_target(client)
    t = time.perf_counter()
    if plan.kind == "exhaustive":
        # exact=True: a full scan, never an HNSW graph walk — "exhaustive" must mean every eligible point.
        exact = None if where_label == "qdrant-local" else models.SearchParams(exact=True)  # local: always a scan
        answer = client.query_points(
            collection,
            query=q.tolist(),
            using=TOKENS,
            limit=plan.final_k,
            query_filter=flt,
            with_payload=False,
            search_params=exact,
        )
        ms = (time.perf_counter() - t) * 1e3
        doc_vectors = int(index.lengths.sum() if eligible is None else index.lengths[eligible].sum())
        stages = [
            StageProfile(
                "exact_maxsim",
                n_eligible,
                len(answer.points),
                q.shape[0],
                doc_vectors,
                q.shape[0] * doc_vectors,
                ms,
                where_label,
                budget_rule="prefix",
            )
        ]
        candidates = None
    else:
        answer = client.query_points(
            collection,
            prefetch=models.Prefetch(query=q.mean(axis=0).tolist(), using=PROXY, limit=plan.candidate_k, filter=flt),
            query=q.tolist(),
            using=TOKENS,
            limit=plan.final_k,
            with_payload=False,
        )
        ms = (time.perf_counter() - t) * 1e3
        # The candidates themselves stay inside Qdrant: their vector count is what MaxSim could have read.
        per_candidate = float(index.lengths.mean()) if index.n_passages else 0.0
        doc_vectors = int(round(per_candidate * min(plan.candidate_k, n_eligible)))
        stages = [
            StageProfile(
                "stage1:document_proxy",
                n_eligible,
                min(plan.candidate_k, n_eligible),
                1,
                n_eligible,
                n_eligible,
                0.0,
                where_label,
                note="one Qdrant request runs both stages: its time is on the exact stage",
            ),
            StageProfile(
                "stage2:exact_maxsim",
                min(plan.candidate_k, n_eligible),
                len(answer.points),
                q.shape[0],
                doc_vectors,
                q.shape[0] * doc_vectors,
                ms,
                where_label,
                budget_rule="prefix (document vectors: the candidates' mean length × candidate_k)",
            ),
        ]
        candidates = None  # Qdrant does not return its prefetch's candidates: stage-1 recall is unknown here
    ids = np.array([int(p.id) for p in answer.points], dtype=np.int64)
    rows = index.rows_of(ids)
    if (rows < 0).any():
        raise ValueError(
            f"Qdrant collection {collection!r} returned passages this index no longer has: export it again to sync it"
        )
    infos = index.describe(ids.tolist()) if index.catalog is not None else [None] * len(ids)
    hits = [
        Hit(rank + 1, int(pid), float(p.score), int(row), info)
        for rank, (pid, p, row, info) in enumerate(zip(ids, answer.points, rows, infos))
    ]
    if why:  # the first stage says what the plan asked for became (auto's choice, a scaled candidate_k)
        stages[0] = replace(stages[0], note=why)
    return SearchResult(
        query,
        plan,
        where_label,
        hits,
        stages,
        index,
        candidates,
        where if where is not None and not where.is_empty else None,
        n_eligible,
        requested=asked if plan is not asked else None,
    )
