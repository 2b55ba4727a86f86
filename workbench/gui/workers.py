"""Long work off the UI thread: superqt ``thread_worker`` generators with cooperative cancel.

Every job is a generator run on a worker thread; it yields once per step (an ingest event, a search
stage) and checks its :class:`CancelToken` between steps, so cancelling returns promptly and cleanly
(generators end normally, so ``finally`` blocks such as the index's writer lock run on the worker).
:class:`JobRunner` starts them and knows which still run.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

from superqt.utils import thread_worker


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


def until_cancelled(
    gen: Iterator[Any], token: CancelToken, label: Callable[[Any], Any] = lambda step: step
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


def start_job(
    fn: Callable[..., Iterator[Any]],
    *args: Any,
    on_yield: Callable | None = None,
    on_return: Callable | None = None,
    on_error: Callable | None = None,
    on_finish: Callable | None = None,
    start: bool = True,
):
    """Run generator function ``fn(*args)`` on a worker thread, wiring its signals; returns the worker
    (``start`` ``False``: not started yet, so that more can be wired before a quick job ends)."""
    # With an on_error of its own, a job's error is handled there; superqt would also re-raise it on the UI
    # thread (a traceback on stderr, a failed test) unless told to ignore it.
    worker = thread_worker(_errors_reported(fn), start_thread=False, ignore_errors=on_error is not None)(*args)
    for signal, slot in (
        ("yielded", on_yield),
        ("returned", on_return),
        ("errored", on_error),
        ("finished", on_finish),
    ):
        if slot is not None:
            getattr(worker, signal).connect(slot)
    if start:
        worker.start()
    return worker


class JobRunner:
    """Starts jobs (:func:`start_job`) and holds each worker until it ends: a worker nobody holds may be
    collected while it runs, and :meth:`busy` says whether any still does. One runner serves a window and
    all its controllers."""

    def __init__(self) -> None:
        self._workers: set = set()

    def start(self, fn: Callable[..., Any], *args: Any, **slots: Callable) -> Any:
        """Run ``fn(*args)`` on a worker with ``slots`` (``on_yield``, ``on_return``, ``on_error``,
        ``on_finish``) wired; returns the started worker."""
        worker = start_job(fn, *args, start=False, **slots)
        self._workers.add(worker)
        # wired before the start: a job that ends at once must still leave the set
        worker.finished.connect(lambda w=worker: self._workers.discard(w))
        worker.start()
        return worker

    def busy(self) -> bool:
        """Whether a job started here still runs."""
        return bool(self._workers)
