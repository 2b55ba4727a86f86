"""Changing what the index shown holds: files and folders added (with progress and cancel in the collection
panel), documents removed, watched folders followed as their files change, and what background
maintenance (merges, centroid training) is doing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from ..collection import Collection, IngestEvent
from ..collection.ingest_times import format_eta
from ..collection.watch import FolderWatcher, sync_events
from ..platform.messages import first_line
from .collection_panel import CollectionPanel
from .jobs import event_steps
from .status_line import ERROR_CHARS, StatusLine
from .workers import CancelToken, JobRunner

WATCH_POLL_MS = 500  # how often settled changes in watched folders (and maintenance) are looked at


def event_text(ev: IngestEvent) -> str:
    """One line for the collection panel about ``ev``: what happened to which file, with the rate and the
    time left while they are known."""
    name = Path(ev.path).name
    text = {
        "encoding": f"{name}: {ev.message}",
        "failed": f"failed: {name}: {ev.message}",
        "indexed": f"indexed {name} ({ev.passages} passages)",
        "unchanged": f"unchanged: {name}",
        "renamed": f"renamed {name} (passages kept)",
        "removed": f"removed {name} ({ev.passages} passages)",
        "committed": f"committed: {ev.message}",
        "merging": f"merging segments ({ev.message}); searches go on",
        "centroids": f"tuning the search index — {ev.message}",
        "lost": f"vectors lost: {name}: {ev.message}",
    }[ev.status]
    if ev.rate:
        text += f" — {ev.rate:.1f} passages/s" + (f", {format_eta(ev.eta_s)}" if ev.eta_s is not None else "")
    return text


class IngestController(QObject):
    """The collection panel's add, remove and watch requests on :meth:`set_collection`'s index, one ingest at
    a time; paths asked for before an index is open wait in :attr:`pending` (:meth:`start_following` takes
    them). While another index is being opened (:meth:`set_index_opening`) nothing starts here."""

    finished = Signal()  # an ingest, sync or rescan ended: done, cancelled or stopped by an error
    documents_changed = Signal()  # documents were added, changed or removed: show the new list
    removed = Signal()  # documents were removed: results that show them are out of date

    def __init__(
        self, runner: JobRunner, status: StatusLine, collection_panel: CollectionPanel, pending: list[str] | None = None
    ) -> None:
        super().__init__()
        self.runner, self.status, self.panel = runner, status, collection_panel
        self.coll: Collection | None = None
        self.pending = list(pending or [])
        self._token: CancelToken | None = None
        self._index_opening = False
        self._centroid_reason = ""  # why the running ingest retrains the centroids, if it does
        self._watcher: FolderWatcher | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(WATCH_POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._shown_maintaining = False
        collection_panel.add_requested.connect(self.ingest)
        collection_panel.remove_requested.connect(self.remove)
        collection_panel.watch_requested.connect(self.set_watched)

    @property
    def running(self) -> bool:
        """Whether an ingest, sync or rescan runs now."""
        return self._token is not None

    def set_collection(self, coll: Collection | None) -> None:
        """Change ``coll`` from now on (``None``: none is open; paths asked for wait)."""
        self.coll = coll

    def set_index_opening(self, opening: bool) -> None:
        """Another index is being opened (``True``) or no longer is: meanwhile no ingest starts here."""
        self._index_opening = opening

    def start_following(self) -> None:
        """The index was just opened: follow its watched folders, catch up with what changed in them while the
        app was closed, and ingest the paths asked for before it was open."""
        self._follow_watched()
        if self.coll.watched_folders() and not self.coll.read_only:
            self._run_events(self.coll.iter_rescan(), "catching up with the watched folders…")
        if self.pending:
            paths, self.pending = self.pending, []
            self.ingest(paths)

    def stop_following(self) -> None:
        """Stop watching folders and the background maintenance of the index shown (when leaving or closing it)."""
        self._timer.stop()
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        if self.coll is not None:
            self.coll.stop_maintenance()  # a merge in flight is dropped whole; it is due again next time

    def cancel(self) -> None:
        """Stop the running ingest after the file in progress (every document committed before is kept)."""
        if self._token is not None:
            self._token.cancel()

    # -- adding and removing ------------------------------------------------------------------------
    def ingest(self, paths: list[str]) -> None:
        """Add files and folders (PDFs, text), on a worker; refused in the status line while another ingest
        runs or another index is being opened."""
        if self.coll is None:
            self.pending += list(paths)
            return
        if self._index_opening:
            self.status.setText("another index is being opened; add files once it is open (Esc cancels it)")
            return
        if self._token is not None:
            self.status.setText("an ingest is already running; wait for it or cancel it (Esc)")
            return
        self._run_events(self.coll.iter_ingest([str(p) for p in paths]), "reading files…")

    def remove(self, paths: list[str]) -> None:
        """Remove these documents' passages from the index, on a worker (not while an ingest runs)."""
        if self.coll is None or self._token is not None or self._index_opening:
            return
        self.runner.start(
            lambda c, p: c.remove(p),
            self.coll,
            paths,
            on_return=lambda _removed: (self.documents_changed.emit(), self.removed.emit()),
            on_error=lambda e: self.status.setText(f"remove failed: {first_line(e, ERROR_CHARS)}"),
        )

    def _run_events(self, events: Iterator[IngestEvent], text: str) -> None:
        """Run an ingest, sync or rescan generator on a worker, with progress and cancel in the panel."""
        token = self._token = CancelToken()
        self.coll.ocr = self.panel.ocr.isChecked()
        self.panel.set_busy(True, "starting…")
        self.panel.set_progress(0, 0, text)
        self.runner.start(
            event_steps,
            events,
            token,
            on_yield=self._ingest_event,
            on_error=self._ingest_error,
            on_finish=self._ingest_done,
        )

    def _ingest_event(self, ev: IngestEvent) -> None:
        self._centroid_reason = ev.message if ev.status == "centroids" else self._centroid_reason
        self.panel.set_progress(ev.done, ev.total, event_text(ev))

    def _ingest_error(self, exc: Exception) -> None:
        self.panel.current.setText(f"ingest stopped: {first_line(exc, ERROR_CHARS)} (committed documents are kept)")

    def _ingest_done(self) -> None:
        cancelled = self._token is not None and self._token.cancelled
        self._token = None
        self.panel.set_busy(False)
        self.documents_changed.emit()
        if cancelled:
            self.panel.current.setText("cancelled; every document committed before now is kept")
        elif self._centroid_reason:
            self._say_centroids_trained(self._centroid_reason)
        self._centroid_reason = ""
        self.finished.emit()

    def _say_centroids_trained(self, why: str) -> None:
        """One line in the panel once the token centroids (stage 1's search structure) are trained; what
        they are in the tooltip."""
        self.panel.current.setText(f"search index tuned — {why}")
        self.panel.current.setToolTip(
            "token centroids trained: the fast first stage groups similar token vectors around them"
        )

    # -- watched folders and maintenance --------------------------------------------------------------
    def set_watched(self, folder: str, watched: bool) -> None:
        """Start or stop following ``folder``; a folder newly watched is indexed now."""
        if self.coll is None or self._token is not None or self._index_opening:
            self.status.setText(
                "wait for the running ingest or index opening to finish (or cancel it) to change watched folders"
            )
            self.panel.set_watched(self.coll.watched_folders() if self.coll else [])
            return
        try:
            self.coll.set_watched([folder], watched)
        except (ValueError, OSError) as exc:
            self.status.setText(f"cannot watch {folder}: {first_line(exc, ERROR_CHARS)}")
        self._follow_watched()
        if watched:
            self.ingest([folder])

    def _follow_watched(self) -> None:
        """(Re)start the file-system watcher on the index's watched folders and show them in the panel."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        folders = self.coll.watched_folders() if self.coll is not None else []
        self.panel.set_watched(folders)
        if folders and not self.coll.read_only:
            self._watcher = FolderWatcher(folders)
            self._watcher.start()
        self._timer.start()

    def _poll(self) -> None:
        """Timer: say when background maintenance starts and ends; index the watched paths that have
        settled, unless an ingest is running (they wait)."""
        if self.coll is None:
            return
        if self.coll.maintaining != self._shown_maintaining:
            self._shown_maintaining = self.coll.maintaining
            self.status.show_collection(self.coll)
        if self.coll.centroids_trained_because and not self.coll.maintaining and self._token is None:
            why, self.coll.centroids_trained_because = self.coll.centroids_trained_because, None
            self._say_centroids_trained(why)
        if self._watcher is None or self._token is not None or self._index_opening:
            return
        if batch := self._watcher.due():
            self._run_events(sync_events(self.coll, self._watcher, batch), f"{len(batch)} watched paths changed…")
