"""The hit list by keyboard, as in a desktop search tool: Down in the search box moves into the hits, and
Ctrl+C on a hit copies its passage with where it comes from ("document, page N"), ready to paste as a
quotation."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QLineEdit

from ..core import Hit
from .hits_view import HitsView


def citation(hit: Hit) -> str:
    """The passage's text, then "— document, page N" (the page as a PDF viewer prints it, 1-based)."""
    where = Path(hit.path).name if hit.path else "unknown document"
    if hit.page is not None:
        where += f", page {hit.page}"
    return f"{(hit.text or '').strip()}\n— {where}"


class _DownIntoHits(QObject):
    """Down in the search box gives the hit list the focus, on its selected row (or the first)."""

    def __init__(self, box: QLineEdit, hits: HitsView) -> None:
        super().__init__(box)
        self.hits = hits

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Down:
            if self.hits.hits_model.rowCount() == 0:
                return False
            if self.hits.selected_hit() is None:
                self.hits.selectRow(0)
            self.hits.tree.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return False


def install_hit_keys(box: QLineEdit, hits: HitsView) -> None:
    """Bind Down in ``box`` and Ctrl+C in ``hits`` (only while the hit list has the focus: elsewhere Ctrl+C
    copies what it always does)."""
    box.installEventFilter(_DownIntoHits(box, hits))
    copy = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), hits.tree)
    copy.setContext(Qt.ShortcutContext.WidgetShortcut)
    copy.activated.connect(lambda: _copy_selected(hits))


def _copy_selected(hits: HitsView) -> None:
    hit = hits.selected_hit()
    if hit is not None:
        QGuiApplication.clipboard().setText(citation(hit))
