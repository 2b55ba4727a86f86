"""Reading a hit's document in the Document tab (:class:`~.document_view.DocumentView`): its page count and pages
rendered on a worker, one job at a time — while one runs, only the newest request waits (a page turned or a
zoom step taken meanwhile replaces the one before), so holding PageDown or turning Ctrl+wheel never queues up
renders. What a job delivers for a document no longer shown is dropped; what fails is said in the tab."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject

from ..collection import Collection
from ..core import Hit
from ..platform.messages import first_line
from .document_view import DocumentView
from .page_view import open_at_page
from .status_line import ERROR_CHARS, StatusLine
from .workers import JobRunner


class DocumentController(QObject):
    """Opens hits in ``view`` and serves its page requests from the collection the last hit came from."""

    def __init__(self, runner: JobRunner, status: StatusLine, view: DocumentView) -> None:
        super().__init__()
        self.runner, self.status, self.view = runner, status, view
        self.coll: Collection | None = None
        self._running = False
        self._waiting: Callable[[], None] | None = None  # the newest request made while a job ran
        view.render_wanted.connect(self._render)
        view.external_wanted.connect(self._open_external)

    def open_hit(self, coll: Collection, hit: Hit, hits: Iterable[Hit] = (), focus: bool = True) -> None:
        """Show ``hit``'s document at its page with its passage's boxes, the boxes of the other ``hits`` (the
        result shown) of the same document lighter; ``focus``: the user asked to read it (the tab is shown)."""
        info = hit.info
        if info is None:
            return  # a hit that names no indexed passage: no document to open
        others: dict[int, list] = {}
        for other in hits:
            o = other.info
            if other is not hit and o is not None and o.document_id == info.document_id and o.page is not None:
                others.setdefault(o.page, []).extend(o.boxes)
        if coll is not self.coll:
            self.view.close_document()  # another index: its document ids name other documents
        self.coll = coll
        if self.view.show_document(info.document_id, hit.path or "", hit.page, list(info.boxes), others, focus):
            generation, document_id = self.view.generation, info.document_id
            self._start(
                lambda: self.runner.start(
                    coll.pages.count,
                    document_id,
                    on_return=lambda count: self.view.set_page_count(generation, count),
                    on_error=lambda e: self.view.show_failure(
                        f"Cannot open this document: {first_line(e, ERROR_CHARS)}",
                        generation,
                    ),
                    on_finish=self._finished,
                )
            )

    @property
    def busy(self) -> bool:
        """Whether a page count or a render is running, or waiting for one to end."""
        return self._running or self._waiting is not None

    def drop_if_removed(self) -> None:
        """The index changed (documents removed): a document shown that it no longer holds is closed, saying so."""
        shown = self.view.document_id
        if self.coll is not None and shown is not None and self.coll.source_path(shown) is None:
            name = self.view.title.text()
            self.view.close_document()
            self.view.show_failure(f"{name} was removed from the index.")

    def close(self) -> None:
        """The index shown changed: no document (a job still running delivers to nobody)."""
        self.coll, self._waiting = None, None
        self.view.close_document()

    def _render(self, generation: int, page: int, device_zoom: float) -> None:
        coll, document_id = self.coll, self.view.document_id
        if coll is None or document_id is None or generation != self.view.generation:
            return
        self._start(
            lambda: self.runner.start(
                coll.pages.render,
                document_id,
                page,
                device_zoom,
                on_return=lambda out: self.view.show_render(generation, page, device_zoom, *out),
                on_error=lambda e: self.view.show_failure(
                    f"Cannot show page {page}: {first_line(e, ERROR_CHARS)}", generation
                ),
                on_finish=self._finished,
            )
        )

    def _start(self, job: Callable[[], None]) -> None:
        if self._running:
            self._waiting = job
            return
        self._running = True
        job()

    def _finished(self) -> None:
        self._running = False
        job, self._waiting = self._waiting, None
        if job is not None:
            self._start(job)

    def _open_external(self, page: int) -> None:
        """Shift+Enter or the tab's button: the file in the system's PDF viewer at ``page``, said in the status line."""
        if self.coll is None or self.view.document_id is None:
            return
        try:
            path = self.coll.pages.path(self.view.document_id)
        except Exception as exc:  # the facade's IngestError: removed from the index, or the file is gone
            self.status.setText(f"cannot open it: {first_line(exc, ERROR_CHARS)}")
            return
        self.status.setText(open_at_page(path, page or None))
