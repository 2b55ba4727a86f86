"""The Document tab: one indexed document read a page at a time, opened at a hit's page with the hit's passage
highlighted (the result's other passages of that document lighter), with page navigation and zoom.

A widget only: it asks for pages (``render_wanted``) and shows what it is given; the renders run on a worker
(:mod:`.document_controller`). Pages are shown at a zoom in pixels per PDF point (1.0 is 72 dpi), or fitted
to the view's width; the image is rendered at that zoom times the screen's pixel ratio, so text stays sharp.

Keys (while the tab has the focus): PageDown / PageUp scroll a page taller than the view, then turn to the
next / previous page; Home / End the first / last page; Ctrl+= (or Ctrl++) / Ctrl+- zoom in / out, Ctrl+0
fits the width, Ctrl+wheel zooms; Shift+Enter opens the file in the system's PDF viewer at the shown page.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSpinBox, QToolButton, QVBoxLayout, QWidget

from .elided_label import ElidedLabel
from .page_view import PageView

ZOOM_STEP = 1.25  # one zoom in (a button, a key, a notch of Ctrl+wheel)
MIN_ZOOM, MAX_ZOOM = 0.25, 4.0  # pixels per PDF point: a page in a thumbnail's room .. 288 dpi
MAX_RENDER_WIDTH = 4096  # image pixels: a poster-sized page zoomed in is rendered no wider, then scaled up
REAL_SIZE = 96 / 72  # pixels per point of a page at its printed size on a 96 dpi screen: "100 %"
FIT_MARGIN = 16  # pixels of backdrop beside a page fitted to the view's width (and no horizontal scroll bar)
BACKDROP = QColor(160, 160, 160)
RERENDER_RATIO = 0.01  # a page shown scaled by more than this is rendered again at the zoom shown
RESIZE_SETTLE_MS = 150  # while the view is being resized, the fitted page is scaled; rendered once it settles
EMPTY = "Press Enter on a hit (or double-click it) to read its document here, at the hit's page."

Box = tuple[float, float, float, float]


class PageCanvas(PageView):
    """The Document tab's page: shown at the tab's zoom (not fitted by itself); Ctrl+wheel asks for a zoom step
    (``zoom_step``: +1 in, -1 out); ``resized`` fires when the view changes size."""

    zoom_step = Signal(int)
    resized = Signal()

    def __init__(self) -> None:
        super().__init__()
        # Always there: a scroll bar that came and went with the page's height would change the width to fit.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)

    def show_page(self, rgb, to_pixels, boxes, faint_boxes=()) -> None:
        self.setBackgroundBrush(BACKDROP)  # the page's white edges show against it
        super().show_page(rgb, to_pixels, boxes, faint_boxes)

    def show_message(self, text: str) -> None:
        self.setBackgroundBrush(QBrush())
        super().show_message(text)

    def place(self) -> None:
        """The tab scales and scrolls each page it shows (:meth:`DocumentView.show_render`)."""

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            turn = event.angleDelta().y()
            if turn:
                self.zoom_step.emit(1 if turn > 0 else -1)
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super(PageView, self).resizeEvent(event)  # not PageView's: it would fit the page's width
        self._wrap_message()
        self.resized.emit()


class DocumentView(QWidget):
    """One document, a page at a time. :meth:`show_document` opens it at a hit's page; the page count arrives
    with :meth:`set_page_count`, pages with :meth:`show_render`, and what cannot be shown with
    :meth:`show_failure`.

    Signals: ``render_wanted(generation, page, device_zoom)`` asks for page ``page`` (1-based) at
    ``device_zoom`` image pixels per PDF point for the document opened as ``generation``;
    ``external_wanted(page)`` for the file in the system's viewer; ``opened`` when a hit was opened to be read
    (the window shows this tab); ``page_shown(page)`` once a page, or why it cannot be shown, is on screen.
    """

    render_wanted = Signal(int, int, float)
    external_wanted = Signal(int)
    opened = Signal()
    page_shown = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.generation = 0  # which opening of a document the renders delivered belong to
        self.document_id: int | None = None
        self.page = 0  # the page shown or being rendered (1-based; 0: none)
        self.page_count = 0  # 0 until known
        self.zoom: float | None = None  # pixels per PDF point; None: fitted to the view's width
        self.hit_page: int | None = None
        self.hit_boxes: list[Box] = []
        self.other_boxes: dict[int, list[Box]] = {}
        self._page_width_pt = 595.0  # the last page's width (an A4 page's before the first)
        self._rendered_zoom = 0.0  # device pixels per point of the image shown (0: none shown)
        self._scroll: str | None = "hit"  # where the next page lands: "hit" (its boxes), "top", "bottom"; None: kept

        self.title = ElidedLabel()
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.folder = ElidedLabel()
        self.folder.setStyleSheet("color: #666")
        self.previous = self._button("", "Previous page (PageUp at the top of a page)", self.previous_page)
        self.next = self._button("", "Next page (PageDown at the bottom of a page)", self.next_page)
        self.previous.setArrowType(Qt.ArrowType.LeftArrow)
        self.next.setArrowType(Qt.ArrowType.RightArrow)
        self.spin = QSpinBox()
        self.spin.setPrefix("page ")
        self.spin.setKeyboardTracking(False)  # typing "12" goes to page 12, not to 1 first
        self.spin.setToolTip("Type a page number and press Enter (Home / End: first / last page)")
        self.zoom_out_button = self._button("−", "Zoom out (Ctrl+-, Ctrl+wheel)", self.zoom_out)
        # The zoom shown is the button that fits the width again (pressed while it does): one control, not two,
        # so that the bar fits a third of a 1000-pixel window.
        self.fit_button = self._button(
            "",
            "The zoom (100 %: the page's real size on a 96 dpi screen); click to fit the page's width (Ctrl+0)",
            self.fit_width,
        )
        self.fit_button.setCheckable(True)
        self.zoom_in_button = self._button("+", "Zoom in (Ctrl+=, Ctrl+wheel)", self.zoom_in)
        self.external = QPushButton("Open in system viewer")
        self.external.setToolTip("Open the file in the system's PDF viewer at the page shown (Shift+Enter)")
        self.canvas = PageCanvas()
        self._lay_out()
        self.spin.valueChanged.connect(lambda page: self.go_to(page, "top"))
        self.external.clicked.connect(lambda: self.external_wanted.emit(self.page))
        self.canvas.zoom_step.connect(lambda step: self.zoom_in() if step > 0 else self.zoom_out())
        self._settle = QTimer(self, singleShot=True, interval=RESIZE_SETTLE_MS)
        self._settle.timeout.connect(self._ask_for_render)
        self.canvas.resized.connect(self._resized)
        self._bind_keys()
        self.setFocusProxy(self.canvas)
        self.close_document()

    def _button(self, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton(text=text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def _lay_out(self) -> None:
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for w in (self.previous, self.spin, self.next):
            bar.addWidget(w)
        bar.addSpacing(12)
        for w in (self.zoom_out_button, self.fit_button, self.zoom_in_button):
            bar.addWidget(w)
        bar.addStretch(1)
        # as wide as its widest zoom: the bar does not shift as the zoom changes
        self.fit_button.setMinimumWidth(self.fit_button.fontMetrics().horizontalAdvance("300 %") + 12)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.external)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 4, 0, 0)
        col.setSpacing(2)
        col.addLayout(head)
        col.addWidget(self.folder)
        col.addLayout(bar)
        col.addWidget(self.canvas, 1)

    def _bind_keys(self) -> None:
        keys = (
            (QKeySequence.StandardKey.MoveToNextPage, self.page_down),
            (QKeySequence.StandardKey.MoveToPreviousPage, self.page_up),
            (QKeySequence(Qt.Key.Key_Home), lambda: self.go_to(1, "top")),
            (QKeySequence(Qt.Key.Key_End), lambda: self.go_to(self.page_count, "top")),
            (QKeySequence("Ctrl+="), self.zoom_in),
            (QKeySequence("Ctrl++"), self.zoom_in),
            (QKeySequence("Ctrl+-"), self.zoom_out),
            (QKeySequence("Ctrl+0"), self.fit_width),
            (QKeySequence("Shift+Return"), self.external.click),
            (QKeySequence("Shift+Enter"), self.external.click),
        )
        for key, slot in keys:
            shortcut = QShortcut(key, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # only while this tab has the focus
            shortcut.activated.connect(slot)

    # -- what the controller calls ------------------------------------------------------------------------------
    def show_document(
        self,
        document_id: int,
        path: str,
        page: int | None,
        boxes: list[Box],
        other_boxes: dict[int, list[Box]],
        focus: bool = True,
    ) -> bool:
        """Open document ``document_id`` (its file ``path``) at the hit's ``page`` (``None``: a text source, which
        has no pages) with the hit's ``boxes`` and the other hits' boxes per page, in PDF points. ``focus``: the
        user asked to read it (``opened`` fires, the page takes the focus). Returns whether it is another document
        than the one shown (its page count is then asked for, :meth:`set_page_count` must follow)."""
        other = document_id != self.document_id or not self.page_count
        if other:
            self.generation += 1
            self.page_count, self.page, self._rendered_zoom = 0, 0, 0.0
        self.document_id = document_id
        self.hit_page, self.hit_boxes, self.other_boxes = page, list(boxes), other_boxes
        self.title.setText(Path(path).name)
        self.folder.setText(f"in {Path(path).parent}")
        for label in (self.title, self.folder):
            label.setToolTip(path)
        if focus:
            self.opened.emit()
            self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
        if page is None:
            self.show_failure(
                f"{Path(path).name} is a text file: it has no pages to show (its passage is in the Selected hit tab)."
            )
        elif not other:
            self.go_to(page, "hit", again=True)
        else:
            self.canvas.show_message(f"opening {Path(path).name}…")
            self._enable()
        return other and page is not None

    def set_page_count(self, generation: int, count: int) -> None:
        """The document opened as ``generation`` has ``count`` pages: show the hit's page (clamped into them)."""
        if generation != self.generation or self._deleted():
            return
        self.page_count = count
        self.spin.blockSignals(True)
        self.spin.setRange(1, count)
        self.spin.setSuffix(f" of {count}")
        self.spin.blockSignals(False)
        self.go_to(self.hit_page or 1, "hit", again=True)

    def show_render(
        self, generation: int, page: int, device_zoom: float, rgb: np.ndarray, to_pixels: tuple[float, ...]
    ) -> None:
        """Page ``page`` rendered at ``device_zoom`` pixels per point: ``rgb`` ``[h, w, 3]`` uint8 and the affine
        from PDF points to its pixels. Dropped unless it is of the document and page shown now; rendered again
        when the zoom asked for meanwhile differs by more than :data:`RERENDER_RATIO`."""
        if generation != self.generation or page != self.page or self._deleted():
            return
        centre = self._centre() if self._rendered_zoom else None  # a new zoom of the page shown keeps its place
        boxes = self.hit_boxes if page == self.hit_page else []
        self.canvas.show_page(rgb, to_pixels, boxes, self.other_boxes.get(page, []))
        self._rendered_zoom = device_zoom
        self._page_width_pt = rgb.shape[1] / device_zoom
        self._scale_and_scroll(centre)
        self._enable()
        if abs(self._device_zoom() / device_zoom - 1) > RERENDER_RATIO:  # zoomed meanwhile, or another page size
            self._ask_for_render()
        self.page_shown.emit(page)

    def show_failure(self, text: str, generation: int | None = None) -> None:
        """Instead of a page, ``text``: why it cannot be shown (ignored when ``generation`` is an older opening)."""
        if (generation is not None and generation != self.generation) or self._deleted():
            return
        self._rendered_zoom = 0.0
        self.canvas.show_message(text)
        self._enable()
        self.page_shown.emit(self.page)

    def _deleted(self) -> bool:
        """Whether Qt has deleted this view: a worker's render or page count can arrive after its window closed."""
        return not shiboken6.isValid(self) or not shiboken6.isValid(self.canvas)

    def close_document(self) -> None:
        """Show no document (the index changed): what is still being rendered for the last one is dropped."""
        self.generation += 1
        self.document_id, self.page, self.page_count, self._rendered_zoom = None, 0, 0, 0.0
        self.hit_page, self.hit_boxes, self.other_boxes = None, [], {}
        self.title.setText("No document open")
        self.folder.setText("")
        self.canvas.show_message(EMPTY)
        self._enable()

    # -- navigation ------------------------------------------------------------------------------------------
    def go_to(self, page: int, scroll: str = "top", again: bool = False) -> None:
        """Show page ``page``, clamped into the document's pages; ``scroll``: where it lands ("hit": at the
        hit's boxes where it has them, "top", "bottom"); ``again``: render it even if it is the page shown."""
        if not self.page_count:
            return
        page = min(max(page, 1), self.page_count)
        if page == self.page and not again:
            return
        self.page, self._scroll = page, scroll
        self.spin.blockSignals(True)
        self.spin.setValue(page)
        self.spin.blockSignals(False)
        self._enable()
        self._ask_for_render()

    def next_page(self) -> None:
        self.go_to(self.page + 1, "top")

    def previous_page(self) -> None:
        self.go_to(self.page - 1, "top")

    def page_down(self) -> None:
        """Scroll down a screen; at the bottom of the page, the next page from its top."""
        bar = self.canvas.verticalScrollBar()
        if bar.value() < bar.maximum() and self._rendered_zoom:
            bar.setValue(bar.value() + bar.pageStep())
        else:
            self.go_to(self.page + 1, "top")

    def page_up(self) -> None:
        """Scroll up a screen; at the top of the page, the previous page from its bottom."""
        bar = self.canvas.verticalScrollBar()
        if bar.value() > bar.minimum() and self._rendered_zoom:
            bar.setValue(bar.value() - bar.pageStep())
        else:
            self.go_to(self.page - 1, "bottom")

    # -- zoom ------------------------------------------------------------------------------------------------
    def zoom_in(self) -> None:
        self.set_zoom(self._logical_zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self._logical_zoom() / ZOOM_STEP)

    def fit_width(self) -> None:
        self.set_zoom(None)

    def set_zoom(self, zoom: float | None) -> None:
        """Show pages at ``zoom`` pixels per PDF point (clamped to :data:`MIN_ZOOM`..:data:`MAX_ZOOM`), or fitted
        to the view's width (``None``). The page shown is scaled at once, keeping its centre in view, and
        rendered again at the new zoom."""
        centre = self._centre()
        self.zoom = None if zoom is None else min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        self._scale_and_scroll(centre)
        self._enable()
        self._ask_for_render()

    def zoom_percent(self) -> int:
        """The zoom shown, in percent of the page's real size on a 96 dpi screen (as PDF viewers count it)."""
        return round(self._logical_zoom() / REAL_SIZE * 100)

    def _logical_zoom(self) -> float:
        """Pixels per PDF point on screen: the zoom set, or the one that fits the page's width."""
        if self.zoom is not None:
            return self.zoom
        fitted = (self.canvas.viewport().width() - FIT_MARGIN) / self._page_width_pt
        return min(max(fitted, MIN_ZOOM), MAX_ZOOM)

    def _device_zoom(self) -> float:
        """Image pixels per point to render at: the zoom shown on this screen's pixels, within
        :data:`MAX_RENDER_WIDTH` (an A0 page at 300 % would be an image of 400 megabytes)."""
        return min(self._logical_zoom() * self.devicePixelRatioF(), MAX_RENDER_WIDTH / self._page_width_pt)

    def _resized(self) -> None:
        if self.zoom is None and self._rendered_zoom:
            self._scale_and_scroll(self._centre())
            self._settle.start()  # a render per resize step would queue up; one once it settles

    def _ask_for_render(self) -> None:
        if self.document_id is not None and self.page:
            self.render_wanted.emit(self.generation, self.page, self._device_zoom())

    # -- showing ---------------------------------------------------------------------------------------------
    def _centre(self) -> tuple[float, float]:
        """The point of the page at the view's centre, as fractions of the page's width and height."""
        rect = self.canvas.sceneRect()
        centre = self.canvas.mapToScene(self.canvas.viewport().rect().center())
        return centre.x() / max(rect.width(), 1), centre.y() / max(rect.height(), 1)

    def _scale_and_scroll(self, centre: tuple[float, float] | None = None) -> None:
        """Scale the image shown from the zoom it was rendered at to the zoom shown, and scroll: to where the last
        move asked (:attr:`_scroll`), else so that ``centre`` (fractions of the page) stays at the centre."""
        if not self._rendered_zoom:
            return
        self.canvas.resetTransform()
        scale = self._logical_zoom() / self._rendered_zoom  # image pixels to the view's (logical) pixels
        self.canvas.scale(scale, scale)
        rect = self.canvas.sceneRect()
        if self._scroll == "hit" and self.canvas.box_items:
            first = self.canvas.box_items[0].rect()
            # the passage's first line a third of the way down: the text before it in view too
            self.canvas.centerOn(first.center().x(), first.top() + self.canvas.viewport().height() / scale / 6)
        elif self._scroll is None and centre is not None:
            self.canvas.centerOn(centre[0] * rect.width(), centre[1] * rect.height())
        elif self._scroll is not None:
            bar = self.canvas.verticalScrollBar()
            bar.setValue(bar.maximum() if self._scroll == "bottom" else bar.minimum())
            self.canvas.horizontalScrollBar().setValue(self.canvas.horizontalScrollBar().minimum())
        self._scroll = None  # placed: from now on the page stays where the user scrolls it

    def _enable(self) -> None:
        has_pages = self.page_count > 0
        self.previous.setEnabled(has_pages and self.page > 1)
        self.next.setEnabled(has_pages and self.page < self.page_count)
        self.spin.setEnabled(has_pages)
        if not has_pages:
            self.spin.blockSignals(True)
            self.spin.setRange(0, 0)
            self.spin.setSuffix("")
            self.spin.blockSignals(False)
        self.spin.setSpecialValueText("" if has_pages else "page –")  # shown at the minimum: only while no pages
        for w in (self.zoom_in_button, self.zoom_out_button, self.fit_button):
            w.setEnabled(has_pages)
        self.external.setEnabled(self.document_id is not None and self.hit_page is not None)
        self.fit_button.setChecked(self.zoom is None)
        self.fit_button.setText(f"{self.zoom_percent()} %" if has_pages else "fit")
