"""The hit list's judge: a result judged against its index's relevance floor at once, and the floor learnt on a
worker the first time an index needs it (:mod:`workbench.collection.relevance_floor`, a few seconds) —
the list is judged again when it is ready."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..collection import Collection
from ..collection.relevance_floor import big_enough, iter_learn_floor, known_floor, why_no_floor
from ..core import SearchResult
from ..core.relevance import Relevance, judge
from .workers import CancelToken, JobRunner, until_cancelled

LEARNING = "no floor yet: this index's relevance floor is being learnt (a few seconds, once per index)"


def learn_steps(coll: Collection, token: CancelToken) -> Iterator[Any]:
    """The floor of ``coll`` learnt on a worker; yields ``(done, total)``; ``None`` once cancelled."""
    return (yield from until_cancelled(iter_learn_floor(coll), token))


class RelevanceJudge(QObject):
    """Judges results; ``learnt(collection)`` fires once a floor was learnt on a worker."""

    learnt = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._learning: Collection | None = None
        self._token: CancelToken | None = None
        self._gave_up: weakref.WeakSet[Collection] = weakref.WeakSet()  # learning failed: not again this session

    def judge(self, coll: Collection | None, result: SearchResult, runner: JobRunner | None) -> Relevance:
        """``result`` judged against ``coll``'s floor; when the floor is due, it starts learning it on
        ``runner`` (one index at a time: another index's learning is cancelled) and says so meanwhile."""
        if coll is None:
            return judge(result, None, "no index")
        floor = known_floor(coll)
        if floor is not None:
            return judge(result, floor)
        # no floor fits (known_floor said so just now): learn one where the index is big enough
        if self._learning is not coll and runner is not None and coll not in self._gave_up and big_enough(coll):
            self.cancel()
            self._learning, token = coll, CancelToken()
            self._token = token
            runner.start(
                learn_steps,
                coll,
                token,
                on_return=lambda floor, c=coll: self._done(c, floor),
                on_error=lambda _exc, c=coll: self._done(c, None),
            )
        return judge(result, None, LEARNING if self._learning is coll else why_no_floor(coll))

    def cancel(self) -> None:
        """Stop learning a floor (the index shown changes, the window closes)."""
        if self._token is not None:
            self._token.cancel()
        self._learning, self._token = None, None

    def _done(self, coll: Collection, floor: object) -> None:
        if self._learning is not coll:
            return  # cancelled meanwhile
        self._learning, self._token = None, None
        if floor is None:
            self._gave_up.add(coll)
        else:
            self.learnt.emit(coll)
