"""The Evaluate tab: the search bar's plan (A) against the tab's baseline (B) on the loaded BEIR set, run on
a worker with progress per query; Esc cancels between two queries."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ..collection import Collection
from ..core import PassageFilter
from ..platform.messages import first_line
from .eval_view import EvalView
from .jobs import evaluation_steps
from .search_bar import SearchBar
from .status_line import ERROR_CHARS, StatusLine
from .workers import CancelToken, JobRunner


class EvalController(QObject):
    """Runs ``evaluation``'s requests on :meth:`set_collection`'s index with the search bar's plan and backend,
    within ``scope()`` (the filter row's passage filter, or ``None``; ``ValueError`` with a sentence when it
    cannot be made), one run at a time."""

    finished = Signal()  # a run ended: its results shown, cancelled or failed

    def __init__(
        self,
        runner: JobRunner,
        status: StatusLine,
        evaluation: EvalView,
        search_bar: SearchBar,
        scope: Callable[[], PassageFilter | None],
    ) -> None:
        super().__init__()
        self.runner, self.status, self.evaluation = runner, status, evaluation
        self.search_bar, self.scope = search_bar, scope
        self.coll: Collection | None = None
        self._token: CancelToken | None = None
        evaluation.run_requested.connect(self.run)

    def set_collection(self, coll: Collection | None) -> None:
        """Evaluate on ``coll`` from now on (``None``: none is open)."""
        self.coll = coll

    def cancel(self) -> None:
        """Stop the running evaluation after the query in flight."""
        if self._token is not None:
            self._token.cancel()

    def run(self) -> None:
        """Evaluate the search bar's plan (A) and the tab's baseline (B) on the loaded BEIR set, on a worker,
        with progress per query; Esc cancels."""
        if self.coll is None or self._token is not None:
            return
        try:
            plan_a, plan_b = self.evaluation.plans(self.search_bar.plan())
            where = self.scope()
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        token = self._token = CancelToken()
        self.evaluation.set_running(True)
        self.status.setText("evaluating… (Esc cancels)")
        self.runner.start(
            evaluation_steps,
            self.coll,
            self.evaluation.queries,
            self.evaluation.qrels,
            plan_a,
            plan_b,
            self.search_bar.backend_name(),
            where,
            token,
            on_yield=lambda step: self.evaluation.set_progress(*step),
            on_return=self._done,
            on_error=self._failed,
        )

    def _done(self, runs) -> None:
        self._token = None
        if runs is None:
            self.evaluation.set_running(False)
            self.status.setText("evaluation cancelled")
        else:
            self.evaluation.show_runs(*runs)
            self.status.setText(f"evaluated {runs[0]['queries']} queries")
        self.finished.emit()

    def _failed(self, exc: Exception) -> None:
        self._token = None
        self.evaluation.set_running(False)
        self.status.setText(f"evaluation failed: {first_line(exc, ERROR_CHARS)}")
        self.finished.emit()
