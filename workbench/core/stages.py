"""The stages of a staged search, each a generator that yields its :class:`StageProfile` when done.

Stage 1 narrows the collection to ``candidate_k`` candidates: the document proxy (one dot product per
passage), the token centroids' inverted lists (``n_probe`` per query vector), or BM25 over the catalog's
FTS5 table; stage 2 scores candidates by exact MaxSim within the vector budgets, fused with BM25 when
the plan says so; stage 3 (``verify_k``) sends stage 2's best passages to a cross-encoder. Every profile
counts the query vectors, document vectors and pairwise similarities it took. :mod:`.search` chains
them per plan.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .backends import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND, get_backend
from .blas import one_blas_thread
from .budgets import kept_counts
from .centroids import CentroidIndex, build_centroid_index, probe_candidates, widened_probe
from .filters import PassageFilter
from .fusion import RRF_K, ScoreParts, fuse, fusion_label
from .layouts import LateIndex
from .packed import gather_indices
from .plans import SearchPlan
from .ranking import top_k
from .residuals import build_residual_index
from .results import StageProfile
from .segmented import segmented_maxsim
from .verification import VERIFY_BATCH, Verified, Verifier, VerifyProgress

EXACT_FILTER_FACTOR = 4  # a filter admitting ≤ 4·candidate_k passages sends them all to the exact stage
# Cost of reading one inverted-list entry in the probe, in query-vector × document-vector products of
# the exact stage (measured at 10⁵–10⁶ passages: NumPy's probe ≈22–27 ns per entry vs ≈6 ns per product;
# the Mojo backend's native probe ≈9 ns per entry vs ≈0.8–1.6 ns per product).
LOOKUP_COST = {MOJO_EXACT_CPU_BACKEND: 8.0, NUMPY_REFERENCE_BACKEND: 4.0}


def _exact_is_cheaper(
    q: NDArray[np.float32],
    index: LateIndex,
    ci: CentroidIndex,
    plan: SearchPlan,
    eligible: NDArray[np.bool_],
    n_eligible: int,
    n_probe: int,
    backend: str,
) -> str:
    """Why exact MaxSim on every eligible passage beats probing under this filter ('' when it does not).

    A narrow filter leaves few passages on each list, so probing reads many entries for few eligible
    candidates while exact scoring of the eligible passages stays small (10⁶ passages, 1 % filter:
    240 ms probed, recall 0.94, vs 13 ms exact, recall 1).
    """
    if n_eligible <= EXACT_FILTER_FACTOR * plan.candidate_k:
        return f"the filter admits at most {EXACT_FILTER_FACTOR}×candidate_k passages"
    products = q.shape[0] * int(kept_counts(index.lengths[eligible], plan.document_vector_budget).sum())
    lookups = q.shape[0] * n_probe * ci.list_rows.shape[0] / ci.n_centroids
    if products <= LOOKUP_COST.get(get_backend(backend).name, 4.0) * lookups:
        return f"exact on the eligible passages ({products:,} products) costs less than ~{int(lookups):,} look-ups"
    return ""


def proxy_stage(
    q: NDArray[np.float32], index: LateIndex, plan: SearchPlan, eligible: NDArray[np.bool_] | None
) -> tuple[NDArray[np.int64], StageProfile]:
    setup = 0.0
    if plan.document_vector_budget not in index.proxies:
        t = time.perf_counter()
        index.proxy_vectors(plan.document_vector_budget)
        setup = (time.perf_counter() - t) * 1e3
    t = time.perf_counter()
    proxies = index.proxy_vectors(plan.document_vector_budget)
    query_proxy = q.mean(axis=0)
    pool = np.flatnonzero(eligible) if eligible is not None else None
    with one_blas_thread():
        scores = (proxies if pool is None else proxies[pool]) @ query_proxy
    best = top_k(scores, index.passage_ids if pool is None else index.passage_ids[pool], plan.candidate_k)
    rows = best if pool is None else pool[best]
    ms = (time.perf_counter() - t) * 1e3
    n = scores.shape[0]
    # Stage 1 is NumPy on every backend: one matrix-vector product, named as such in the profile.
    return rows, StageProfile(
        "stage1:document_proxy", n, int(rows.shape[0]), 1, n, n, ms, NUMPY_REFERENCE_BACKEND, setup_ms=setup
    )


def centroid_stage(
    q: NDArray[np.float32], index: LateIndex, plan: SearchPlan, eligible: NDArray[np.bool_] | None, backend: str
) -> tuple[NDArray[np.int64], StageProfile]:
    setup = 0.0
    if index.centroid_index is None:
        t = time.perf_counter()
        index.centroid_index = build_centroid_index(index)
        setup = (time.perf_counter() - t) * 1e3
    ci = index.centroid_index
    t = time.perf_counter()
    n_eligible = index.count_eligible(eligible)
    n_probe = widened_probe(plan.n_probe, n_eligible / max(index.n_passages, 1), ci.n_centroids)
    if eligible is not None:
        why_exact = _exact_is_cheaper(q, index, ci, plan, eligible, n_eligible, n_probe, backend)
        if why_exact:
            rows = np.flatnonzero(eligible)
            return rows, StageProfile(
                "stage1:filter_all_eligible",
                n_eligible,
                int(rows.shape[0]),
                0,
                0,
                0,
                (time.perf_counter() - t) * 1e3,
                NUMPY_REFERENCE_BACKEND,
                budget_rule=f"none ({why_exact})",
                setup_ms=setup,
            )
    # The Mojo backend reads the lists on its kernel too (same scores to the bit), NumPy's with NumPy.
    native = get_backend(backend).name == MOJO_EXACT_CPU_BACKEND
    found = probe_candidates(ci, q, n_probe, plan.candidate_k, index.passage_ids, eligible, native)
    ms = (time.perf_counter() - t) * 1e3
    k = ci.n_centroids
    # Stage-1 lists hold every token of a passage, so no document vector budget applies here.
    return found.rows, StageProfile(
        "stage1:centroid_interaction",
        n_eligible,
        int(found.rows.shape[0]),
        q.shape[0],
        k,
        q.shape[0] * k,
        ms,
        MOJO_EXACT_CPU_BACKEND if native else NUMPY_REFERENCE_BACKEND,
        budget_rule="none (centroid lists hold every token)",
        setup_ms=setup,
        probed=found.touched,
        lookups=found.lookups,
        n_probe=found.n_probe,
    )


def lexical_stage(
    text: str,
    index: LateIndex,
    plan: SearchPlan,
    where: PassageFilter | None,
    eligible: NDArray[np.bool_] | None,
    k: int | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.floating[Any]], StageProfile]:
    """``(rows, lexical scores, profile)`` of the best ``k`` (default ``lexical_k``) passages by text."""
    t = time.perf_counter()
    ids, scores = index.lexical_search(text, plan.lexical_k if k is None else k, where)
    rows = index.rows_of(ids)
    live = rows >= 0
    rows, scores = rows[live], scores[live]
    ms = (time.perf_counter() - t) * 1e3
    # Lexical scoring touches no vectors: its cost is the inverted-list walk, not dot products.
    n = index.count_eligible(eligible)
    return (
        rows,
        scores,
        StageProfile("stage1:lexical_bm25", n, int(rows.shape[0]), 0, 0, 0, ms, "sqlite-fts5", budget_rule="none"),
    )


NO_VECTORS = (
    "the query has no vectors: the encoder cannot represent any of its characters (the default encoder "
    "maps Thai and most Chinese characters to [UNK]); search it with the hybrid plan, whose lexical stage "
    "matches the text, or index with a multilingual ColBERT checkpoint (--model)"
)


def exact_stage(
    q: NDArray[np.float32],
    index: LateIndex,
    rows: NDArray[np.int64],
    plan: SearchPlan,
    backend_name: str,
    keep: int | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float32], StageProfile]:
    """``(rows, MaxSim scores, profile)`` of the best ``keep`` (default ``plan.stage2_k``) of ``rows``, best first."""
    backend = get_backend(backend_name)
    # A compact index's vectors are its residuals already: "residual" reranks on them as stored.
    on_residuals = plan.rerank_vectors == "residual" and not index.compressed
    setup = 0.0 if not on_residuals or index.residual_index is not None else _build_residuals(index)
    t = time.perf_counter()
    if on_residuals:
        # Decompress just the candidates' kept vectors into a small packed array and score that.
        residuals, centroids = index.residual_index, index.centroid_index
        assert residuals is not None and centroids is not None  # built above, or stored with the index
        kept = kept_counts(index.lengths[rows], plan.document_vector_budget)
        x = residuals.decode_rows(centroids, gather_indices(index.starts[rows], kept))
        local = np.concatenate(([0], np.cumsum(kept)[:-1])).astype(np.int64)
        scores, _ = backend.maxsim(q, x, local, kept, np.arange(rows.shape[0]), 0)
    else:
        scores, _ = segmented_maxsim(
            backend, q, index.vectors, index.starts, index.lengths, rows, plan.document_vector_budget
        )
    best = top_k(scores, index.passage_ids[rows], plan.stage2_k if keep is None else keep)
    ms = (time.perf_counter() - t) * 1e3
    doc_vectors = int(kept_counts(index.lengths[rows], plan.document_vector_budget).sum())
    name = "exact_maxsim" if plan.kind == "exhaustive" else "stage2:exact_maxsim"
    # Say what was scored: the float vectors as encoded, or compressed ones (2-bit residuals decoded for
    # this search, or a compact index's coded vectors)
    profile = StageProfile(
        name + ("_residual" if on_residuals else "_compressed" if index.compressed else ""),
        int(rows.shape[0]),
        int(best.shape[0]),
        q.shape[0],
        doc_vectors,
        q.shape[0] * doc_vectors,
        ms,
        backend.name,
        setup_ms=setup,
    )
    return rows[best], scores[best], profile


def fusion_stage(
    index: LateIndex,
    plan: SearchPlan,
    rows: NDArray[np.int64],
    maxsim: NDArray[np.float32],
    lexical_rows: NDArray[np.int64],
    lexical_scores: NDArray[np.floating[Any]],
) -> tuple[NDArray[np.int64], NDArray[np.float64], list[ScoreParts], StageProfile]:
    t = time.perf_counter()
    hit_rows, scores, parts = fuse(
        rows,
        maxsim,
        lexical_rows,
        lexical_scores,
        index.passage_ids[rows],
        plan.fusion,
        plan.fusion_weight,
        plan.stage2_k,
    )
    ms = (time.perf_counter() - t) * 1e3
    # Arithmetic on two score lists: no vectors, named as NumPy like the proxy stage.
    return (
        hit_rows,
        scores,
        parts,
        StageProfile(
            "fusion:" + fusion_label(plan.fusion, plan.fusion_weight),
            int(rows.shape[0]),
            int(hit_rows.shape[0]),
            0,
            0,
            0,
            ms,
            NUMPY_REFERENCE_BACKEND,
            budget_rule=(
                f"w = BM25 share{f', k = {RRF_K}' if plan.fusion == 'rrf' else ''}; BM25 counts within "
                f"the lexical stage's {plan.lexical_k}, 0 outside"
            ),
        ),
    )


def verify_stage(
    text: str,
    index: LateIndex,
    plan: SearchPlan,
    rows: NDArray[np.int64],
    scores: NDArray[np.floating[Any]],
    verifier: Verifier,
) -> Generator[
    VerifyProgress, None, tuple[NDArray[np.int64], NDArray[np.float32], list[Verified | None], StageProfile]
]:
    """Stage 3 over stage 2's ranking (``rows`` best first, ``scores`` what ranked them): the cross-encoder
    scores the first ``verify_k`` (query, passage text) pairs, ``VERIFY_BATCH`` at a time with a
    :class:`VerifyProgress` between batches. Returns ``(order, scores, verdicts, profile)`` of the final
    ``final_k``: ``order`` indexes ``rows`` — the verified passages by cross-encoder score, then stage 2's
    next ones (verdict ``None``, their stage-2 score) when ``verify_k < final_k``."""
    t = time.perf_counter()
    n = min(plan.verify_k, rows.shape[0])
    ids = index.passage_ids[rows]
    texts = [info.text for info in index.describe(ids[:n].tolist())]
    judged = np.empty(n, dtype=np.float32)
    tokens = 0
    for start in range(0, n, VERIFY_BATCH):
        batch, read = verifier.score(text, texts[start : start + VERIFY_BATCH])
        judged[start : start + VERIFY_BATCH] = batch
        tokens += read
        if start + VERIFY_BATCH < n:
            yield VerifyProgress(start + VERIFY_BATCH, n, (time.perf_counter() - t) * 1e3)
    best = top_k(judged, ids[:n], plan.final_k)
    rest = np.arange(n, min(rows.shape[0], plan.final_k), dtype=np.int64)
    verdicts: list[Verified | None] = [Verified(float(judged[i]), int(i) + 1, float(scores[i])) for i in best.tolist()]
    ms = (time.perf_counter() - t) * 1e3
    # No vectors: the cost is transformer passes over (query, passage) pairs, counted in pairs and tokens.
    return (
        np.concatenate((best, rest)),
        np.concatenate((judged[best], scores[rest].astype(np.float32))),
        verdicts + [None] * rest.shape[0],
        StageProfile(
            "stage3:cross_encoder",
            int(rows.shape[0]),
            int(best.shape[0] + rest.shape[0]),
            0,
            0,
            0,
            ms,
            verifier.backend,
            budget_rule=f"{verifier.name}; each pair truncated to "
            f"{verifier.max_tokens} tokens; {n} verified"
            + (f", then stage 2's next {rest.shape[0]} unverified" if rest.shape[0] else ""),
            pairs=n,
            tokens=tokens,
        ),
    )


def stage3_if_planned(
    text: str,
    index: LateIndex,
    plan: SearchPlan,
    rows: NDArray[np.int64],
    scores: NDArray[np.floating[Any]],
    parts: list[ScoreParts] | None,
    stages: list[StageProfile],
    verifier: Verifier | None,
) -> Generator[
    StageProfile | VerifyProgress,
    None,
    tuple[NDArray[np.int64], NDArray[np.floating[Any]], list[ScoreParts] | None, list[Verified | None] | None],
]:
    """The final ranking ``(rows, scores, parts, verdicts)``: stage 2's as given when the plan has no stage 3
    (``verdicts`` ``None``), else reordered by :func:`verify_stage`, whose profile is appended to ``stages``
    and yielded. ``parts`` (a fused plan's, else ``None``) travel with their hits."""
    if not plan.verify_k:
        return rows, scores, parts, None
    assert verifier is not None  # iter_search refuses a plan with verify_k but no verifier
    order, scores, verdicts, profile = yield from verify_stage(text, index, plan, rows, scores, verifier)
    stages.append(profile)
    yield profile
    return rows[order], scores, [parts[i] for i in order.tolist()] if parts is not None else None, verdicts


def _build_residuals(index: LateIndex) -> float:
    """Build the centroid and residual structures on first use; returns the milliseconds it took."""
    t = time.perf_counter()
    if index.centroid_index is None:
        index.centroid_index = build_centroid_index(index)
    index.residual_index = build_residual_index(index.vectors, index.centroid_index)
    return (time.perf_counter() - t) * 1e3
