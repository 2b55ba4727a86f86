"""The jobs of the index shown, as generators a :class:`~workbench.gui.workers.JobRunner` runs on a worker:
an ingest, sync or rescan's events, a staged search with its stage-1 recall, an evaluation of two plans.
Each checks its :class:`~workbench.gui.workers.CancelToken` between steps."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..collection import REOPEN_ATTEMPTS, Collection, IngestEvent
from ..core import IndexChanged, PassageFilter, SearchPlan, SearchResult, iter_search, search_with_plan
from ..core.metrics import overlap_recall
from ..core.plans import exhaustive_search_plan
from ..core.verification import VerifyProgress
from .hits_view import hit_snippets
from .workers import CancelToken, until_cancelled


@dataclass(frozen=True)
class SearchRun:
    """One finished search: the result, its stage-1 recall (if measured) and the text searched.
    ``snippets``: each hit's snippet for the hit list, made on the worker (the hits' alignments with
    them, kept by the result), so that showing the result costs the UI thread no token matching."""

    text: str
    result: SearchResult
    stage1_recall: float | None
    snippets: tuple[str, ...] = ()


def event_steps(gen: Iterator[IngestEvent], token: CancelToken) -> Iterator[IngestEvent]:
    """The events of an ingest, sync or rescan generator (made on any thread, run on the worker)."""
    try:
        for event in gen:
            yield event
            if token.cancelled:
                return
    finally:
        gen.close()  # releases the writer lock on this thread, keeps committed batches


def search_steps(
    coll: Collection,
    text: str,
    plan: SearchPlan,
    backend: str,
    token: CancelToken,
    measure_recall: bool = True,
    where: PassageFilter | None = None,
) -> Iterator[Any]:
    """Yields ``("encoded", query)``, then ``("stage", profile)`` per stage (and ``("verifying", progress)``
    between batches of stage 3); returns a :class:`SearchRun`.

    ``where`` limits the search, and the exhaustive reference of stage-1 recall, to matching documents;
    the query syntax of ``text`` (phrases, exclusions, ``OR``: :meth:`Collection.prepare`) is added to
    it, and the result's ``syntax`` says what was read. When a writer changes the index mid-search
    (``IndexChanged``), it yields ``("restarted", reason)`` and searches the reopened index from the first stage.
    """
    query, where, parsed = coll.prepare(text, where)
    yield ("encoded", query)
    verifier = coll.verifier_for(plan)  # stage 3's model loads here, off the UI thread
    for _attempt in range(REOPEN_ATTEMPTS):
        index = coll.late_index()
        try:
            result: SearchResult | None = yield from until_cancelled(
                iter_search(query, index, plan, backend, where, verifier),
                token,
                lambda step: ("verifying" if isinstance(step, VerifyProgress) else "stage", step),
            )
            if result is None:
                return None
            result.syntax = parsed
            recall = None
            if measure_recall and result.stage1_candidates is not None and not token.cancelled:
                reference = exhaustive_search_plan(plan.final_k, plan.query_vector_budget, plan.document_vector_budget)
                ref = search_with_plan(query, index, reference, backend, where)
                recall = overlap_recall(
                    index.passage_ids[result.stage1_candidates].tolist(), [h.passage_id for h in ref.hits]
                )
            return SearchRun(text, result, recall, hit_snippets(result))
        except IndexChanged as exc:
            yield ("restarted", str(exc))
    raise IndexChanged(
        f"the index kept changing during {REOPEN_ATTEMPTS} tries; search again once the ingest "
        "writing to it has finished"
    )


def evaluation_steps(
    coll: Collection,
    queries: dict,
    qrels: dict,
    plan_a: SearchPlan,
    plan_b: SearchPlan | None,
    backend: str,
    where: PassageFilter | None,
    token: CancelToken,
) -> Iterator[tuple[str, int, int]]:
    """:func:`~workbench.evaluation.iter_compare` with a cancel point after each query: yields
    ``("A" or "B", done, total)``; returns ``(run A, run B, A − B)``, or ``None`` when cancelled."""
    from ..measure.evaluation import iter_compare

    return (yield from until_cancelled(iter_compare(coll, queries, qrels, plan_a, plan_b, backend, where), token))
