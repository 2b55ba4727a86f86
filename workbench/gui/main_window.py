"""The main window: the layout (:mod:`~workbench.gui.window_layout`) with its controllers wired together.

A thin client of the public SDK (:class:`~workbench.collection.Collection`, ``iter_search``): every
ingest, search, comparison and page render runs as a job on a worker thread; the window never waits.
Each controller owns one kind of work (searching, ingesting, switching the index, comparing backends,
evaluating); the window hands them the index shown and passes on what one does that another must know.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog

from ..collection import Collection
from ..collection.result_export import write_results
from ..collection.storage_tiers import DEFAULT_TIER
from ..core import PassageFilter, SearchResult
from ..platform.messages import first_line
from .compare_controller import CompareController
from .eval_controller import EvalController
from .index_controller import IndexController
from .ingest_controller import IngestController
from .jobs import SearchRun
from .search_controller import SearchController
from .tab_order import TabOrder
from .window_layout import WindowLayout
from .workers import JobRunner

SHUTDOWN_MS = 30000  # how long closing the window (or leaving an index) waits for its jobs to stop


RERUN_DEBOUNCE_MS = 400  # quiet time after the last plan or filter change before the query runs again


class MainWindow(WindowLayout):
    """The window on the index at ``index_path`` (opened by :meth:`open_collection`; ``initial_paths`` are
    ingested once it is). The signals below say when each kind of work has been shown; tests wait on them."""

    collection_ready = Signal()
    switch_finished = Signal(bool)  # New/Open index ended: True if the window now shows the new index
    ingest_finished = Signal()
    search_finished = Signal(object)  # SearchRun
    evaluation_finished = Signal()  # the Evaluate tab's run ended (results, cancelled or failed)
    detail_ready = Signal()  # the selected hit's page (or message) is shown
    compare_finished = Signal()

    def __init__(
        self, index_path: Path, settings: QSettings, initial_paths: list[str] | None = None, encoder=None
    ) -> None:
        """``encoder``: an already loaded :class:`~workbench.encode.Encoder` to reuse (else loaded on open)."""
        super().__init__(settings)
        self.setWindowTitle(f"Kayak Workbench — {index_path.name}")
        self.coll: Collection | None = None
        self.runner = JobRunner()
        self.searcher = SearchController(
            self.runner, self.status, self.search_bar, self.filter_bar, self._scope, self.hits, self.detail, self.stages
        )
        self.ingester = IngestController(self.runner, self.status, self.collection_panel, initial_paths)
        self.switcher = IndexController(
            self.runner, self.status, self.collection_panel, self, index_path, self._stop_jobs, encoder
        )
        self.comparer = CompareController(self.runner, self.compare)
        self.evaluator = EvalController(self.runner, self.status, self.evaluation, self.search_bar, self._scope)
        self._wire()
        self.tab_order = TabOrder(
            self, (self.search_bar, self.filter_bar, self.hits, self.tabs, self.stages, self.collection_panel)
        )

    def _wire(self) -> None:
        """What one controller does that the window or another controller must know."""
        search, ingest, index, compare = self.searcher, self.ingester, self.switcher, self.comparer
        search.result_changed.connect(compare.set_result)
        search.finished.connect(lambda _run: compare.refresh())  # connected first: the comparison starts first
        search.finished.connect(self.search_finished)
        search.result_changed.connect(lambda result: self.export_action.setEnabled(result is not None))
        self.export_action.triggered.connect(self._export_results)
        search.detail_ready.connect(self.detail_ready)
        ingest.documents_changed.connect(self._refresh_collection)
        ingest.removed.connect(self._search_again)  # no hit (or page preview) of a removed document stays
        # A changed plan, backend or filter runs the shown query again (a running search is cancelled by
        # the new one), after a pause so that typing "100" into final_k runs one search, not three.
        self._rerun = QTimer(self, singleShot=True, interval=RERUN_DEBOUNCE_MS)
        self._rerun.timeout.connect(self._search_again)
        self.search_bar.plan_changed.connect(self._rerun.start)
        self.filter_bar.changed.connect(self._rerun.start)
        self.search_bar.search_requested.connect(self._rerun.stop)  # a search asked for runs the latest plan
        self.search_bar.search_requested.connect(lambda: self.history.add(self.search_bar.query.text()))
        ingest.finished.connect(self.ingest_finished)
        index.opened.connect(self._show_collection)
        index.opening.connect(ingest.set_index_opening)
        index.switched.connect(self._show_switched)
        index.kept_current.connect(self._refresh_collection)
        index.switch_finished.connect(self.switch_finished)
        compare.finished.connect(self.compare_finished)
        self.evaluator.finished.connect(self.evaluation_finished)
        self.tabs.currentChanged.connect(lambda i: compare.set_active(self.tabs.widget(i) is self.compare))
        self.collection_panel.cancel_requested.connect(self.cancel)
        self.new_index_action.triggered.connect(index.new_index)
        self.open_index_action.triggered.connect(index.open_index)
        QShortcut(QKeySequence(Qt.Key_Escape), self, self.cancel)

    # -- what tests, the app and scripts use ------------------------------------------------------------
    @property
    def index_path(self) -> Path:
        """The folder of the index shown (or being opened first)."""
        return self.switcher.path

    @property
    def result(self) -> SearchResult | None:
        return self.searcher.result

    @property
    def last_run(self) -> SearchRun | None:
        return self.searcher.last_run

    def busy(self) -> bool:
        return self.runner.busy()

    def open_collection(self) -> None:
        """Open (or create) the index and load its encoder on a worker; the window is usable meanwhile."""
        self.switcher.open_current()

    def search(self) -> None:
        """Search the query field's text, as Enter does (the same signal: one path for an asked-for search)."""
        self.search_bar.search_requested.emit()

    def switch_index(
        self,
        path: Path,
        model: str | None = None,
        create: bool = False,
        tier: str = DEFAULT_TIER,
        keep_exact: bool = False,
    ) -> None:
        """Show the index at ``path`` (see :meth:`IndexController.switch_index`)."""
        self.switcher.switch_index(path, model, create, tier, keep_exact)

    def cancel(self) -> None:
        """Esc: cancel every job, and the opening of another index (and a search the last change asked for)."""
        self._rerun.stop()
        for controller in self._controllers():
            controller.cancel()

    def _controllers(self) -> tuple:
        return self.ingester, self.evaluator, self.comparer, self.switcher, self.searcher

    # -- the index shown ----------------------------------------------------------------------------------
    def _scope(self) -> PassageFilter | None:
        """The filter row's passage filter, limited to the selected documents where it says so."""
        return self.filter_bar.where([d.id for d in self.collection_panel.selected_documents()])

    def _show_collection(self, coll: Collection) -> None:
        """An index is open: every controller works on it from now on."""
        self.coll = coll
        coll.merge_in_background = True  # an ingest ends at its commit; merges never hold up the next one
        self.settings.setValue("last_index", str(self.index_path))
        self.history.set_index(self.index_path)
        for controller in self._controllers():
            controller.set_collection(coll)
        self._refresh_collection()
        self.searcher.prefer_a_backend_that_fits()
        self.set_enabled(True, not coll.read_only)
        self.collection_ready.emit()
        self.ingester.start_following()

    def _show_switched(self, coll: Collection) -> None:
        """Leave the index shown for ``coll`` (at :attr:`index_path` now): its results go, the new one opens."""
        self.ingester.stop_following()
        self.searcher.clear()
        self.comparer.clear()
        self.setWindowTitle(f"Kayak Workbench — {self.index_path.name}")
        self._show_collection(coll)

    def _export_results(self) -> None:
        """File ▸ Export results…: the shown result as CSV or JSON, where the user says."""
        result = self.searcher.result
        if result is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export results", "results.csv", "CSV, one row per hit (*.csv);;JSON, the whole result (*.json)"
        )
        if not path:
            return
        try:
            written = write_results(result, path, self.hits.hits_model.relevance)
        except OSError as exc:
            self.status.setText(f"could not export: {first_line(exc)}")
            return
        self.status.setText(f"exported {len(result.hits)} hits to {written}")

    def _search_again(self) -> None:
        if self.searcher.result is not None:
            self.searcher.search()

    def _refresh_collection(self) -> None:
        if self.coll is not None:
            documents = self.coll.documents()
            self.collection_panel.set_documents(documents)
            self.filter_bar.set_documents(documents)
            self.status.show_collection(self.coll)
            self.searcher.show_verify_cost()

    def _stop_jobs(self) -> None:
        """Cancel the current index's ingest, search, evaluation and sync and wait for every worker (as
        :meth:`shutdown`), not the opening of another index."""
        for controller in (self.ingester, self.evaluator, self.comparer):
            controller.cancel()
        self.searcher.stop()  # results of a cancelled search are ignored
        QThreadPool.globalInstance().waitForDone(SHUTDOWN_MS)

    # -- closing ------------------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> None:
        """Cancel every job and wait for the workers to finish (no thread outlives the window)."""
        self.cancel()
        QThreadPool.globalInstance().waitForDone(timeout_ms)
        self.comparer.close()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.save_settings()
        self.ingester.stop_following()
        self.shutdown()
        super().closeEvent(event)
