"""The hit list by keyboard, as in a desktop search tool: Down in the search box moves into the hits, Enter
(or a double-click) on a hit opens it, Shift+Enter opens it in the system's PDF viewer, and Ctrl+C on a hit
copies its passage with where it comes from ("document, page N"), ready to paste as a quotation."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QLineEdit

from .citations import passage_with_source
from .hits_view import HitsView


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


class _EnterOpens(QObject):
    """Enter on a hit calls ``open_here``, and the key goes on to the list (which unfolds or folds a document's
    other passages, as before); Shift+Enter calls ``open_outside`` instead."""

    def __init__(self, hits: HitsView, open_here: Callable[[], None], open_outside: Callable[[], None]) -> None:
        super().__init__(hits.tree)
        self.open_here, self.open_outside = open_here, open_outside

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() != QEvent.Type.KeyPress or event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier  # the keypad's Enter counts too
        if modifiers == Qt.KeyboardModifier.ShiftModifier:
            self.open_outside()
            return True
        if modifiers == Qt.KeyboardModifier.NoModifier:
            self.open_here()
        return False


def install_open_keys(hits: HitsView, open_here: Callable[[], None], open_outside: Callable[[], None]) -> None:
    """Open the selected hit with ``open_here`` on Enter or a double-click in ``hits``, with ``open_outside`` on
    Shift+Enter."""
    hits.tree.installEventFilter(_EnterOpens(hits, open_here, open_outside))
    hits.tree.doubleClicked.connect(lambda _index: open_here())


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
        QGuiApplication.clipboard().setText(passage_with_source(hit))
