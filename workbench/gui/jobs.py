"""Long work off the UI thread: superqt ``thread_worker`` generators with cooperative cancel.

Every job is a generator run on a worker thread; it yields once per step (an ingest event, a search
stage) and checks its :class:`CancelToken` between steps, so cancelling returns promptly and cleanly
(generators end normally, so ``finally`` blocks such as the index's writer lock run on the worker).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from superqt.utils import thread_worker

from ..collection import REOPEN_ATTEMPTS, Collection, IngestEvent
from ..core import IndexChanged, PassageFilter, SearchPlan, SearchResult, iter_search, search_with_plan
from ..core.metrics import overlap_recall
from ..core.plans import exhaustive_search_plan
from ..core.verification import VerifyProgress
from .hits_view import hit_snippets


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


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


def search_steps(coll: Collection, text: str, plan: SearchPlan, backend: str, token: CancelToken,
                 measure_recall: bool = True, where: PassageFilter | None = None) -> Iterator[Any]:
    """Yields ``("encoded", query)``, then ``("stage", profile)`` per stage (and ``("verifying", progress)``
    between batches of stage 3); returns a :class:`SearchRun`.

    ``where`` limits the search, and the exhaustive reference of stage-1 recall, to matching documents.
    When a writer changes the index mid-search (``IndexChanged``), it yields ``("restarted", reason)``
    and searches the reopened index from the first stage.
    """
    query = coll.encode_query(text)
    yield ("encoded", query)
    verifier = coll.verifier_for(plan)     # stage 3's model loads here, off the UI thread
    for attempt in range(REOPEN_ATTEMPTS):
        index = coll.late_index()
        try:
            gen = iter_search(query, index, plan, backend, where, verifier)
            while True:
                if token.cancelled:
                    return None
                try:
                    step = next(gen)
                except StopIteration as done:
                    result: SearchResult = done.value
                    break
                yield ("verifying" if isinstance(step, VerifyProgress) else "stage", step)
            recall = None
            if measure_recall and result.stage1_candidates is not None and not token.cancelled:
                reference = exhaustive_search_plan(plan.final_k, plan.query_vector_budget, plan.document_vector_budget)
                ref = search_with_plan(query, index, reference, backend, where)
                recall = overlap_recall(index.passage_ids[result.stage1_candidates].tolist(),
                                        [h.passage_id for h in ref.hits])
            return SearchRun(text, result, recall, hit_snippets(result))
        except IndexChanged as exc:
            yield ("restarted", str(exc))
    raise IndexChanged(f"the index kept changing during {REOPEN_ATTEMPTS} tries; search again once the ingest "
                       "writing to it has finished")


def start_job(fn: Callable[..., Iterator[Any]], *args: Any, on_yield: Callable | None = None,
              on_return: Callable | None = None, on_error: Callable | None = None,
              on_finish: Callable | None = None):
    """Run generator function ``fn(*args)`` on a worker thread, wiring its signals; returns the worker."""
    worker = thread_worker(fn, start_thread=False)(*args)
    for signal, slot in (("yielded", on_yield), ("returned", on_return), ("errored", on_error),
                         ("finished", on_finish)):
        if slot is not None:
            getattr(worker, signal).connect(slot)
    worker.start()
    return worker
