"""Long work off the UI thread: superqt ``thread_worker`` generators with cooperative cancel.

Every job is a generator run on a worker thread; it yields once per step (an ingest event, a search
stage) and checks its :class:`CancelToken` between steps, so cancelling returns promptly and cleanly
(generators end normally, so ``finally`` blocks such as the index's writer lock run on the worker).
"""

from __future__ import annotations

import functools
import inspect
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from superqt.utils import thread_worker

from ..collection import REOPEN_ATTEMPTS, Collection, IngestEvent
from ..core import IndexChanged, PassageFilter, SearchPlan, SearchResult, iter_search, search_with_plan
from ..core.metrics import overlap_recall
from ..core.plans import exhaustive_search_plan
from ..core.verification import VerifyProgress
from ..encode.default_model import DEFAULT_MODEL
from ..store import IndexStore
from .hits_view import hit_snippets

POLL_S = 0.2     # how often a job waiting on a download looks at its cancel token


class JobError(Exception):
    """A job's ``RuntimeError`` (an :class:`~workbench.encode.EncoderError`, say), handed on under this type:
    superqt's worker takes a ``RuntimeError`` for a deleted Qt object and drops it with a warning, without
    emitting ``errored`` or ``finished``. The message is the original's; ``__cause__`` is the original."""


def _errors_reported(fn: Callable) -> Callable:
    """``fn`` (a generator function or a plain one) with its ``RuntimeError`` re-raised as :class:`JobError`."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def steps(*args: Any) -> Iterator[Any]:
            try:
                return (yield from fn(*args))
            except RuntimeError as exc:
                raise JobError(str(exc)) from exc
        return steps

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except RuntimeError as exc:
            raise JobError(str(exc)) from exc
    return call


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


def until_cancelled(gen: Iterator[Any], token: CancelToken, label: Callable[[Any], Any] = lambda step: step
                    ) -> Iterator[Any]:
    """``gen``'s steps (each passed through ``label``), checking ``token`` before each; returns what ``gen``
    returns, or ``None`` once ``token`` is cancelled (``gen`` is left where it stopped)."""
    while True:
        if token.cancelled:
            return None
        try:
            step = next(gen)
        except StopIteration as done:
            return done.value
        yield label(step)


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
            result: SearchResult | None = yield from until_cancelled(
                iter_search(query, index, plan, backend, where, verifier), token,
                lambda step: ("verifying" if isinstance(step, VerifyProgress) else "stage", step))
            if result is None:
                return None
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


def download_steps(model: str, token: CancelToken) -> Iterator[tuple[str, str, int, int]]:
    """Fetch hub model ``model`` into the Hugging Face cache (a folder or a cached model: at once), yielding
    ``("download", model, bytes_done, bytes_total)`` as its files arrive. A cancelled ``token`` stops the
    download at its next chunk: :class:`~workbench.encode.encoder.DownloadCancelled` ("… download cancelled")
    is raised, like any other :class:`~workbench.encode.EncoderError` of the download.

    The download runs on a helper thread (huggingface_hub calls back from its own download threads); this
    generator turns those calls into yields and waits for the helper before it ends, so no thread outlives it.
    """
    from ..encode.encoder import DownloadCancelled, resolve_model

    steps: queue.SimpleQueue = queue.SimpleQueue()
    outcome: dict[str, BaseException] = {}

    def progress(done: int, total: int) -> None:
        if token.cancelled:
            raise DownloadCancelled("download cancelled")
        steps.put((done, total))

    def fetch() -> None:
        try:
            resolve_model(model, progress=progress)
        except BaseException as exc:      # handed to the generator, which raises it on the worker
            outcome["error"] = exc

    helper = threading.Thread(target=fetch, name=f"download {model}", daemon=True)
    helper.start()
    while helper.is_alive() or not steps.empty():
        try:
            done, total = steps.get(timeout=POLL_S)
        except queue.Empty:
            continue
        yield ("download", model, done, total)
    helper.join()
    if "error" in outcome:
        raise outcome["error"]


def open_index_steps(path: Path, model: str | None, token: CancelToken, encoder=None,
                     create: bool = False) -> Iterator[tuple]:
    """Open the index at ``path`` (``create``: make a new one there, written with ``model``; else the index's
    own recorded model), downloading a hub model first with progress (:func:`download_steps`), then loading
    the encoder and the index off the UI thread. Yields ``("download", model, done, total)`` steps and one
    ``("loading", model)``; returns the :class:`Collection`, or ``None`` when ``token`` was cancelled.

    ``encoder``: an already loaded encoder to reuse when its model is the one needed. Raises what
    :meth:`Collection.open` raises: a folder that holds other files, one that is not an index (the store's
    own message), a model that cannot be had (one line) or may not run.
    """
    from ..encode.encoder import HUB_ID
    from ..encode.model_trust import is_trusted, model_key

    path = Path(path)
    if create:
        IndexStore.needs_creating(path)      # a folder with other files is refused before any download
        coll, wanted = None, model or DEFAULT_MODEL
    else:
        coll = Collection.open(path)          # the store's own refusal for a folder that is not an index
        wanted = coll.model
    same = encoder is not None and (encoder.model_ref == wanted if wanted == DEFAULT_MODEL
                                    else model_key(encoder.model_ref) == model_key(wanted))
    encoder = encoder if same else None
    # A hub id an index recorded is fetched only once the user has named it (else opening says why, below).
    named = create or is_trusted(wanted)
    if encoder is None and HUB_ID.fullmatch(wanted) and not Path(wanted).expanduser().exists() and named:
        yield from download_steps(wanted, token)
    if token.cancelled:
        return None
    yield ("loading", wanted)
    if coll is None or encoder is not None:
        coll = Collection.open(path, model=model if create else None, create=create, encoder=encoder)
    coll.encoder  # noqa: B018 — load the model now, off the UI thread
    coll.late_index()
    return None if token.cancelled else coll


def evaluation_steps(coll: Collection, queries: dict, qrels: dict, plan_a: SearchPlan, plan_b: SearchPlan | None,
                     backend: str, where: PassageFilter | None, token: CancelToken) -> Iterator[tuple[str, int, int]]:
    """:func:`~workbench.evaluation.iter_compare` with a cancel point after each query: yields
    ``("A" or "B", done, total)``; returns ``(run A, run B, A − B)``, or ``None`` when cancelled."""
    from ..measure.evaluation import iter_compare
    return (yield from until_cancelled(iter_compare(coll, queries, qrels, plan_a, plan_b, backend, where), token))


def start_job(fn: Callable[..., Iterator[Any]], *args: Any, on_yield: Callable | None = None,
              on_return: Callable | None = None, on_error: Callable | None = None,
              on_finish: Callable | None = None, start: bool = True):
    """Run generator function ``fn(*args)`` on a worker thread, wiring its signals; returns the worker
    (``start`` ``False``: not started yet, so that more can be wired before a quick job ends)."""
    # With an on_error of its own, a job's error is handled there; superqt would also re-raise it on the UI
    # thread (a traceback on stderr, a failed test) unless told to ignore it.
    worker = thread_worker(_errors_reported(fn), start_thread=False, ignore_errors=on_error is not None)(*args)
    for signal, slot in (("yielded", on_yield), ("returned", on_return), ("errored", on_error),
                         ("finished", on_finish)):
        if slot is not None:
            getattr(worker, signal).connect(slot)
    if start:
        worker.start()
    return worker
