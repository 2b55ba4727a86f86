"""Searching the index shown: the search bar's plan and the filter row's scope run as a staged search on a
worker; a newer search makes a running one stale (its results are dropped); the hits, the first hit's
detail and the stage charts are shown on three passes of the event loop; a selected hit's page is
rendered on a worker too. Enter on a hit opens its document in the Document tab (:mod:`.document_controller`),
Shift+Enter in the system's PDF viewer."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from ..collection import Collection
from ..collection.models import dim_note
from ..core import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND, Hit, PassageFilter, SearchResult, parse_query
from ..platform.messages import first_line
from .document_controller import DocumentController
from .filter_bar import FilterBar
from .hit_detail import HitDetail
from .hit_keys import install_open_keys
from .hits_view import HitsView
from .jobs import SearchRun, search_steps
from .page_view import open_at_page
from .search_bar import SearchBar
from .stage_panel import StagePanel
from .status_line import ERROR_CHARS, StatusLine
from .workers import CancelToken, JobRunner


class SearchController(QObject):
    """Runs the searches of the search bar (its ``search_requested``) on :meth:`set_collection`'s index, within
    ``scope()`` (the filter row's passage filter, or ``None``; ``ValueError`` with a sentence when it cannot
    be made), and shows them: ``hits``, ``detail`` (with the selected hit's page), ``stages``, the filter
    row's summary and ``status``."""

    result_changed = Signal(object)  # the SearchResult shown now (None once cleared)
    finished = Signal(object)  # SearchRun: its hits, first hit's detail and stage charts are shown
    detail_ready = Signal()  # the selected hit's page (or message) is shown

    def __init__(
        self,
        runner: JobRunner,
        status: StatusLine,
        search_bar: SearchBar,
        filter_bar: FilterBar,
        scope: Callable[[], PassageFilter | None],
        hits: HitsView,
        detail: HitDetail,
        stages: StagePanel,
    ) -> None:
        super().__init__()
        self.runner, self.status = runner, status
        self.search_bar, self.filter_bar, self.scope = search_bar, filter_bar, scope
        self.hits, self.detail, self.stages = hits, detail, stages
        self.coll: Collection | None = None
        self.result: SearchResult | None = None
        self.last_run: SearchRun | None = None
        self._token: CancelToken | None = None
        self._serial = 0  # the newest search's number: what an older one delivers is dropped
        search_bar.search_requested.connect(self.search)
        search_bar.verify_k.valueChanged.connect(self.show_verify_cost)
        hits.selectionModel().selectionChanged.connect(self._hit_selected)
        detail.open_requested.connect(self._open_current)
        self.reader = DocumentController(runner, status, detail.document)
        self.result_changed.connect(lambda _result: self.reader.drop_if_removed())  # after a Remove, say
        detail.read_requested.connect(self.open_document)
        install_open_keys(hits, self.open_document, self._open_current)

    def set_collection(self, coll: Collection | None) -> None:
        """Search ``coll`` from now on (``None``: nothing to search)."""
        self.coll = coll

    def clear(self) -> None:
        """Drop the result shown (and any search still running): empty hit list, detail and stage charts."""
        self.stop()
        self.result, self.last_run = None, None
        self.result_changed.emit(None)
        self.hits.hits_model.set_result(None)
        self.detail.show_hit(None, None)
        self.reader.close()
        self.stages.clear()

    # -- searching ----------------------------------------------------------------------------------
    def search(self) -> None:
        """Search the query field's text with the bar's plan and backend, within the filter row's scope."""
        text = self.search_bar.query.text().strip()
        if self.coll is None or not text:
            return
        try:
            parse_query(text)  # a query that only excludes is said at once, before any worker starts
            plan = self.search_bar.plan()
            where = self.scope()
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        if self._token is not None:
            self._token.cancel()  # a new search makes the running one stale
        token = self._token = CancelToken()
        self._serial += 1
        serial = self._serial
        self.status.setText(f"searching “{text}”…")  # the last stages stay until the new ones replace them
        measure = self.search_bar.recall.isChecked() and plan.kind != "exhaustive"
        self.runner.start(
            search_steps,
            self.coll,
            text,
            plan,
            self.search_bar.backend_name(),
            token,
            measure,
            where,
            on_yield=lambda step, s=serial: self._search_step(s, step),
            on_return=lambda run, s=serial: self._search_done(s, run),
            on_error=lambda e, s=serial: self._search_error(s, e),
        )

    def stop(self) -> None:
        """Cancel the running search, if any; what any search still delivers or shows is dropped."""
        if self._token is not None:
            self._token.cancel()
        self._serial += 1
        self._token = None
        self.hits.judge.cancel()  # a relevance floor being learnt stops too (it is learnt again when due)

    def cancel(self) -> None:
        """Esc: cancel the running search, if any, and say so (a finished one is still shown in full)."""
        if self._token is not None:
            self.stop()
            self.status.setText("search cancelled")

    def _search_step(self, serial: int, step) -> None:
        if serial != self._serial:
            return
        if step[0] == "stage":
            self.status.setText(f"{step[1].name}: {step[1].candidates_out} candidates in {step[1].ms:.1f} ms…")
        elif step[0] == "verifying":
            self.status.setText(
                f"stage 3: the cross-encoder has read {step[1].done} of {step[1].total} passages in "
                f"{step[1].ms / 1e3:.1f} s… (Esc cancels)"
            )

    def _search_error(self, serial: int, exc: Exception) -> None:
        if serial == self._serial:
            self.stages.clear()  # the last search's stages were kept while this one ran
            self.status.setText(f"search failed: {first_line(exc, ERROR_CHARS)}")

    def _search_done(self, serial: int, run: SearchRun | None) -> None:
        if serial != self._serial or run is None:
            return  # a newer search replaced this one
        self._token = None
        self.last_run, self.result = run, run.result
        self.result_changed.emit(run.result)
        # Per document, copies of one content collapse: the catalog's hashes of ≤ final_k documents, read
        # here in a few milliseconds (this thread's own SQLite connection).
        groups = self.coll.document_groups(run.result) if self.coll is not None else None
        self.hits.show_result(run.result, run.snippets, groups, self.coll, self.runner)  # judged: relevance floor
        self.filter_bar.show_result(run.result)
        if run.result.where is not None and run.result.eligible == 0:
            self.status.show_collection(
                self.coll, f"no passage matches the filter ({run.result.where.describe()}); nothing searched"
            )
        else:
            within = (
                f" among {run.result.eligible} of {run.result.index.n_passages} passages"
                if run.result.where is not None
                else ""
            )
            chose = f"; {run.result.stages[0].note}" if run.result.stages and run.result.stages[0].note else ""
            syntax = run.result.syntax
            self.status.show_collection(
                self.coll,
                (f"{syntax.notice} · " if syntax is not None and syntax.notice else "")
                + f"{len(run.result.hits)} hits for “{run.text}”{within} in "
                f"{run.result.total_ms:.1f} ms ({run.result.backend}){chose}",
            )
        # The hit list is painted on this pass of the event loop, the first hit's detail on the next, the
        # stage charts on the one after, so that no single pass holds the UI thread for all of it. (A 1 ms
        # timer, not 0: PySide delivers a zero-timeout call before Qt's low-priority paint request.)
        QTimer.singleShot(1, lambda: self._show_first_hit(serial, run))

    def _show_first_hit(self, serial: int, run: SearchRun) -> None:
        if serial != self._serial:
            return  # a newer search replaced this one meanwhile
        if run.result.hits:
            self.hits.selectRow(0)
        else:
            self.detail.show_hit(None, None)
            self.detail_ready.emit()
        QTimer.singleShot(1, lambda: self._show_stages(serial, run))

    def _show_stages(self, serial: int, run: SearchRun) -> None:
        if serial != self._serial:
            return
        self.stages.set_stages(run.result.stages, run.stage1_recall)
        self.show_verify_cost()  # the cross-encoder's rate, as this search measured it
        self.finished.emit(run)

    # -- the search bar's notes -----------------------------------------------------------------------
    def show_verify_cost(self) -> None:
        """Stage 3's expected time beside its control, before it runs (the model's rate as measured so far)."""
        if self.coll is not None:
            self.search_bar.show_verify_cost(self.coll.verify_estimate_ms(self.search_bar.verify_k.value()))

    def prefer_a_backend_that_fits(self) -> None:
        """An index of other than 128-d vectors cannot be searched by the Mojo exact backend: choose the NumPy
        reference for it, and say why in the status line."""
        if self.coll is None:
            return
        note = dim_note(self.coll.dim)
        if note and self.search_bar.backend_name() == MOJO_EXACT_CPU_BACKEND:
            self.search_bar.backend.setCurrentIndex(self.search_bar.backend.findData(NUMPY_REFERENCE_BACKEND))
        if note:
            self.status.show_collection(self.coll, note)

    # -- the selected hit ---------------------------------------------------------------------------
    def _selected_hit(self) -> Hit | None:
        """The selected row's hit: a document row's best hit, or a passage's (an unfolded one's) own."""
        return self.hits.selected_hit()

    def _hit_selected(self) -> None:
        hit = self._selected_hit()
        if hit is None or self.result is None:
            return
        self.detail.show_hit(hit, self.result.alignment(hit), self.result.plan.verify_k)
        if self.detail.document.isVisible() and self.coll is not None:  # the Document tab follows the selection
            self.reader.open_hit(self.coll, hit, self.result.hits, focus=False)
        if hit.page is None or self.coll is None:
            self.detail_ready.emit()
            return
        self.runner.start(
            self.coll.pages.render_passage,
            hit.info,
            on_return=lambda out, h=hit: self._page_rendered(h, out),
            on_error=lambda e: (
                self.detail.page.show_message(f"cannot render page: {first_line(e, ERROR_CHARS)}"),
                self.detail_ready.emit(),
            ),
        )

    def _page_rendered(self, hit, out) -> None:
        if self._selected_hit() is hit:
            rgb, to_pixels = out
            self.detail.page.show_page(rgb, to_pixels, hit.info.boxes)
        self.detail_ready.emit()

    def open_document(self) -> None:
        """Enter or a double-click on a hit, or the page preview's button: its document in the Document tab."""
        hit = self._selected_hit()
        if hit is not None and self.result is not None and self.coll is not None:
            self.reader.open_hit(self.coll, hit, self.result.hits)

    def _open_current(self) -> None:
        hit = self._selected_hit()
        if hit is not None and self.coll is not None:
            path = self.coll.source_path(hit.info.document_id)
            if path is not None:
                # Only a PDF's pages are the same in every viewer: an e-book's are this app's own layout.
                pdf = path.suffix.lower() == ".pdf"
                place = hit.location or ("" if pdf or hit.page is None else f"page {hit.page} in this app's layout")
                self.status.setText(open_at_page(path, hit.page if pdf else None, place))
