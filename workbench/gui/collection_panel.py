"""The collection panel: documents with status, pages, passages and errors; add, remove, ingest progress."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..collection import FORMATS, SUFFIXES, DocumentRow

FAILED = QBrush(QColor(200, 30, 30))
NOTED = QBrush(QColor(170, 110, 0))  # indexed, with caveats (pages not read, text the encoder lost)
FITTED_COLUMNS = (0, 2, 3, 4)  # status, pages, passages, text kept: short texts, sized to fit
# Item roles as plain ints for data(), which Qt calls for several roles of every visible cell on each
# paint: a shortcut enum such as ``Qt.DisplayRole`` costs PySide6 about 5 µs per lookup.
DISPLAY, TOOLTIP, ALIGNMENT, FOREGROUND = (
    int(r)
    for r in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
    )
)
CENTERED = int(Qt.AlignmentFlag.AlignCenter)
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def file_dialog_filter() -> str:
    """The Add documents dialog's filter: every type ingest reads, then each format, then all files."""
    patterns = lambda suffixes: " ".join(f"*{s}" for s in suffixes)  # noqa: E731
    every = patterns(SUFFIXES)
    return ";;".join(
        [f"Documents ({every})", *(f"{f.name} ({patterns(f.suffixes)})" for f in FORMATS), "All files (*)"]
    )


class DocumentsModel(QAbstractTableModel):
    # The status is a glyph (its word in the tooltip) and the row's colour: on a 1366-pixel screen the
    # panel is about 290 pixels wide, and the document name needs the room.
    HEADERS = ("", "document", "pages", "passages", "kept")
    GLYPHS = {"indexed": "✓", "failed": "✗"}

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[DocumentRow] = []
        self.cells: list[tuple[str, ...]] = []  # each row's display texts, made once per new list

    def set_documents(self, rows: list[DocumentRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        # Qt asks for a cell's text on every paint and size query; a thousand documents make that
        # tens of thousands of calls, so the texts are built here once, not in data().
        self.cells = [self.display(d) for d in self.rows]
        self.endResetModel()

    @classmethod
    def display(cls, d: DocumentRow) -> tuple[str, ...]:
        """The texts of one row: status glyph, name (with its error), pages, passages, text kept."""
        name = Path(d.path).name + (f" — {d.error}" if d.error else "")  # a failed file says why
        status = "⚠" if d.notes and d.status == "indexed" else cls.GLYPHS.get(d.status, d.status)
        kept = f"{1 - d.unrepresented_share:.0%}" if d.status == "indexed" and d.chars else "—"
        return status, name, str(d.pages or "—"), str(d.passages), kept

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return len(self.HEADERS)

    def headerData(self, section, orientation, role=DISPLAY):  # noqa: N802
        return self.HEADERS[section] if role == DISPLAY and orientation == Qt.Orientation.Horizontal else None

    def data(self, index: QModelIndex, role=DISPLAY):
        col = index.column()
        if role == DISPLAY:
            return self.cells[index.row()][col]
        d = self.rows[index.row()]
        if role == FOREGROUND:
            return FAILED if d.status == "failed" else NOTED if d.notes else None
        if role == ALIGNMENT:
            return CENTERED if col == 0 else RIGHT_ALIGNED if col in FITTED_COLUMNS else None
        if role == TOOLTIP:
            return "\n".join(
                [f"{d.status}: {d.path}"]
                + ([d.error] if d.error else [])
                + [f"• {n}" for n in d.notes]
                + (
                    [
                        "text kept: the share of its characters the encoder can represent (the rest is "
                        "searchable by text only)"
                    ]
                    if col == 4
                    else []
                )
            )
        return None


def _button(text: str) -> QToolButton:
    """A push-style button as wide as its text: the style gives a QPushButton at least 80 pixels, and four
    of those made the panel, and so the window, too wide for a 1000-pixel screen."""
    button = QToolButton()
    button.setText(text)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    return button


class _FailedRowsElideRight(QStyledItemDelegate):
    """A failed row's "name — reason" is cut at its end: middle elision kept the name's start and the
    reason's last words ("bug102022…ut short)"), so neither could be read. Other rows keep the view's
    middle elision (names differ at their ends as often as at their starts)."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 (Qt API)
        super().initStyleOption(option, index)
        if index.column() == 1 and index.model().rows[index.row()].status == "failed":
            option.textElideMode = Qt.TextElideMode.ElideRight


class CollectionPanel(QWidget):
    add_requested = Signal(list)  # paths (str)
    watch_requested = Signal(str, bool)  # a folder, and whether to watch it from now on
    remove_requested = Signal(list)  # paths (str) of selected documents
    cancel_requested = Signal()
    selection_changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self._busy = False  # an ingest is running (set_busy)
        self.title = QLabel("<b>Collection</b>")
        # Short names beside the "Collection" title keep the panel narrow; the tooltips say the rest.
        self.add_files = _button("Add files…")
        self.add_folder = _button("Folder…")
        self.add_files.setToolTip("Add PDFs or text files to the index (Ctrl+O; or drop them here)")
        self.add_folder.setToolTip("Add every supported file under a folder (or drop the folder here)")
        self.remove = _button("Remove")
        self.watch = _button("Watch…")
        self.watch.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.watch.setToolTip(
            "Folders the index follows: files added, changed, renamed or removed there are "
            "indexed as they change, and changes made while the app was closed on the next start"
        )
        self.watch.setMenu(QMenu(self.watch))
        self.set_watched([])
        self.ocr = QCheckBox("OCR pages without text")
        self.ocr.setChecked(True)
        self.ocr.setToolTip(
            "Read image-only pages and pages in fonts without a Unicode mapping with Tesseract "
            "(where installed: apt-get install tesseract-ocr tesseract-ocr-eng). Takes about a "
            "second per page."
        )
        self.model = DocumentsModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.ElideMiddle)  # names differ at their ends as often as at their starts
        self.table.setItemDelegate(_FailedRowsElideRight(self.table))
        header = self.table.horizontalHeader()
        # The short columns are sized to their texts by _fit_columns, not by ResizeToContents: that mode
        # asks the model for every cell of up to 1000 rows (several roles each) on every layout pass of
        # the window — a second or more of UI thread per status-bar change with a thousand documents.
        for col in FITTED_COLUMNS:
            header.setSectionResizeMode(col, QHeaderView.Interactive)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        self._fit_columns()
        self.current = QLabel("Drop PDFs, text files or folders here.")
        self.current.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel = QPushButton("Cancel")
        self.cancel.setVisible(False)

        buttons = QHBoxLayout()
        for b in (self.add_files, self.add_folder, self.watch, self.remove):
            buttons.addWidget(b)
        progress = QHBoxLayout()
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(buttons)
        layout.addWidget(self.ocr)
        layout.addWidget(self.table, 1)
        layout.addLayout(progress)
        layout.addWidget(self.current)

        self.add_files.clicked.connect(self.choose_files)
        self.add_folder.clicked.connect(self.choose_folder)
        self.remove.clicked.connect(self._remove_selected)
        self.cancel.clicked.connect(self.cancel_requested)
        self.table.selectionModel().selectionChanged.connect(self.selection_changed)
        self.model.modelReset.connect(self.selection_changed)  # a reset drops the selection silently

    # -- user actions ------------------------------------------------------------------------------
    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add documents", "", file_dialog_filter())
        if files:
            self.add_requested.emit(files)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder")
        if folder:
            self.add_requested.emit([folder])

    def choose_watched_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Watch a folder")
        if folder:
            self.watch_requested.emit(folder, True)

    def set_watched(self, folders: list[Path]) -> None:
        """The watch menu: one checked entry per watched folder (unchecking stops watching it), then
        "Watch a folder…"; the button says how many are followed."""
        menu = self.watch.menu()
        menu.clear()
        for folder in folders:
            action = menu.addAction(str(folder))
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda on, f=str(folder): self.watch_requested.emit(f, on))
        if folders:
            menu.addSeparator()
        menu.addAction("Watch a folder…", self.choose_watched_folder)
        self.watch.setText(f"Watching {len(folders)}" if folders else "Watch…")
        self.watched = list(folders)

    def selected_documents(self) -> list[DocumentRow]:
        """The documents selected in the table, top to bottom."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.rows[r] for r in rows]

    def _remove_selected(self) -> None:
        docs = self.selected_documents()
        if docs and self._confirm_removal(docs):
            self.remove_requested.emit([d.path for d in docs])

    def _confirm_removal(self, docs: list[DocumentRow]) -> bool:
        """Ask before removing: the documents' passages leave the index (their files stay on disk)."""
        what = f"“{Path(docs[0].path).name}”" if len(docs) == 1 else f"{len(docs)} documents"
        answer = QMessageBox.question(
            self,
            "Remove from the index",
            f"Remove {what} from the index? The files stay on disk; their passages are no longer searched "
            "until you add them again.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.add_requested.emit(paths)

    # -- state from the main window ----------------------------------------------------------------
    def set_documents(self, rows: list[DocumentRow]) -> None:
        self.model.set_documents(rows)
        self._fit_columns()
        self._show_title()

    def _show_title(self) -> None:
        rows = self.model.rows
        ok = sum(d.status == "indexed" for d in rows)
        failed = len(rows) - ok
        if ok == 0 and self._busy:  # not "0 documents" while the first ones are read
            self.title.setText("<b>Collection</b> — indexing the first documents…")
            return
        self.title.setText(f"<b>Collection</b> — {ok} documents" + (f", {failed} failed" if failed else ""))

    def _fit_columns(self) -> None:
        """Width of each short column: its widest distinct text (a few, however many documents) or its
        header, whichever is wider, plus the cell margins."""
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        margin = 2 * (self.table.style().pixelMetric(QStyle.PM_FocusFrameHMargin, None, self.table) + 1) + 4
        for col in FITTED_COLUMNS:
            texts = {cells[col] for cells in self.model.cells}
            widest = max((metrics.horizontalAdvance(t) for t in texts), default=0)
            header.resizeSection(col, max(widest + margin, header.sectionSizeHint(col)))

    def set_busy(self, busy: bool, text: str = "") -> None:
        for w in (self.add_files, self.add_folder, self.watch, self.remove):
            w.setEnabled(not busy)
        self.progress.setVisible(busy)
        self._busy = busy
        self._show_title()
        self.cancel.setVisible(busy)
        self.cancel.setEnabled(busy)
        if text:
            self.current.setText(text)

    def set_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.current.setText(text)
