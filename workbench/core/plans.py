"""Search plans: what each stage does, with how many vectors.

* ``exhaustive``: one stage, exact MaxSim of the query against every live passage.
* ``document_proxy``: stage 1 scores one dot product per passage — the mean of the query's first
  ``query_vector_budget`` vectors against each passage's *proxy* (the mean of its first
  ``document_vector_budget`` vectors) — and keeps the best ``candidate_k``; stage 2 runs exact MaxSim on
  those candidates within the same budgets and keeps ``final_k``.
* ``centroid``: PLAID-family. Token vectors are clustered (k-means, kept with the index); each of the
  query's first ``query_vector_budget`` vectors probes its ``n_probe`` most similar centroids; passages
  on those inverted lists are scored by centroid interaction restricted to the probed centroids (a
  query vector's similarity is its best probed centroid among the passage's codes, imputed as the best
  unprobed centroid's similarity where the passage has none) and the best ``candidate_k`` go to exact
  MaxSim. Under a filter only eligible passages compete, ``n_probe`` grows by 1/√(share admitted), and
  a filter admitting at most 4·``candidate_k`` passages sends them all to the exact stage.
* ``hybrid``: stage 1 is the proxy stage *and* a lexical stage (SQLite FTS5 BM25 over the passage
  text, Porter-stemmed, best ``lexical_k``); the exact stage scores the union of both candidate sets by
  MaxSim, and a fusion stage ranks them by MaxSim and BM25 together (``fusion``: reciprocal rank fusion
  or a linear combination of normalised scores, ``fusion_weight`` the BM25 share; :mod:`workbench.core.fusion`), or by
  MaxSim alone with ``fusion="none"``. Lexical matching catches rare exact terms (names, numbers) a
  mean vector blurs, and BM25 carries term statistics MaxSim does not weigh.

Any plan may add stage 3 (``verify_k`` > 0, off by default): a cross-encoder reads each of stage 2's
best ``verify_k`` passages with the query and reranks them; the final ranking is their best ``final_k``,
followed (when ``verify_k < final_k``) by stage 2's next passages in stage 2's order, unverified
(:mod:`workbench.core.verification`). It costs one transformer pass per pair (≈30 ms on two cores for
a pair of ~170 tokens), so it is for the top of a ranking, never a first stage.

* ``auto`` (the default): exact MaxSim while that is cheap on the backend at hand — the query's vectors
  times the eligible passages' vectors, against what the backend scores in about 20 ms — and the
  centroid plan above that; the first stage profile says which it chose and why.

``candidate_k`` 0 on a staged plan (auto's default) means *scaled to the passages searched*:
:func:`scaled_candidate_k`. A fixed number of candidates finds less of the exact top 10 as a collection
grows — more passages crowd every score band stage 1 has to cut through.

Budgets follow the prefix rule of :mod:`workbench.core.budgets` (0 means all vectors).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TypedDict

from .fusion import FUSIONS

PLAN_KINDS = ("auto", "exhaustive", "document_proxy", "hybrid", "centroid")
RERANK_VECTORS = ("float16", "residual")
# Chosen on Cranfield (benchmarks/fusion.py): RRF peaks at a BM25 share of 0.3 (nDCG@10 0.395 against
# 0.377 for MaxSim alone); linear fusion at 0.3 is within 0.001 of it.
DEFAULT_FUSION, DEFAULT_FUSION_WEIGHT = "rrf", 0.3
# A scaled candidate_k is ⌈2·√n⌉ of the n passages searched, never under 100 (scaled_candidate_k).
CANDIDATES_PER_ROOT, MIN_SCALED_CANDIDATES = 2.0, 100


@dataclass(frozen=True)
class SearchPlan:
    kind: str
    final_k: int = 10
    candidate_k: int = 0
    query_vector_budget: int = 0
    document_vector_budget: int = 0
    lexical_k: int = 0
    n_probe: int = 0
    rerank_vectors: str = "float16"
    fusion: str = "none"
    fusion_weight: float = 0.0
    verify_k: int = 0

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {self.fusion!r}")
        if self.fusion != "none" and self.kind != "hybrid":
            raise ValueError("only a hybrid plan has a lexical ranking to fuse with MaxSim")
        if not 0.0 <= self.fusion_weight <= 1.0:
            raise ValueError(f"fusion_weight is the BM25 share of the fused score, 0 to 1 (got {self.fusion_weight})")
        if self.verify_k < 0:
            raise ValueError(f"verify_k cannot be negative (0 means no stage 3; got {self.verify_k})")
        if self.rerank_vectors not in RERANK_VECTORS:
            raise ValueError(f"rerank_vectors must be one of {RERANK_VECTORS}, got {self.rerank_vectors!r}")
        if self.kind not in PLAN_KINDS:
            raise ValueError(f"unknown plan kind {self.kind!r}; expected one of {PLAN_KINDS}")
        if self.final_k < 1:
            raise ValueError(f"final_k must be at least 1 (got {self.final_k})")
        if self.query_vector_budget < 0 or self.document_vector_budget < 0:
            raise ValueError("vector budgets cannot be negative (0 means all vectors)")
        if self.kind in ("centroid", "auto") and self.n_probe < 1:
            raise ValueError("a centroid plan needs n_probe of at least 1")
        if self.kind == "hybrid" and self.lexical_k < 1:
            raise ValueError("a hybrid plan needs lexical_k of at least 1")
        if self.candidate_k < 0:
            raise ValueError(
                f"candidate_k cannot be negative (0 means scaled to the collection; got {self.candidate_k})"
            )
        if self.kind != "exhaustive" and 0 < self.candidate_k < self.final_k:
            raise ValueError(
                f"candidate_k ({self.candidate_k}) must be at least final_k ({self.final_k}): "
                "stage 2 can only rank what stage 1 passed on"
            )

    def to_dict(self) -> SearchPlanDict:
        return {
            "kind": self.kind,
            "final_k": self.final_k,
            "candidate_k": self.candidate_k,
            "query_vector_budget": self.query_vector_budget,
            "document_vector_budget": self.document_vector_budget,
            "lexical_k": self.lexical_k,
            "n_probe": self.n_probe,
            "rerank_vectors": self.rerank_vectors,
            "fusion": self.fusion,
            "fusion_weight": self.fusion_weight,
            "verify_k": self.verify_k,
        }

    @property
    def stage2_k(self) -> int:
        """How many passages stage 2 (exact, then fusion) passes on: ``verify_k`` under stage 3, else ``final_k``."""
        return max(self.final_k, self.verify_k)


class SearchPlanDict(TypedDict):
    """:meth:`SearchPlan.to_dict`: its fields by name."""

    kind: str
    final_k: int
    candidate_k: int
    query_vector_budget: int
    document_vector_budget: int
    lexical_k: int
    n_probe: int
    rerank_vectors: str
    fusion: str
    fusion_weight: float
    verify_k: int


def auto_search_plan(
    final_k: int = 10,
    candidate_k: int = 0,
    n_probe: int = 8,
    query_vector_budget: int = 0,
    document_vector_budget: int = 0,
) -> SearchPlan:
    """Exhaustive exact MaxSim while it costs about 20 ms or less on the backend, else the centroid plan
    with these ``candidate_k`` (0: :func:`scaled_candidate_k`) and ``n_probe``
    (see :func:`workbench.core.search.resolve_auto_plan`)."""
    return SearchPlan("auto", final_k, candidate_k, query_vector_budget, document_vector_budget, n_probe=n_probe)


def exhaustive_search_plan(
    final_k: int = 10, query_vector_budget: int = 0, document_vector_budget: int = 0
) -> SearchPlan:
    """Exact MaxSim over every passage: the ground truth the staged plans are measured against."""
    return SearchPlan("exhaustive", final_k, 0, query_vector_budget, document_vector_budget)


def document_proxy_search_plan(
    final_k: int = 10, candidate_k: int = 100, query_vector_budget: int = 32, document_vector_budget: int = 64
) -> SearchPlan:
    """Proxy dot products pick ``candidate_k`` passages; exact MaxSim ranks them to ``final_k``."""
    return SearchPlan("document_proxy", final_k, candidate_k, query_vector_budget, document_vector_budget)


def hybrid_search_plan(
    final_k: int = 10,
    candidate_k: int = 100,
    lexical_k: int = 100,
    query_vector_budget: int = 32,
    document_vector_budget: int = 64,
    fusion: str = DEFAULT_FUSION,
    fusion_weight: float = DEFAULT_FUSION_WEIGHT,
) -> SearchPlan:
    """Proxy and BM25 candidates, united, scored by exact MaxSim and ranked by ``fusion`` of MaxSim and
    BM25 (``"none"``: MaxSim alone). The defaults were chosen on Cranfield (README, "Retrieval quality")."""
    return SearchPlan(
        "hybrid",
        final_k,
        candidate_k,
        query_vector_budget,
        document_vector_budget,
        lexical_k,
        fusion=fusion,
        fusion_weight=fusion_weight,
    )


def centroid_search_plan(
    final_k: int = 10,
    candidate_k: int = 100,
    n_probe: int = 8,
    query_vector_budget: int = 32,
    document_vector_budget: int = 0,
    rerank_vectors: str = "float16",
) -> SearchPlan:
    """Probe ``n_probe`` centroid lists per query vector, centroid-interaction scores, exact rerank —
    on the stored float16 vectors, or with ``rerank_vectors="residual"`` on vectors decompressed from
    centroid + 2-bit residual (36 bytes per token instead of 256; what the exact stage scores then)."""
    return SearchPlan(
        "centroid",
        final_k,
        candidate_k,
        query_vector_budget,
        document_vector_budget,
        n_probe=n_probe,
        rerank_vectors=rerank_vectors,
    )


def scaled_candidate_k(n_passages: int, stage2_k: int) -> int:
    """The ``candidate_k`` a staged plan asking for 0 runs with over ``n_passages`` passages:
    ⌈2·√n_passages⌉, at least 100 and at least ``stage2_k`` (what stage 2 passes on).

    Measured with the auto plan's centroid stage (n_probe 8, Mojo backend) against exhaustive MaxSim on
    the same coded rows, 60 queries each (``benchmarks/stage1_recall.py``; docs/benchmarks.md, "Stage-1
    recall as the collection grows"): a fixed 100 candidates found 0.795 of the exact top 10 at 10⁵
    passages and 0.572 at 10⁶; ⌈2·√n⌉ (633 and 2,001) finds 0.950 and 0.970, for a median search of
    7.7 ms instead of 6.1 and 20.1 instead of 13.5. The root rather than a fixed share: recall of
    0.95–0.97 took 0.6 % of the collection at 10⁵ but 0.2 % at 10⁶.
    """
    return max(root_candidates(n_passages), MIN_SCALED_CANDIDATES, stage2_k)


def root_candidates(n_passages: int) -> int:
    """⌈2·√n_passages⌉: the part of :func:`scaled_candidate_k` that grows with the collection."""
    return math.ceil(CANDIDATES_PER_ROOT * math.sqrt(max(n_passages, 0)))


def scale_candidates(plan: SearchPlan, n_passages: int) -> tuple[SearchPlan, str]:
    """``plan`` with a scaled ``candidate_k`` (0) resolved for ``n_passages`` searched, and how many it
    passes on, in words: ``"2,001 candidates (2√N of 1,000,016 passages)"``, or at the floor
    ``"100 candidates (2√N of 900 passages is 60, raised to 100)"``. A plan that names its ``candidate_k``,
    or has no stage 1, comes back as it is, with ``""``."""
    if plan.kind == "exhaustive" or plan.candidate_k:
        return plan, ""
    k, root = scaled_candidate_k(n_passages, plan.stage2_k), root_candidates(n_passages)
    raised = "" if k == root else f" is {root:,}, raised to {k:,}"
    return replace(plan, candidate_k=k), f"{k:,} candidates (2√N of {n_passages:,} passages{raised})"
