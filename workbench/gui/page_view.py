"""A rendered PDF page with a passage's boxes highlighted (the hit's page preview; the Document tab builds on
it), and opening a file in the system's PDF viewer at a page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

# Viewers that can open a file at a page, and how (xdg-open alone cannot).
# Each takes the physical page, 1-based: evince, atril and xreader read --page-label as a *label*
# ("iii", or a "1" that several pages may carry), so they get --page-index.
PAGE_VIEWERS = (
    ("evince", ["--page-index={page}"]),
    ("okular", ["-p", "{page}"]),
    ("zathura", ["-P", "{page}"]),
    ("qpdfview", ["{path}#{page}"]),
    ("xreader", ["--page-index={page}"]),
    ("atril", ["--page-index={page}"]),
)


def open_at_page(path: Path, page: int | None, location: str = "") -> str:
    """Open ``path`` in the system viewer, at ``page`` where a known viewer allows; says what it did (with
    ``location``, where the passage is in a file no viewer can be told to jump into), or plainly that
    nothing could open it and what to install (never a success that did not happen)."""
    failed = ""  # a page viewer found on PATH that would not start
    if page is not None:
        for exe, args in PAGE_VIEWERS:
            if shutil.which(exe):
                argv = [exe] + [a.format(page=page, path=path) for a in args]
                if "{path}" not in " ".join(args):
                    argv.append(str(path))
                try:
                    subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                except OSError as exc:  # found on PATH but not runnable: try the next viewer
                    failed = f"; {exe} could not start ({exc.strerror or exc})"
                    continue
                return f"opened {path.name} at page {page} in {exe}"
    # Qt answers False (and only logs "Unable to detect a launcher") when no desktop launcher exists.
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        where = f" (it may not jump to page {page})" if page is not None else ""
        if location:
            where += f" — the passage is at {location}"
        return f"opened {path.name} in the default viewer{where}"
    if path.suffix.lower() == ".pdf":
        return (
            f"could not open {path.name}: this system has no program to open it with{failed} — install a PDF "
            "viewer (e.g. evince or okular) and xdg-utils, or read the page shown here"
        )
    return (
        f"could not open {path.name}: this system has no program to open it with{failed} — install one for "
        f"{path.suffix or 'such'} files and xdg-utils" + (f" (the passage is at {location})" if location else "")
    )


def pixel_rect(box, to_pixels: tuple[float, ...]) -> QRectF:
    """The pixel rectangle covering PDF-point ``box`` under the affine ``to_pixels`` (corners mapped,
    then bounded: a quarter turn swaps width and height)."""
    a, b, c, d, e, f = to_pixels
    x0, y0, x1, y1 = box
    xs = [a * x + c * y + e for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    ys = [b * x + d * y + f for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    return QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


class PageView(QGraphicsView):
    """Shows one rendered page; ``boxes`` (PDF points) are drawn as translucent highlights, ``faint_boxes`` (other
    passages worth seeing on the page) lighter. The page's width fills the view; :meth:`place` is where a
    subclass shows it otherwise. ``double_clicked`` fires on a double-click on it."""

    double_clicked = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform)  # a scaled page stays readable
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.box_items = []
        self.faint_items = []
        self._page_width = 0
        self.message = self.scene().addText("")

    def show_message(self, text: str) -> None:
        """Instead of a page, ``text`` (wrapped to the view's width): why there is no page to show."""
        self._page_width = 0
        self.resetTransform()
        self.scene().clear()
        self.box_items, self.faint_items = [], []
        self.message = self.scene().addText(text)
        self._wrap_message()

    def _wrap_message(self) -> None:
        """A message shown instead of a page wraps at the view's width (it is laid out again on a resize)."""
        if not self._page_width:
            self.message.setTextWidth(max(self.viewport().width() - 12, 160))
            self.scene().setSceneRect(self.message.boundingRect())

    def show_page(self, rgb: np.ndarray, to_pixels: tuple[float, ...], boxes, faint_boxes=()) -> None:
        """``rgb`` ``[h, w, 3]`` uint8; ``to_pixels`` the affine ``(a, b, c, d, e, f)`` from unrotated PDF points
        to pixels (a rotated page turns its boxes with it); ``boxes`` and ``faint_boxes`` ``(x0, y0, x1, y1)`` in
        PDF points."""
        h, w, _ = rgb.shape
        image = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()  # copy: rgb may go away
        self.scene().clear()
        self.scene().addPixmap(QPixmap.fromImage(image))
        faint_pen, faint_brush = QPen(QColor(90, 140, 230, 70), 1), QBrush(QColor(90, 150, 255, 30))
        self.faint_items = [self._mark(box, to_pixels, faint_pen, faint_brush) for box in faint_boxes]
        pen, brush = QPen(QColor(230, 120, 0), 1.5), QBrush(QColor(255, 200, 0, 90))
        self.box_items = [self._mark(box, to_pixels, pen, brush) for box in boxes]
        self.scene().setSceneRect(0, 0, w, h)
        self._page_width = w
        self.place()

    def _mark(self, box, to_pixels: tuple[float, ...], pen: QPen, brush: QBrush):
        return self.scene().addRect(pixel_rect(box, to_pixels).adjusted(-2, -1, 2, 1), pen, brush)

    def place(self) -> None:
        """Scale and scroll a page just shown: its width fitted, the passage in view."""
        self._fit_width()
        if self.box_items:
            self.centerOn(self.box_items[0])

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().mouseDoubleClickEvent(event)
        self.double_clicked.emit()

    def _fit_width(self) -> None:
        """Page width fills the view (text stays readable); scroll for the rest of the page."""
        if self._page_width:
            self.resetTransform()
            s = (self.viewport().width() - 4) / self._page_width
            self.scale(s, s)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._fit_width()
        self._wrap_message()
