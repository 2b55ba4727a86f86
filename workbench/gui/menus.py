"""The window's menu bar, as a desktop user expects it: File (indexes, adding documents, Quit), Edit (copy the
selected hit's passage or its citation), View (hits per document or per passage) and Help (the keyboard
shortcuts, About). Each action carries its standard shortcut; the table of shortcuts shown by Help ▸ Keyboard
shortcuts is the one this module binds, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from .. import __version__
from ..core import Hit
from .citations import passage_with_source, reference
from .hits_view import HitsView

# (keys, what they do) — every shortcut of the window, in the order Help lists them.
SHORTCUTS = (
    ("Ctrl+L", "put the cursor in the search box"),
    ("Enter", "search (in the search box); in the hits: read the hit's document at its page (or double-click)"),
    ("Shift+Enter", "open the selected hit's document in the system's PDF viewer, at its page"),
    ("PageDown / PageUp", "Document tab: scroll the page, then turn to the next / previous page"),
    ("Home / End", "Document tab: the first / last page"),
    ("Ctrl+= / Ctrl+- / Ctrl+0", "Document tab: zoom in / out / fit the page's width (Ctrl+wheel zooms too)"),
    ("Up", "in an empty search box: the previous query of this index (Down steps back)"),
    ("Down", "from the search box into the hits"),
    ("Right / Left", "unfold / fold a document's other passages (in the hits)"),
    ("Ctrl+C", "copy the selected hit's passage with its document and page (in the hits)"),
    ("Ctrl+Shift+C", "copy the selected hit's citation: document, page and full path"),
    ("Esc", "stop the running job: ingest, search, evaluation or sync (what is committed stays)"),
    ("Ctrl+N", "new index…"),
    ("Ctrl+Shift+O", "open an index…"),
    ("Ctrl+O", "add files…"),
    ("Ctrl+E", "export the results shown as CSV or JSON"),
    ("Ctrl+Q", "quit"),
    ("Ctrl+1", "hits: one row per document (Right or Enter unfolds its other passages)"),
    ("Ctrl+2", "hits: one row per passage"),
    ("F1", "this list"),
)


@dataclass(frozen=True)
class Menus:
    """The actions a controller connects to (the rest are wired here)."""

    new_index: QAction
    open_index: QAction
    export_results: QAction  # enabled while results are shown


def build_menus(
    window: QMainWindow, add_files: Callable[[], None], add_folder: Callable[[], None], hits: HitsView
) -> Menus:
    """Fill ``window``'s menu bar; ``add_files`` and ``add_folder`` open the collection panel's choosers,
    ``hits`` is the hit list whose view the View menu switches (and follows, when its own switch is used)."""
    file_menu = window.menuBar().addMenu("&File")
    new_index = _action(file_menu, "&New index…", "Ctrl+N")
    open_index = _action(file_menu, "&Open index…", "Ctrl+Shift+O")
    file_menu.addSeparator()
    _action(file_menu, "&Add files…", "Ctrl+O").triggered.connect(add_files)
    _action(file_menu, "Add &folder…").triggered.connect(add_folder)
    file_menu.addSeparator()
    export_results = _action(file_menu, "&Export results…", "Ctrl+E")
    export_results.setEnabled(False)
    file_menu.addSeparator()
    _action(file_menu, "&Quit", "Ctrl+Q").triggered.connect(window.close)  # closing stops every job first
    _edit_menu(window, hits)
    view_menu = window.menuBar().addMenu("&View")
    views = QActionGroup(window)
    per_document = _action(view_menu, "Hits per &document", "Ctrl+1")
    per_passage = _action(view_menu, "Hits per &passage", "Ctrl+2")
    for action, on in ((per_document, hits.per_document), (per_passage, not hits.per_document)):
        action.setCheckable(True)
        action.setChecked(on)
        views.addAction(action)
    per_document.triggered.connect(lambda: hits.set_per_document(True))
    per_passage.triggered.connect(lambda: hits.set_per_document(False))
    hits.view_changed.connect(lambda on: (per_document if on else per_passage).setChecked(True))
    help_menu = window.menuBar().addMenu("&Help")
    _action(help_menu, "&Keyboard shortcuts", "F1").triggered.connect(lambda: show_shortcuts(window))
    _action(help_menu, "&About Kayak Workbench").triggered.connect(lambda: show_about(window))
    return Menus(new_index, open_index, export_results)


def _edit_menu(window: QMainWindow, hits: HitsView) -> None:
    """Copy passage and Copy citation, enabled while a hit is selected."""
    edit_menu = window.menuBar().addMenu("&Edit")
    # Ctrl+C is the hit list's own shortcut (elsewhere it copies what it always does: the search box's
    # text, a table's cell), so the menu only names it; Ctrl+Shift+C is free and bound here.
    copy_passage = edit_menu.addAction("&Copy passage\tCtrl+C")
    copy_citation = _action(edit_menu, "Copy c&itation", "Ctrl+Shift+C")
    copy_passage.triggered.connect(lambda: _copy(hits.selected_hit(), passage_with_source))
    copy_citation.triggered.connect(lambda: _copy(hits.selected_hit(), reference))

    def enable() -> None:
        for action in (copy_passage, copy_citation):
            action.setEnabled(hits.selected_hit() is not None)

    enable()
    hits.selectionModel().selectionChanged.connect(enable)
    hits.hits_model.modelReset.connect(enable)


def _copy(hit: Hit | None, text: Callable[[Hit], str]) -> None:
    if hit is not None:
        QGuiApplication.clipboard().setText(text(hit))


def _action(menu: QMenu, text: str, keys: str = "") -> QAction:
    action = menu.addAction(text)
    if keys:
        action.setShortcut(QKeySequence(keys))
    return action


def shortcuts_html() -> str:
    """The shortcut table as the Help dialog shows it."""
    rows = "".join(f"<tr><td><b>{keys}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for keys, what in SHORTCUTS)
    return f"<table>{rows}</table>"


def show_shortcuts(parent: QMainWindow) -> None:
    QMessageBox.information(parent, "Keyboard shortcuts", shortcuts_html())


def show_about(parent: QMainWindow) -> None:
    QMessageBox.about(
        parent,
        "About Kayak Workbench",
        f"<b>Kayak Workbench</b> {__version__}<br>Late-interaction (ColBERT-style) search over your own "
        "documents, showing why each hit ranked where it did: what was scored, with how many vectors, on "
        "which backend.",
    )
