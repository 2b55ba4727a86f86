"""Which index the window shows: opening the first one, and Index ▸ New index… / Open index… switching to
another — its model downloaded with progress and Esc, the old index's jobs stopped first, the old index
kept on screen until the new one is ready (and kept for good when that fails or is cancelled)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from ..collection import Collection
from ..collection.index_folders import index_folder_problem
from ..collection.models import dim_note
from ..collection.storage_tiers import DEFAULT_TIER
from ..platform.messages import first_line
from .collection_panel import CollectionPanel
from .index_jobs import open_index_steps
from .new_index_dialog import NewIndexDialog, choose_index_to_open
from .status_line import ERROR_CHARS, StatusLine
from .workers import CancelToken, JobRunner


def _mb(n_bytes: int) -> str:
    """Bytes as MB (10^6, as the model hub counts them): one decimal below 10 MB."""
    mb = n_bytes / 1e6
    return f"{mb:.1f}" if mb < 10 else f"{mb:.0f}"


class IndexController(QObject):
    """Opens the index at :attr:`path` (:meth:`open_current`) and switches to others (:meth:`switch_index`),
    with progress in ``collection_panel``. ``stop_jobs`` is called, and must return only once they have
    stopped, before the index shown is left; ``parent`` owns the dialogs."""

    opened = Signal(object)  # Collection: the first index is open and loaded
    opening = Signal(bool)  # a New/Open index job started (True) or ended (False)
    switched = Signal(object)  # Collection: show this index now (it is at :attr:`path`)
    kept_current = Signal()  # a New/Open index ended without a switch: the index shown stays
    switch_finished = Signal(bool)  # New/Open index ended: True if the window now shows the new index

    def __init__(
        self,
        runner: JobRunner,
        status: StatusLine,
        collection_panel: CollectionPanel,
        parent: QWidget,
        path: Path,
        stop_jobs: Callable[[], None],
        encoder=None,
    ) -> None:
        """``encoder``: an already loaded :class:`~workbench.encode.Encoder` to reuse (else loaded on open)."""
        super().__init__()
        self.runner, self.status, self.panel, self.dialog_parent = runner, status, collection_panel, parent
        self.path = path
        self.encoder = encoder
        self.coll: Collection | None = None
        self._stop_jobs = stop_jobs
        self._token: CancelToken | None = None  # a New/Open index job (download, then open)

    def set_collection(self, coll: Collection | None) -> None:
        """The index shown now (its encoder is reused by the next switch where the model is the same)."""
        self.coll = coll

    @property
    def busy(self) -> bool:
        """Whether another index is being opened."""
        return self._token is not None

    def cancel(self) -> None:
        """Esc: stop the download at its next chunk, or the opening after the step in progress."""
        if self._token is not None:
            self._token.cancel()
            self.panel.current.setText(
                "stopping: the download stops at its next chunk, the opening after the step in progress…"
            )

    # -- the first index ----------------------------------------------------------------------------
    def open_current(self) -> None:
        """Open (or create) the index and load its encoder on a worker; the window is usable meanwhile."""

        def job(path, encoder):
            coll = Collection.open(path, create=True, encoder=encoder)
            coll.encoder  # noqa: B018 — load the model now, off the UI thread
            coll.late_index()
            return coll

        self.status.setText(f"opening {self.path} and loading the encoder…")
        self.runner.start(job, self.path, self.encoder, on_return=self.opened.emit, on_error=self._open_failed)

    def _open_failed(self, exc: Exception) -> None:
        self.status.setText(f"cannot open {self.path}: {first_line(exc, ERROR_CHARS)}")
        QMessageBox.warning(self.dialog_parent, "Cannot open index", first_line(exc, ERROR_CHARS))

    # -- another index: New index…, Open index… ---------------------------------------------------------
    def new_index(self) -> None:
        """Index ▸ New index…: ask for a folder and an encoder, then :meth:`switch_index` to it."""
        dialog = NewIndexDialog(self.dialog_parent)
        if dialog.exec() == QDialog.Accepted:
            folder, model = dialog.choice()
            self.switch_index(folder, model, create=True, tier=dialog.storage_tier(), keep_exact=dialog.keep_exact())

    def open_index(self) -> None:
        """Index ▸ Open index…: a folder chooser, then :meth:`open_folder`."""
        folder = choose_index_to_open(self.dialog_parent, str(self.path.parent))
        if folder is not None:
            self.open_folder(folder)

    def open_folder(self, folder: Path) -> None:
        """Switch to the index in ``folder``; a folder that is not an index is refused in the store's words."""
        problem = index_folder_problem(folder)
        if problem:
            self.status.setText(f"cannot open {folder}: {problem}")
            QMessageBox.warning(self.dialog_parent, "Not a Kayak index", problem)
            return
        self.switch_index(folder)

    def switch_index(
        self,
        path: Path,
        model: str | None = None,
        create: bool = False,
        tier: str = DEFAULT_TIER,
        keep_exact: bool = False,
    ) -> None:
        """Show the index at ``path`` in this window (``create``: a new one written with ``model``, keeping its
        vectors in storage ``tier``, and its float16 vectors too with ``keep_exact``). The running
        jobs of the current index are cancelled and waited for first; the model is downloaded (progress and
        Esc/Cancel in the collection panel) and loaded on a worker; the current index stays searchable until
        the new one is ready, and stays shown if the new one fails or is cancelled."""
        if self._token is not None:
            self.status.setText("another index is being opened; wait for it or cancel it (Esc)")
            return
        token = self._token = CancelToken()
        self.opening.emit(True)  # from now on no ingest starts on the current index
        self._stop_jobs()
        # The stopped jobs' last signals (an ingest's end, say) are queued: let them be delivered first.
        QTimer.singleShot(0, lambda: self._start_switch(token, Path(path), model, create, tier, keep_exact))

    def _start_switch(
        self, token: CancelToken, path: Path, model: str | None, create: bool, tier: str, keep_exact: bool
    ) -> None:
        what = f"creating {path} with model {model}" if create else f"opening {path}"
        self.panel.set_busy(True, f"{what}…")
        self.panel.progress.setRange(0, 0)  # busy until the first byte counts arrive
        self.status.setText(f"{what}… (Esc cancels)")
        encoder = self.coll.encoder if self.coll is not None else self.encoder
        self.runner.start(
            open_index_steps,
            path,
            model,
            token,
            encoder,
            create,
            tier,
            keep_exact,
            on_yield=self.show_step,
            on_return=lambda coll, p=path: self._switched(p, coll),
            on_error=lambda e, p=path: self._switch_failed(p, e),
        )

    def show_step(self, step: tuple) -> None:
        """A step of :func:`~workbench.gui.index_jobs.open_index_steps` in the collection panel: the bytes
        downloaded so far, or the loading."""
        if step[0] == "download":
            _, model, done, total = step
            # KiB on the bar: QProgressBar counts in 32-bit ints, bytes would overflow past 2 GB
            self.panel.set_progress(
                done // 1024, total // 1024, f"downloading {model}: {_mb(done)} of {_mb(total)} MB (Esc cancels)"
            )
        elif step[0] == "loading":
            self.panel.progress.setRange(0, 0)
            self.panel.current.setText(f"loading {step[1]} and the index…")

    def _switched(self, path: Path, coll: Collection | None) -> None:
        """The new index is open: stop what still runs on the current one, then show the new one."""
        if coll is None:
            self._end_opening()
            self._switch_ended("cancelled; the index shown is unchanged")
            return
        self._stop_jobs()  # searches started meanwhile on the current index; their results arrive first
        QTimer.singleShot(0, lambda: self._show_switched(path, coll))

    def _show_switched(self, path: Path, coll: Collection) -> None:
        self._end_opening()
        self.path = path
        self.encoder = coll.encoder
        self.switched.emit(coll)
        note = dim_note(coll.dim)
        self.panel.current.setText(f"opened {path} (encoder {coll.encoder_identity})" + (f"; {note}" if note else ""))
        self.switch_finished.emit(True)

    def _switch_failed(self, path: Path, exc: Exception) -> None:
        self._end_opening()
        self._switch_ended(f"cannot open {path}: {first_line(exc, ERROR_CHARS)}")

    def _end_opening(self) -> None:
        self._token = None
        self.panel.set_busy(False)
        self.opening.emit(False)

    def _switch_ended(self, text: str) -> None:
        """No switch: the index shown stays (its status first, then why nothing changed)."""
        if self.coll is not None:
            self.kept_current.emit()
        self.panel.current.setText(text)
        self.status.setText(text)
        self.switch_finished.emit(False)
