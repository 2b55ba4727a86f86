"""Staged search: run a :class:`SearchPlan` against a :class:`LateIndex` on one backend.

:func:`iter_search` is a generator that yields one :class:`StageProfile` as each stage finishes (and a
:class:`~.verification.VerifyProgress` between batches of stage 3) and returns the
:class:`SearchResult` — a GUI worker yields between steps and can be cancelled there.
:func:`search_with_plan` runs it to the end.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .backends import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND, get_backend
from .budgets import kept_count, kept_counts
from .filters import PassageFilter
from .fusion import ScoreParts
from .generators import run_to_end
from .layouts import EmptyIndex, LateIndex, LateQuery, PassageInfo
from .plans import SearchPlan, scale_candidates
from .results import Hit, SearchResult, StageProfile
from .stages import NO_VECTORS, centroid_stage, exact_stage, fusion_stage, lexical_stage, proxy_stage, stage3_if_planned
from .verification import Verified, Verifier, VerifyProgress

# Query-vector × document-vector products each backend scores in about 20 ms here (Mojo ≈1.5·10⁹ pairs/s,
# NumPy on float16 storage ≈1·10⁸: `workbench bench`); under that, exact search is the auto plan's choice.
AUTO_EXACT_PAIRS = {MOJO_EXACT_CPU_BACKEND: 30_000_000, NUMPY_REFERENCE_BACKEND: 2_000_000}


def resolve_auto_plan(
    n_query_vectors: int, index: LateIndex, plan: SearchPlan, eligible: NDArray[np.bool_] | None, backend: str
) -> tuple[SearchPlan, str]:
    """The concrete plan an ``auto`` plan runs, and why: exhaustive exact MaxSim when its products fit
    the backend's ~20 ms budget (:data:`AUTO_EXACT_PAIRS`), else the centroid plan (its ``candidate_k``
    scaled to the passages searched when the auto plan's is 0, :func:`~.plans.scaled_candidate_k`)."""
    from .plans import centroid_search_plan, exhaustive_search_plan

    lengths = index.lengths if eligible is None else index.lengths[eligible]
    nq = kept_count(n_query_vectors, plan.query_vector_budget)
    pairs = nq * int(kept_counts(lengths, plan.document_vector_budget).sum())
    name = get_backend(backend).name
    limit = AUTO_EXACT_PAIRS.get(name, AUTO_EXACT_PAIRS[NUMPY_REFERENCE_BACKEND])
    if pairs <= limit:
        return (
            replace(
                exhaustive_search_plan(plan.final_k, plan.query_vector_budget, plan.document_vector_budget),
                verify_k=plan.verify_k,
            ),
            f"auto chose exact MaxSim: {pairs:,} products fit the ~20 ms budget of {limit:,} on {name}",
        )
    centroid = replace(
        centroid_search_plan(
            plan.final_k, plan.candidate_k, plan.n_probe, plan.query_vector_budget, plan.document_vector_budget
        ),
        verify_k=plan.verify_k,
    )
    concrete, scaled = scale_candidates(centroid, lengths.shape[0])
    # The candidates first: a status line too narrow for the whole sentence still shows them.
    return (
        concrete,
        "auto chose the centroid plan"
        + (f" with {scaled}" if scaled else "")
        + f": exact MaxSim would take {pairs:,} products, over the ~20 ms budget of {limit:,} on {name}",
    )


def iter_search(
    query: LateQuery,
    index: LateIndex,
    plan: SearchPlan,
    backend: str = NUMPY_REFERENCE_BACKEND,
    where: PassageFilter | None = None,
    verifier: Verifier | None = None,
) -> Generator[StageProfile | VerifyProgress, None, SearchResult]:
    """Run ``plan``; yields each stage's profile as it completes (and a :class:`VerifyProgress` between
    batches of stage 3), returns the result. Raises :class:`EmptyIndex` for an index without passages,
    ``ValueError`` for a plan with ``verify_k`` but no ``verifier``.

    ``where`` restricts every stage to passages of matching documents: stage 1 scores eligible
    passages only (the filter is pushed down, not applied to a finished top-k). An ``auto`` plan runs
    the plan :func:`resolve_auto_plan` picks; its first profile's ``note`` says which and why. A staged
    plan with ``candidate_k`` 0 runs with :func:`~.plans.scaled_candidate_k` of the passages searched,
    and its first profile's ``note`` says how many.
    ``verifier`` is the cross-encoder of stage 3 (``workbench.open_verifier()``), used when ``plan.verify_k``.
    """
    get_backend(backend)  # fail before any work if the backend cannot run here
    if plan.verify_k and verifier is None:
        raise ValueError(
            f"the plan asks for stage 3 (verify_k={plan.verify_k}) but no cross-encoder was given "
            "(pass verifier=workbench.open_verifier())"
        )
    if index.n_passages == 0:
        raise EmptyIndex(index.name)
    eligible = index.eligible_rows(where)
    asked = plan
    if plan.kind == "auto":
        plan, why = resolve_auto_plan(query.n_vectors, index, plan, eligible, backend)
    else:
        plan, why = scale_candidates(plan, index.count_eligible(eligible))
    run = _run_concrete(query, index, plan, backend, where, eligible, verifier)
    return (yield from (_run_as(run, asked, why) if plan is not asked else run))


def _run_concrete(
    query: LateQuery,
    index: LateIndex,
    plan: SearchPlan,
    backend: str,
    where: PassageFilter | None,
    eligible: NDArray[np.bool_] | None,
    verifier: Verifier | None,
) -> Generator[StageProfile | VerifyProgress, None, SearchResult]:
    """:func:`iter_search` of a concrete plan (not ``auto``, its ``candidate_k`` resolved) over the
    ``eligible`` rows of ``where``."""
    lexical_text = query.lexical_text or query.text
    qm = query.matrix()
    if qm.shape[1] != index.dim:
        raise ValueError(f"query vectors are {qm.shape[1]}-d but the index holds {index.dim}-d vectors")
    if qm.shape[0] == 0:
        if plan.kind != "hybrid" or not query.text.strip():
            raise ValueError(NO_VECTORS if query.text.strip() else "the query is empty")
        # Nothing to score by MaxSim: the hybrid plan's lexical stage alone ranks, and says so.
        rows, scores, profile = lexical_stage(lexical_text, index, plan, where, eligible, plan.stage2_k)
        yield profile
        stages: list[StageProfile] = [profile]
        hit_rows, scores, _, verified = yield from stage3_if_planned(
            query.text, index, plan, rows, scores, None, stages, verifier
        )
        return _result(query, index, plan, backend, hit_rows, scores, stages, rows, where, eligible, None, verified)
    q = np.ascontiguousarray(qm[: kept_count(qm.shape[0], plan.query_vector_budget)])
    stages = []
    candidates: NDArray[np.int64] | None = None
    lexical: NDArray[np.int64] | None = None
    lexical_scores: NDArray[np.floating[Any]] | None = None
    if plan.kind == "centroid":
        candidates, profile = centroid_stage(q, index, plan, eligible, backend)
        stages.append(profile)
        yield profile
        rows = candidates
    elif plan.kind in ("document_proxy", "hybrid"):
        candidates, profile = proxy_stage(q, index, plan, eligible)
        stages.append(profile)
        yield profile
        if plan.kind == "hybrid":
            lexical, lexical_scores, profile = lexical_stage(lexical_text, index, plan, where, eligible)
            stages.append(profile)
            yield profile
            candidates = np.union1d(candidates, lexical)
        rows = candidates
    else:
        rows = np.arange(index.n_passages, dtype=np.int64) if eligible is None else np.flatnonzero(eligible)
    fused = plan.fusion != "none"
    hit_rows, scores, profile = exact_stage(q, index, rows, plan, backend, rows.shape[0] if fused else None)
    stages.append(profile)
    yield profile
    parts = None
    if fused:
        # SearchPlan allows a fusion only on a hybrid plan, which ran the lexical stage above.
        assert lexical is not None and lexical_scores is not None
        hit_rows, scores, parts, profile = fusion_stage(index, plan, hit_rows, scores, lexical, lexical_scores)
        stages.append(profile)
        yield profile
    hit_rows, scores, parts, verified = yield from stage3_if_planned(
        query.text, index, plan, hit_rows, scores, parts, stages, verifier
    )
    return _result(query, index, plan, backend, hit_rows, scores, stages, candidates, where, eligible, parts, verified)


def _run_as(
    gen: Generator[StageProfile | VerifyProgress, None, SearchResult], asked: SearchPlan, why: str
) -> Generator[StageProfile | VerifyProgress, None, SearchResult]:
    """Runs ``gen`` (the search of the plan that ``asked`` resolved to) as ``asked``: its first stage's
    profile carries ``why`` in its note, and the result names ``asked`` as the plan requested."""
    first = True
    while True:
        try:
            profile = next(gen)
        except StopIteration as done:
            result: SearchResult = done.value
            if result.stages:
                result.stages[0] = replace(result.stages[0], note=why)
            result.requested = asked
            return result
        # The first step is always a stage's profile (stage 3's progress comes after stage 2).
        yield replace(profile, note=why) if first and isinstance(profile, StageProfile) else profile
        first = False


def _result(
    query: LateQuery,
    index: LateIndex,
    plan: SearchPlan,
    backend: str,
    hit_rows: NDArray[np.int64],
    scores: NDArray[np.floating[Any]],
    stages: list[StageProfile],
    candidates: NDArray[np.int64] | None,
    where: PassageFilter | None,
    eligible: NDArray[np.bool_] | None,
    parts: list[ScoreParts] | None = None,
    verified: list[Verified | None] | None = None,
) -> SearchResult:
    ids = index.passage_ids[hit_rows]
    infos: Sequence[PassageInfo | None] = (
        index.describe(ids.tolist()) if index.catalog is not None else [None] * len(ids)
    )
    hit_parts: Sequence[ScoreParts | None] = parts or [None] * len(ids)
    verdicts: Sequence[Verified | None] = verified or [None] * len(ids)
    hits = [
        Hit(rank + 1, int(pid), float(score), int(row), info, part, check)
        for rank, (pid, score, row, info, part, check) in enumerate(
            zip(ids, scores, hit_rows, infos, hit_parts, verdicts)
        )
    ]
    n_eligible = index.count_eligible(eligible)
    return SearchResult(
        query,
        plan,
        get_backend(backend).name,
        hits,
        stages,
        index,
        candidates,
        where if where is not None and not where.is_empty else None,
        n_eligible,
    )


def search_with_plan(
    query: LateQuery,
    index: LateIndex,
    plan: SearchPlan,
    backend: str = NUMPY_REFERENCE_BACKEND,
    where: PassageFilter | None = None,
    verifier: Verifier | None = None,
) -> SearchResult:
    """Run every stage of ``plan`` (within ``where``, stage 3 with ``verifier``) and return ranked hits
    with one profile per stage."""
    return run_to_end(iter_search(query, index, plan, backend, where, verifier))
