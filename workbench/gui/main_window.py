"""The main window: collection panel, search bar, hit list, hit detail, compare view, stage panel.

A thin client of the public SDK (:class:`~workbench.collection.Collection`, ``iter_search``): every
ingest, search, comparison and page render runs as a job on a worker thread; the window never waits.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSettings, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QApplication, QDialog, QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout,
                               QWidget)

from ..collection import Collection, IngestEvent
from ..encode.known_models import dim_note
from ..collection.ingest_times import format_eta
from ..collection.watch import FolderWatcher, sync_events
from ..core import (MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND, SearchResult, available_backends,
                    search_with_plan)
from .collection_panel import CollectionPanel
from .compare_view import CompareView
from .filter_bar import FilterBar
from .hit_detail import HitDetail
from .elided_label import ElidedLabel
from .hits_view import HitsView
from .eval_view import EvalView
from .jobs import (CancelToken, SearchRun, evaluation_steps, event_steps, open_index_steps, search_steps,
                   start_job)
from .new_index_dialog import NewIndexDialog, choose_index_to_open, index_folder_problem
from .page_view import open_at_page
from .qdrant_link import QdrantLink
from .search_bar import SearchBar
from .stage_panel import StagePanel


WATCH_POLL_MS = 500    # how often settled changes in watched folders (and maintenance) are looked at
SHUTDOWN_MS = 30000    # how long closing the window (or leaving an index) waits for its jobs to stop


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _mb(n_bytes: int) -> str:
    """Bytes as MB (10^6, as the model hub counts them): one decimal below 10 MB."""
    mb = n_bytes / 1e6
    return f"{mb:.1f}" if mb < 10 else f"{mb:.0f}"


class MainWindow(QMainWindow):
    collection_ready = Signal()
    switch_finished = Signal(bool)       # New/Open index ended: True if the window now shows the new index
    ingest_finished = Signal()
    search_finished = Signal(object)     # SearchRun
    evaluation_finished = Signal()       # the Evaluate tab's run ended (results, cancelled or failed)
    detail_ready = Signal()              # the selected hit's page (or message) is shown
    compare_finished = Signal()

    def __init__(self, index_path: Path, settings: QSettings, initial_paths: list[str] | None = None,
                 encoder=None) -> None:
        """``encoder``: an already loaded :class:`~workbench.encode.Encoder` to reuse (else loaded on open)."""
        super().__init__()
        self._encoder = encoder
        self.setWindowTitle(f"Kayak Workbench — {index_path.name}")
        self.settings = settings
        self.index_path = index_path
        self.coll: Collection | None = None
        self.result: SearchResult | None = None
        self.last_run: SearchRun | None = None
        self._search_token: CancelToken | None = None
        self._ingest_token: CancelToken | None = None
        self._open_token: CancelToken | None = None    # a New/Open index job (download, then open)
        self._centroid_reason = ""     # why the running ingest retrains the centroids, if it does
        self._search_serial = 0
        self._workers: set = set()
        self._pending_paths = list(initial_paths or [])
        self._watcher: FolderWatcher | None = None
        self._watch_timer = QTimer(self)
        self._watch_timer.setInterval(WATCH_POLL_MS)
        self._watch_timer.timeout.connect(self._poll)
        self._shown_maintaining = False

        self.search_bar = SearchBar()
        self.filter_bar = FilterBar()
        self.collection_panel = CollectionPanel()
        self.hits = HitsView()
        self.detail = HitDetail()
        self.compare = CompareView()
        self.stages = StagePanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.detail, "Selected hit")
        self.tabs.addTab(self.compare, "Compare backends")
        self.evaluation = EvalView()
        self.tabs.addTab(self.evaluation, "Evaluate")
        self._eval_token: CancelToken | None = None
        self._sync_token: CancelToken | None = None     # an export to Qdrant from the compare tab
        self._qdrant: QdrantLink | None = None

        # Three columns: what is indexed | what was found and what it cost | why the selected hit ranked.
        # On a 16:9 screen each gets the full height: at 1366×768 the hit list shows five rows, the stage
        # charts room for every label, and the heatmap a row per query token.
        centre = QSplitter(Qt.Vertical)
        centre.addWidget(self.hits)
        centre.addWidget(self.stages)
        centre.setStretchFactor(0, 3)
        centre.setStretchFactor(1, 2)
        self.main_split = QSplitter(Qt.Horizontal)
        for i, (w, stretch) in enumerate(((self.collection_panel, 1), (centre, 2), (self.tabs, 2))):
            self.main_split.addWidget(w)
            self.main_split.setStretchFactor(i, stretch)
        for split in (self.main_split, centre):
            split.setChildrenCollapsible(False)   # a panel dragged to nothing is hard to find again
        self.right_split = centre
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.search_bar)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.main_split, 1)
        self.setCentralWidget(central)
        self.status = ElidedLabel("opening index…")
        self.statusBar().addWidget(self.status, 1)

        self.search_bar.search_requested.connect(self.search)
        self.evaluation.run_requested.connect(self.run_evaluation)
        self.search_bar.verify_k.valueChanged.connect(self._show_verify_cost)
        self.collection_panel.add_requested.connect(self.ingest)
        self.collection_panel.remove_requested.connect(self.remove)
        self.collection_panel.watch_requested.connect(self.set_watched)
        self.collection_panel.cancel_requested.connect(self.cancel)
        self.collection_panel.selection_changed.connect(
            lambda: self.filter_bar.set_selected_count(len(self.collection_panel.selected_documents())))
        self.hits.selectionModel().selectionChanged.connect(self._hit_selected)
        self.detail.open_requested.connect(self._open_current)
        self.tabs.currentChanged.connect(lambda i: i == 1 and self.run_compare())
        self.compare.qdrant_toggled.connect(lambda _on: self.run_compare())
        self.compare.sync_requested.connect(self.sync_qdrant)
        QShortcut(QKeySequence("Ctrl+L"), self, self._focus_search)
        QShortcut(QKeySequence("Ctrl+O"), self, self.collection_panel.choose_files)
        QShortcut(QKeySequence(Qt.Key_Escape), self, self.cancel)
        index_menu = self.menuBar().addMenu("&Index")
        self.new_index_action = index_menu.addAction("&New index…", self.new_index)
        self.new_index_action.setShortcut(QKeySequence("Ctrl+N"))
        self.open_index_action = index_menu.addAction("&Open index…", self.open_index)
        self.open_index_action.setShortcut(QKeySequence("Ctrl+Shift+O"))   # Ctrl+O adds files
        self._restore_settings()
        self._set_enabled(False)

    # -- jobs --------------------------------------------------------------------------------------
    def _start(self, fn, *args, **slots):
        worker = start_job(fn, *args, start=False, **slots)
        self._workers.add(worker)
        # wired before the start: a job that ends at once must still leave the set
        worker.finished.connect(lambda w=worker: self._workers.discard(w))
        worker.start()
        return worker

    def busy(self) -> bool:
        return bool(self._workers)

    def open_collection(self) -> None:
        """Open (or create) the index and load its encoder on a worker; the window is usable meanwhile."""
        def job(path, encoder):
            coll = Collection.open(path, create=True, encoder=encoder)
            coll.encoder  # noqa: B018 — load the model now, off the UI thread
            coll.late_index()
            return coll
        self.status.setText(f"opening {self.index_path} and loading the encoder…")
        self._start(job, self.index_path, self._encoder, on_return=self._collection_opened,
                    on_error=self._open_failed)

    def _collection_opened(self, coll: Collection) -> None:
        self.coll = coll
        coll.merge_in_background = True   # an ingest ends at its commit; merges never hold up the next one
        self.settings.setValue("last_index", str(self.index_path))
        self._refresh_collection()
        self._prefer_a_backend_that_fits(coll)
        self._set_enabled(True)
        self.collection_ready.emit()
        self._follow_watched()
        if coll.watched_folders() and not coll.store.read_only:     # changes made while the app was closed
            self._run_events(coll.iter_rescan(), "catching up with the watched folders…")
        if self._pending_paths:
            paths, self._pending_paths = self._pending_paths, []
            self.ingest(paths)

    def _prefer_a_backend_that_fits(self, coll: Collection) -> None:
        """An index of other than 128-d vectors cannot be searched by the Mojo exact backend: choose the NumPy
        reference for it, and say why in the status bar."""
        note = dim_note(coll.store.dim)
        if note and self.search_bar.backend_name() == MOJO_EXACT_CPU_BACKEND:
            self.search_bar.backend.setCurrentIndex(self.search_bar.backend.findData(NUMPY_REFERENCE_BACKEND))
        if note:
            self._update_status(note)

    def _open_failed(self, exc: Exception) -> None:
        self.status.setText(f"cannot open {self.index_path}: {_one_line(exc)}")
        QMessageBox.warning(self, "Cannot open index", _one_line(exc))

    def ingest(self, paths: list[str]) -> None:
        if self.coll is None:
            self._pending_paths += list(paths)
            return
        if self._open_token is not None:
            self.status.setText("another index is being opened; add files once it is open (Esc cancels it)")
            return
        if self._ingest_token is not None:
            self.status.setText("an ingest is already running; wait for it or cancel it (Esc)")
            return
        self._run_events(self.coll.iter_ingest([str(p) for p in paths]), "reading files…")

    def _run_events(self, events, text: str) -> None:
        """Run an ingest, sync or rescan generator on a worker, with progress and cancel in the panel."""
        token = self._ingest_token = CancelToken()
        self.coll.ocr = self.collection_panel.ocr.isChecked()
        self.collection_panel.set_busy(True, "starting…")
        self.collection_panel.set_progress(0, 0, text)
        self._start(event_steps, events, token, on_yield=self._ingest_event, on_error=self._ingest_error,
                    on_finish=self._ingest_done)

    # -- another index: New index…, Open index… ---------------------------------------------------------
    def new_index(self) -> None:
        """Index ▸ New index…: ask for a folder and an encoder, then :meth:`switch_index` to it."""
        dialog = NewIndexDialog(self)
        if dialog.exec() == QDialog.Accepted:
            folder, model = dialog.choice()
            self.switch_index(folder, model, create=True)

    def open_index(self) -> None:
        """Index ▸ Open index…: a folder chooser; a folder that is not an index is refused in the store's words."""
        folder = choose_index_to_open(self, str(self.index_path.parent))
        if folder is None:
            return
        problem = index_folder_problem(folder)
        if problem:
            self.status.setText(f"cannot open {folder}: {problem}")
            QMessageBox.warning(self, "Not a Kayak index", problem)
            return
        self.switch_index(folder)

    def switch_index(self, path: Path, model: str | None = None, create: bool = False) -> None:
        """Show the index at ``path`` in this window (``create``: a new one written with ``model``). The running
        jobs of the current index are cancelled and waited for first; the model is downloaded (progress and
        Esc/Cancel in the collection panel) and loaded on a worker; the current index stays searchable until
        the new one is ready, and stays shown if the new one fails or is cancelled."""
        if self._open_token is not None:
            self.status.setText("another index is being opened; wait for it or cancel it (Esc)")
            return
        token = self._open_token = CancelToken()    # from now on no ingest starts on the current index
        self._stop_jobs()
        # The stopped jobs' last signals (an ingest's end, say) are queued: let them be delivered first.
        QTimer.singleShot(0, lambda: self._start_switch(token, Path(path), model, create))

    def _stop_jobs(self) -> None:
        """Cancel the current index's ingest, search and evaluation and wait for every worker (as :meth:`shutdown`)."""
        for token in self._index_job_tokens():
            if token is not None:
                token.cancel()
        self._search_serial += 1      # results of a cancelled search are ignored
        self._search_token = None
        QThreadPool.globalInstance().waitForDone(SHUTDOWN_MS)

    def _index_job_tokens(self) -> tuple[CancelToken | None, ...]:
        """The cancel tokens of the jobs that work on the index shown (not the opening of another one)."""
        return self._ingest_token, self._search_token, self._eval_token, self._sync_token

    def _stop_following(self) -> None:
        """Stop watching folders and the background maintenance of the index shown (when leaving or closing it)."""
        self._watch_timer.stop()
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        if self.coll is not None:
            self.coll.stop_maintenance()     # a merge in flight is dropped whole; it is due again next time

    def _start_switch(self, token: CancelToken, path: Path, model: str | None, create: bool) -> None:
        what = f"creating {path} with model {model}" if create else f"opening {path}"
        self.collection_panel.set_busy(True, f"{what}…")
        self.collection_panel.progress.setRange(0, 0)     # busy until the first byte counts arrive
        self.status.setText(f"{what}… (Esc cancels)")
        encoder = self.coll.encoder if self.coll is not None else self._encoder
        self._start(open_index_steps, path, model, token, encoder, create,
                    on_yield=self._switch_step, on_return=lambda coll, p=path: self._switched(p, coll),
                    on_error=lambda e, p=path: self._switch_failed(p, e))

    def _switch_step(self, step: tuple) -> None:
        panel = self.collection_panel
        if step[0] == "download":
            _, model, done, total = step
            # KiB on the bar: QProgressBar counts in 32-bit ints, bytes would overflow past 2 GB
            panel.set_progress(done // 1024, total // 1024, f"downloading {model}: {_mb(done)} of {_mb(total)} MB "
                                                            "(Esc cancels)")
        elif step[0] == "loading":
            panel.progress.setRange(0, 0)
            panel.current.setText(f"loading {step[1]} and the index…")

    def _switched(self, path: Path, coll: Collection | None) -> None:
        """The new index is open: stop what still runs on the current one, then show the new one."""
        if coll is None:
            self._open_token = None
            self.collection_panel.set_busy(False)
            self._switch_ended(False, "cancelled; the index shown is unchanged")
            return
        self._stop_jobs()      # searches started meanwhile on the current index; their results arrive first
        QTimer.singleShot(0, lambda: self._show_switched(path, coll))

    def _show_switched(self, path: Path, coll: Collection) -> None:
        self._open_token = None
        self.collection_panel.set_busy(False)
        self._stop_following()
        self.coll, self.result, self.last_run = None, None, None
        self._search_serial += 1
        self.hits.hits_model.set_result(None)
        self.detail.show_hit(None, None)
        self.stages.clear()
        self.compare.clear()
        self.index_path = path
        self._encoder = coll.encoder
        self.setWindowTitle(f"Kayak Workbench — {path.name}")
        self._collection_opened(coll)
        note = dim_note(coll.store.dim)
        self.collection_panel.current.setText(f"opened {path} (encoder {coll.store.manifest.get('encoder_identity')})"
                                              + (f"; {note}" if note else ""))
        self.switch_finished.emit(True)

    def _switch_failed(self, path: Path, exc: Exception) -> None:
        self._open_token = None
        self.collection_panel.set_busy(False)
        self._switch_ended(False, f"cannot open {path}: {_one_line(exc)}")

    def _switch_ended(self, switched: bool, text: str) -> None:
        if self.coll is not None:
            self._refresh_collection()     # the index shown stays; its status first, then why nothing changed
        self.collection_panel.current.setText(text)
        self.status.setText(text)
        self.switch_finished.emit(switched)

    # -- watched folders -----------------------------------------------------------------------------
    def set_watched(self, folder: str, watched: bool) -> None:
        """Start or stop following ``folder``; a folder newly watched is indexed now."""
        if self.coll is None or self._ingest_token is not None or self._open_token is not None:
            self.status.setText("wait for the running ingest or index opening to finish (or cancel it) to change "
                                "watched folders")
            self.collection_panel.set_watched(self.coll.watched_folders() if self.coll else [])
            return
        try:
            self.coll.set_watched([folder], watched)
        except (ValueError, OSError) as exc:
            self.status.setText(f"cannot watch {folder}: {_one_line(exc)}")
        self._follow_watched()
        if watched:
            self.ingest([folder])

    def _follow_watched(self) -> None:
        """(Re)start the file-system watcher on the index's watched folders and show them in the panel."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        folders = self.coll.watched_folders() if self.coll is not None else []
        self.collection_panel.set_watched(folders)
        if folders and not self.coll.store.read_only:
            self._watcher = FolderWatcher(folders)
            self._watcher.start()
        self._watch_timer.start()

    def _poll(self) -> None:
        """Timer: say when background maintenance starts and ends; index the watched paths that have
        settled, unless an ingest is running (they wait)."""
        if self.coll is None:
            return
        if self.coll.maintaining != self._shown_maintaining:
            self._shown_maintaining = self.coll.maintaining
            self._update_status()
        if self.coll.centroids_trained_because and not self.coll.maintaining and self._ingest_token is None:
            why, self.coll.centroids_trained_because = self.coll.centroids_trained_because, None
            self._say_centroids_trained(why)
        if self._watcher is None or self._ingest_token is not None or self._open_token is not None:
            return
        if batch := self._watcher.due():
            self._run_events(sync_events(self.coll, self._watcher, batch), f"{len(batch)} watched paths changed…")

    def _ingest_event(self, ev: IngestEvent) -> None:
        name = Path(ev.path).name
        text = {"encoding": f"{name}: {ev.message}", "failed": f"failed: {name}: {ev.message}",
                "indexed": f"indexed {name} ({ev.passages} passages)",
                "unchanged": f"unchanged: {name}",
                "renamed": f"renamed {name} (passages kept)",
                "removed": f"removed {name} ({ev.passages} passages)",
                "committed": f"committed: {ev.message}",
                "merging": f"merging segments ({ev.message}); searches go on",
                "centroids": f"training token centroids ({ev.message})",
                "lost": f"vectors lost: {name}: {ev.message}"}[ev.status]
        self._centroid_reason = ev.message if ev.status == "centroids" else self._centroid_reason
        if ev.rate:
            text += f" — {ev.rate:.1f} passages/s" + (f", {format_eta(ev.eta_s)}" if ev.eta_s is not None else "")
        self.collection_panel.set_progress(ev.done, ev.total, text)

    def _ingest_error(self, exc: Exception) -> None:
        self.collection_panel.current.setText(f"ingest stopped: {_one_line(exc)} (committed documents are kept)")

    def _ingest_done(self) -> None:
        cancelled = self._ingest_token is not None and self._ingest_token.cancelled
        self._ingest_token = None
        self.collection_panel.set_busy(False)
        self._refresh_collection()
        if cancelled:
            self.collection_panel.current.setText("cancelled; every document committed before now is kept")
        elif self._centroid_reason:
            self._say_centroids_trained(self._centroid_reason)
        self._centroid_reason = ""
        self.ingest_finished.emit()

    def _say_centroids_trained(self, why: str) -> None:
        why = "the first set for this index" if why == "no centroids yet" else why
        self.collection_panel.current.setText(f"token centroids trained ({why})")

    def remove(self, paths: list[str]) -> None:
        if self.coll is None or self._ingest_token is not None or self._open_token is not None:
            return
        self._start(lambda c, p: c.remove(p), self.coll, paths,
                    on_return=lambda removed: self._refresh_collection(),
                    on_error=lambda e: self.status.setText(f"remove failed: {_one_line(e)}"))

    def search(self) -> None:
        text = self.search_bar.query.text().strip()
        if self.coll is None or not text:
            return
        try:
            plan = self.search_bar.plan()
            where = self.filter_bar.where([d.id for d in self.collection_panel.selected_documents()])
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        if self._search_token is not None:
            self._search_token.cancel()  # a new search makes the running one stale
        token = self._search_token = CancelToken()
        self._search_serial += 1
        serial = self._search_serial
        self.status.setText(f"searching “{text}”…")   # the last stages stay until the new ones replace them
        measure = self.search_bar.recall.isChecked() and plan.kind != "exhaustive"
        self._start(search_steps, self.coll, text, plan, self.search_bar.backend_name(), token, measure, where,
                    on_yield=lambda step, s=serial: self._search_step(s, step),
                    on_return=lambda run, s=serial: self._search_done(s, run),
                    on_error=lambda e, s=serial: self._search_error(s, e))

    def _search_step(self, serial: int, step) -> None:
        if serial != self._search_serial:
            return
        if step[0] == "stage":
            self.status.setText(f"{step[1].name}: {step[1].candidates_out} candidates in {step[1].ms:.1f} ms…")
        elif step[0] == "verifying":
            self.status.setText(f"stage 3: the cross-encoder has read {step[1].done} of {step[1].total} passages in "
                                f"{step[1].ms / 1e3:.1f} s… (Esc cancels)")

    def _search_error(self, serial: int, exc: Exception) -> None:
        if serial == self._search_serial:
            self.stages.clear()      # the last search's stages were kept while this one ran
            self.status.setText(f"search failed: {_one_line(exc)}")

    def _search_done(self, serial: int, run: SearchRun | None) -> None:
        if serial != self._search_serial or run is None:
            return  # a newer search replaced this one
        self._search_token = None
        self.last_run, self.result = run, run.result
        self.hits.hits_model.set_result(run.result, run.snippets)
        self.filter_bar.show_result(run.result)
        if run.result.where is not None and run.result.eligible == 0:
            self._update_status(f"no passage matches the filter ({run.result.where.describe()}); nothing searched")
        else:
            within = (f" among {run.result.eligible} of {run.result.index.n_passages} passages"
                      if run.result.where is not None else "")
            chose = (f"; {run.result.stages[0].note}" if run.result.stages and run.result.stages[0].note else "")
            self._update_status(f"{len(run.result.hits)} hits for “{run.text}”{within} in "
                                f"{run.result.total_ms:.1f} ms ({run.result.backend}){chose}")
        # The hit list is painted on this pass of the event loop, the first hit's detail on the next, the
        # stage charts on the one after, so that no single pass holds the UI thread for all of it. (A 1 ms
        # timer, not 0: PySide delivers a zero-timeout call before Qt's low-priority paint request.)
        QTimer.singleShot(1, lambda: self._show_first_hit(serial, run))

    def _show_first_hit(self, serial: int, run: SearchRun) -> None:
        if serial != self._search_serial:
            return  # a newer search replaced this one meanwhile
        if run.result.hits:
            self.hits.selectRow(0)
        else:
            self.detail.show_hit(None, None)
            self.detail_ready.emit()
        QTimer.singleShot(1, lambda: self._show_stages(serial, run))

    def _show_stages(self, serial: int, run: SearchRun) -> None:
        if serial != self._search_serial:
            return
        self.stages.set_stages(run.result.stages, run.stage1_recall)
        self._show_verify_cost()      # the cross-encoder's rate, as this search measured it
        if self.tabs.currentIndex() == 1:
            self.run_compare()
        self.search_finished.emit(run)

    def run_compare(self) -> None:
        """The shown result's query, plan and filter on every executor at hand: the NumPy reference, Mojo where
        it runs, Qdrant where the compare tab names a collection; on a worker, one index snapshot."""
        if self.result is None or self.coll is None:
            return
        problems = {}
        ok, why = available_backends()[MOJO_EXACT_CPU_BACKEND]
        local = [NUMPY_REFERENCE_BACKEND] + ([MOJO_EXACT_CPU_BACKEND] if ok else [])
        if not ok:
            problems[MOJO_EXACT_CPU_BACKEND] = why
        link = self._qdrant_link()
        if len(local) == 1 and link is None:
            self.compare.show_unavailable(f"the Mojo backend is not available: {why}")
            self.compare_finished.emit()
            return
        query, plan, where, coll = self.result.query, self.result.plan, self.result.where, self.coll

        def run(index):
            verifier = coll.verifier_for(plan)       # stage 3, if the plan has it, runs on both (same model)
            results = [search_with_plan(query, index, plan, backend, where, verifier) for backend in local]
            found = dict(problems)
            if link is not None:
                try:
                    results.append(link.search(query, index, plan, where))
                except (ValueError, RuntimeError, OSError) as exc:   # the local comparison still stands
                    found["qdrant"] = _one_line(exc)
            return results, found
        self._start(lambda: coll.retrying(run), on_return=self._compare_done,
                    on_error=lambda e: self.compare.show_unavailable(_one_line(e)))

    def _qdrant_link(self) -> QdrantLink | None:
        """The link to the Qdrant collection the compare tab names (kept while the names stay), or ``None``."""
        choice = self.compare.qdrant_choice()
        if self._qdrant is not None and (self._qdrant.target, self._qdrant.collection) != choice:
            self._qdrant.close()
            self._qdrant = None
        if choice is not None and self._qdrant is None:
            self._qdrant = QdrantLink(*choice)
        return self._qdrant

    def sync_qdrant(self) -> None:
        """Export the index to the compare tab's Qdrant collection (or bring it up to date) on a worker, with
        progress under the Qdrant row; Esc stops it after the batch in flight (the next sync sends the rest)."""
        self.compare.qdrant_on.setChecked(True)
        link = self._qdrant_link()
        if self.coll is None or link is None or self._sync_token is not None:
            if link is None:
                self.compare.qdrant_status.setText("name a Qdrant URL or folder and a collection first")
            return
        token = self._sync_token = CancelToken()
        self.compare.sync.setEnabled(False)
        self.compare.qdrant_status.setText(f"syncing {link.collection!r}… (Esc stops)")
        self._start(link.sync_steps, self.coll, token,
                    on_yield=lambda step: self.compare.qdrant_status.setText(
                        f"syncing {link.collection!r}: {step[0]:,} of {step[1]:,} passages sent (Esc stops)"),
                    on_return=self._synced, on_error=self._sync_failed)

    def _synced(self, report) -> None:
        self._sync_token = None
        self.compare.sync.setEnabled(True)
        if report is None:
            self.compare.qdrant_status.setText("sync stopped; what was sent stays, Sync again sends the rest")
            return
        self.compare.qdrant_status.setText(
            f"{'created' if report.created else 'synced'} {report.collection!r}: {report.upserted:,} sent, "
            f"{report.deleted:,} removed, {report.points:,} points = the index's live passages")
        self.run_compare()

    def _sync_failed(self, exc: Exception) -> None:
        self._sync_token = None
        self.compare.sync.setEnabled(True)
        self.compare.qdrant_status.setText(f"sync failed: {_one_line(exc)}")

    def run_evaluation(self) -> None:
        """Evaluate the search bar's plan (A) and the tab's baseline (B) on the loaded BEIR set, on a worker,
        with progress per query; Esc cancels."""
        if self.coll is None or self._eval_token is not None:
            return
        try:
            plan_a, plan_b = self.evaluation.plans(self.search_bar.plan())
            where = self.filter_bar.where([d.id for d in self.collection_panel.selected_documents()])
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        token = self._eval_token = CancelToken()
        self.evaluation.set_running(True)
        self.status.setText("evaluating… (Esc cancels)")
        self._start(evaluation_steps, self.coll, self.evaluation.queries, self.evaluation.qrels, plan_a, plan_b,
                    self.search_bar.backend_name(), where, token,
                    on_yield=lambda step: self.evaluation.set_progress(*step),
                    on_return=self._evaluation_done, on_error=self._evaluation_failed)

    def _evaluation_done(self, runs) -> None:
        self._eval_token = None
        if runs is None:
            self.evaluation.set_running(False)
            self.status.setText("evaluation cancelled")
        else:
            self.evaluation.show_runs(*runs)
            self.status.setText(f"evaluated {runs[0]['queries']} queries")
        self.evaluation_finished.emit()

    def _evaluation_failed(self, exc: Exception) -> None:
        self._eval_token = None
        self.evaluation.set_running(False)
        self.status.setText(f"evaluation failed: {_one_line(exc)}")
        self.evaluation_finished.emit()

    def _compare_done(self, outcome) -> None:
        self.compare.set_results(*outcome)
        self.compare_finished.emit()

    def cancel(self) -> None:
        for token in (*self._index_job_tokens(), self._open_token):
            if token is not None:
                token.cancel()
        if self._open_token is not None:
            self.collection_panel.current.setText("stopping: the download stops at its next chunk, the opening "
                                                  "after the step in progress…")
        if self._search_token is not None:
            self._search_serial += 1  # results of the cancelled search are ignored
            self._search_token = None
            self.status.setText("search cancelled")

    # -- selection and detail ---------------------------------------------------------------------
    def _hit_selected(self) -> None:
        rows = self.hits.selectionModel().selectedRows()
        hit = self.hits.hits_model.hit(rows[0].row()) if rows else None
        if hit is None or self.result is None:
            return
        self.detail.show_hit(hit, self.result.alignment(hit), self.result.plan.verify_k)
        if hit.page is None or self.coll is None:
            self.detail_ready.emit()
            return
        info = hit.info
        self._start(self.coll.render_page, info,
                    on_return=lambda out, h=hit: self._page_rendered(h, out),
                    on_error=lambda e: (self.detail.page.show_message(f"cannot render page: {_one_line(e)}"),
                                        self.detail_ready.emit()))

    def _page_rendered(self, hit, out) -> None:
        rows = self.hits.selectionModel().selectedRows()
        if rows and self.hits.hits_model.hit(rows[0].row()) is hit:
            rgb, to_pixels = out
            self.detail.page.show_page(rgb, to_pixels, hit.info.boxes)
        self.detail_ready.emit()

    def _open_current(self) -> None:
        rows = self.hits.selectionModel().selectedRows()
        hit = self.hits.hits_model.hit(rows[0].row()) if rows else None
        if hit is not None and self.coll is not None:
            path = self.coll.source_path(hit.info.document_id)
            if path is not None:
                self.status.setText(open_at_page(path, hit.page))

    # -- housekeeping -----------------------------------------------------------------------------
    def _refresh_collection(self) -> None:
        if self.coll is not None:
            documents = self.coll.documents()
            self.collection_panel.set_documents(documents)
            self.filter_bar.set_documents(documents)
            self._update_status()
            self._show_verify_cost()

    def _show_verify_cost(self) -> None:
        """Stage 3's expected time beside its control, before it runs (the model's rate as measured so far)."""
        if self.coll is not None:
            self.search_bar.show_verify_cost(self.coll.verify_estimate_ms(self.search_bar.verify_k.value()))

    def _update_status(self, prefix: str = "") -> None:
        if self.coll is None:
            return
        counts = self.coll.store.catalog.counts()
        backends = " · ".join(f"{name}: {'✓' if ok else '✗ ' + why}"
                              for name, (ok, why) in available_backends().items())
        maintenance = ("merging segments in the background" if self.coll.maintaining
                       else self.coll.maintenance_error or "")
        parts = [prefix, maintenance, f"{counts['passages']} passages in {counts['documents']} documents",
                 "read-only" if self.coll.store.read_only else "",
                 f"encoder {self.coll.store.manifest.get('encoder_identity')}", backends]
        self.status.setText("   |   ".join(p for p in parts if p))
        problems = self.coll.warnings
        self.status.setToolTip("\n".join([p for p in parts if p] + problems))
        if problems:
            self.status.setText(f"⚠ {problems[0]}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
                                + "   |   " + self.status.text())

    def _set_enabled(self, enabled: bool) -> None:
        writable = enabled and self.coll is not None and not self.coll.store.read_only
        for w in (self.search_bar, self.filter_bar):
            w.setEnabled(enabled)
        for w in (self.collection_panel.add_files, self.collection_panel.add_folder, self.collection_panel.watch,
                  self.collection_panel.remove):
            w.setEnabled(writable)

    def _focus_search(self) -> None:
        self.search_bar.query.setFocus()
        self.search_bar.query.selectAll()

    def show_fitted(self) -> None:
        """Show the window where the user left it; on a first run, filling the screen's available area
        (a window manager may add its frame), with the panels split in proportion to that size."""
        if self.settings.value("geometry") and self.restoreGeometry(self.settings.value("geometry")):
            self.show()
            return
        self.fit_to((self.screen() or QApplication.primaryScreen()).availableGeometry())
        self.showMaximized()

    def fit_to(self, area: QRect) -> None:
        """Fill ``area`` (screen pixels) and split the columns and panels in proportion to it."""
        self.setGeometry(area)
        self.main_split.setSizes([int(area.width() * f) for f in (0.23, 0.40, 0.37)])
        self.right_split.setSizes([int(area.height() * f) for f in (0.5, 0.5)])
        self.detail.setSizes([int(area.height() * f) for f in (0.16, 0.50, 0.34)])

    def _restore_settings(self) -> None:
        s = self.settings
        for key, split in (("main_split", self.main_split), ("right_split", self.right_split)):
            if s.value(key):
                split.restoreState(s.value(key))
        s.beginGroup("plan")
        self.search_bar.apply_settings({k: s.value(k) for k in s.childKeys()})
        s.endGroup()
        self.collection_panel.ocr.setChecked(str(s.value("ocr", "true")).lower() != "false")
        self.compare.qdrant_target.setText(str(s.value("qdrant/target", "")))
        self.compare.qdrant_collection.setText(str(s.value("qdrant/collection", "")))

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("geometry", self.saveGeometry())
        s.setValue("main_split", self.main_split.saveState())
        s.setValue("right_split", self.right_split.saveState())
        s.setValue("ocr", self.collection_panel.ocr.isChecked())
        s.setValue("qdrant/target", self.compare.qdrant_target.text())
        s.setValue("qdrant/collection", self.compare.qdrant_collection.text())
        s.beginGroup("plan")
        for k, v in self.search_bar.settings().items():
            s.setValue(k, v)
        s.endGroup()
        s.sync()

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> None:
        """Cancel every job and wait for the workers to finish (no thread outlives the window)."""
        self.cancel()
        QThreadPool.globalInstance().waitForDone(timeout_ms)
        if self._qdrant is not None:
            self._qdrant.close()      # a local-mode folder is unlocked for the next program

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.save_settings()
        self._stop_following()
        self.shutdown()
        super().closeEvent(event)
