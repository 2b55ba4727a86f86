"""The main window's layout: its panels in three columns, the menus (:mod:`.menus`), the shortcuts that only move
focus or open a chooser, the status line, and the sizes and settings it keeps between runs.

No job runs here: :class:`~workbench.gui.main_window.MainWindow` adds the controllers that do the work.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from .collection_panel import CollectionPanel
from .compare_view import CompareView
from .eval_view import EvalView
from .filter_bar import FilterBar
from .hit_detail import HitDetail
from .hit_keys import install_hit_keys
from .hits_view import HitsView
from .menus import build_menus
from .query_history import QueryHistory
from .search_bar import SearchBar
from .stage_panel import StagePanel
from .status_line import StatusLine


class WindowLayout(QMainWindow):
    """The panels, menu and status line of the main window, with its settings (``settings``: where the
    split sizes, the plan, OCR and the Qdrant names are kept). Every control starts disabled but the
    collection panel's own; :meth:`set_enabled` turns them on once an index is open."""

    def __init__(self, settings: QSettings) -> None:
        super().__init__()
        self.settings = settings
        self.search_bar = SearchBar()
        self.filter_bar = FilterBar()
        self.collection_panel = CollectionPanel()
        self.hits = HitsView()
        self.detail = HitDetail()
        self.compare = CompareView()
        self.stages = StagePanel()
        self.evaluation = EvalView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.detail, "Selected hit")
        self.tabs.addTab(self.compare, "Compare backends")
        self.tabs.addTab(self.evaluation, "Evaluate")
        self.document = self.detail.document  # a hit opened to be read (Enter): its whole document, at its page
        self.tabs.addTab(self.document, "Document")
        self._lay_out_columns()
        self.status = StatusLine("opening index…")
        self.statusBar().addWidget(self.status, 1)

        self.collection_panel.selection_changed.connect(
            lambda: self.filter_bar.set_selected_count(len(self.collection_panel.selected_documents()))
        )
        QShortcut(QKeySequence("Ctrl+L"), self, self.focus_search)
        self.document.opened.connect(lambda: self.tabs.setCurrentWidget(self.document))
        install_hit_keys(self.search_bar.query, self.hits)
        self.history = QueryHistory(settings, self.search_bar.query)  # after the hit keys: its Up/Down first
        menus = build_menus(self, self.collection_panel.choose_files, self.collection_panel.choose_folder, self.hits)
        self.new_index_action, self.open_index_action = menus.new_index, menus.open_index
        self.export_action = menus.export_results
        self._restore_settings()
        self.set_enabled(False)

    def _lay_out_columns(self) -> None:
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
            split.setChildrenCollapsible(False)  # a panel dragged to nothing is hard to find again
        self.right_split = centre
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.search_bar)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.main_split, 1)
        self.setCentralWidget(central)

    def set_enabled(self, enabled: bool, writable: bool = False) -> None:
        """Searching and filtering on or off; adding, watching and removing documents only where the index
        shown is ``writable`` too."""
        for w in (self.search_bar, self.filter_bar):
            w.setEnabled(enabled)
        for w in (
            self.collection_panel.add_files,
            self.collection_panel.add_folder,
            self.collection_panel.watch,
            self.collection_panel.remove,
        ):
            w.setEnabled(enabled and writable)

    def focus_search(self) -> None:
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
        # Below 1200 pixels the collection gives up width to the hit list (its names elide in the middle).
        shares = (0.26, 0.37, 0.37) if area.width() >= 1200 else (0.2, 0.44, 0.36)
        self.main_split.setSizes([int(area.width() * f) for f in shares])
        self.right_split.setSizes(
            [int(area.height() * f) for f in (0.58, 0.42)]
        )  # five hit rows at 768, below the view switch
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
        self.search_bar.query.setText(str(s.value("last_query", "")))  # where the user left off
        zoom = str(s.value("document_zoom", ""))  # "0" (or nothing, or a hand-edited word): fitted to the width
        self.document.set_zoom(float(zoom) if zoom.replace(".", "", 1).isdigit() and float(zoom) > 0 else None)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("geometry", self.saveGeometry())
        s.setValue("main_split", self.main_split.saveState())
        s.setValue("right_split", self.right_split.saveState())
        s.setValue("ocr", self.collection_panel.ocr.isChecked())
        s.setValue("qdrant/target", self.compare.qdrant_target.text())
        s.setValue("qdrant/collection", self.compare.qdrant_collection.text())
        s.setValue("last_query", self.search_bar.query.text())
        s.setValue("document_zoom", self.document.zoom or 0)
        s.beginGroup("plan")
        for k, v in self.search_bar.settings().items():
            s.setValue(k, v)
        s.endGroup()
        s.sync()
