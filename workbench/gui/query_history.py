"""The last queries of each index, recalled with Up and Down in the search box (as a shell's history):
Up in an empty box (or while stepping through the history) brings back the previous query, Down the
next one and finally the empty box; any other Down keeps moving into the hit list. Kept in the window's
settings, per index folder, most recent first, at most :data:`MAX_QUERIES`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtWidgets import QLineEdit

MAX_QUERIES = 50


class QueryHistory(QObject):
    """The history of the index at :meth:`set_index`, and the Up/Down keys of ``box`` that walk it."""

    def __init__(self, settings: QSettings, box: QLineEdit) -> None:
        super().__init__(box)
        self.settings = settings
        self.box = box
        self.queries: list[str] = []
        self._key = ""
        self._at = -1  # the history entry shown in the box; -1: not stepping through the history
        box.installEventFilter(self)  # installed after the hit list's Down: asked first
        box.textEdited.connect(self._stop_stepping)

    def set_index(self, index_path: Path) -> None:
        """Show the history of the index at ``index_path`` (its folder names it in the settings)."""
        digest = hashlib.sha256(str(Path(index_path).expanduser()).encode("utf-8", "surrogateescape")).hexdigest()
        self._key = f"history/{digest[:16]}"
        stored = self.settings.value(self._key, [])
        self.queries = [q for q in (stored if isinstance(stored, list) else [stored]) if isinstance(q, str) and q]
        self._at = -1

    def add(self, query: str) -> None:
        """Remember ``query`` as the most recent (once: an older copy moves to the front)."""
        query = query.strip()
        if not query or not self._key:
            return
        self.queries = [query] + [q for q in self.queries if q != query][: MAX_QUERIES - 1]
        self.settings.setValue(self._key, self.queries)
        self._at = -1

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() != QEvent.Type.KeyPress or not self.queries:
            return False
        if event.key() == Qt.Key.Key_Up and (self._at >= 0 or not self.box.text()):
            self._show(min(self._at + 1, len(self.queries) - 1))
            return True
        if event.key() == Qt.Key.Key_Down and self._at >= 0:
            self._show(self._at - 1)
            return True
        return False

    def _show(self, at: int) -> None:
        self._at = at
        self.box.setText(self.queries[at] if at >= 0 else "")

    def _stop_stepping(self) -> None:
        self._at = -1
