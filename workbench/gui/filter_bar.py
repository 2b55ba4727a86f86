"""The filter row under the search bar: which documents a search may return (a ``PassageFilter``)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLabel, QMenu, QPushButton, QWidget

from ..collection import FORMATS, DocumentRow
from ..core import PassageFilter, SearchResult
from .elided_label import ElidedLabel

ANY_FOLDER = "any folder"
SHORT_FOLDER = 40  # longer folder names show their last two parts in the combo (the tooltip has all)


def _date_edit(date: QDate, tip: str) -> QDateEdit:
    edit = QDateEdit(date)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setToolTip(tip)
    edit.setEnabled(False)
    return edit


def _local_midnight(date: QDate) -> float:
    return float(QDateTime(date, QTime(0, 0)).toSecsSinceEpoch())


def _shown(folder: str) -> str:
    """A folder name for the combo: "~" for home, and only its end when it is long."""
    text = os.fsencode(folder).decode("utf-8", errors="replace")
    home = os.path.expanduser("~")
    if home != "/" and (text == home or text.startswith(home + "/")):
        text = "~" + text[len(home) :]
    return text if len(text) <= SHORT_FOLDER else "…/" + "/".join(text.rsplit("/", 2)[-2:])


def document_folders(rows: Sequence[DocumentRow]) -> list[str]:
    """Folders worth filtering on: each indexed document's folder and its ancestors down to the
    folder all documents share. Names are ``os.fsdecode``'d bytes, so they round-trip exactly."""
    parents = {os.path.dirname(os.fsdecode(d.path_bytes)) for d in rows if d.status == "indexed"}
    if not parents:
        return []
    common = os.path.commonpath(parents)
    folders = set()
    for folder in parents:
        while folder != common and folder not in folders:
            folders.add(folder)
            folder = os.path.dirname(folder)
    return sorted(folders | {common})


class FilterBar(QWidget):
    """Folder, file types, a modification-date range and "only the selected documents"; every
    control that is set must hold. ``where()`` builds the filter; ``show_result`` says what it admitted."""

    changed = Signal()  # the user changed a condition (or cleared them): the results shown are out of date

    def __init__(self) -> None:
        super().__init__()
        self.folder = QComboBox()
        self.folder.setToolTip("only documents under this folder")
        # a long path must not widen the window: the combo keeps its width, its list grows to fit
        self.folder.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.folder.setMinimumContentsLength(10)  # with the rest of the row: within 1000 pixels
        self.folder.addItem(ANY_FOLDER, None)
        # File types as a drop-down of checkable entries: five check boxes in the row cost 400 pixels.
        self.type_button = QPushButton()
        self.type_button.setToolTip("only files of the ticked types (none ticked: every type)")
        menu = QMenu(self.type_button)
        self.types = {}  # format name → its checkable entry; the formats' suffixes are what a filter matches
        self._suffixes = {f.name: tuple(s.lstrip(".") for s in f.suffixes) for f in FORMATS}
        for name, suffixes in self._suffixes.items():
            action = menu.addAction(f"{name} ({', '.join(suffixes)})")
            action.setCheckable(True)
            action.toggled.connect(self._show_types)
            self.types[name] = action
        self.type_button.setMenu(menu)
        self._show_types()
        today = QDate.currentDate()
        self.use_from = QCheckBox("modified")
        self.date_from = _date_edit(today.addYears(-1), "files modified on or after this day")
        self.use_to = QCheckBox("to")
        self.date_to = _date_edit(today, "files modified on or before this day")
        self.only_selected = QCheckBox("only selected documents")
        self.only_selected.setToolTip("only the documents selected in the collection panel")
        self.clear = QPushButton("Clear")
        self.clear.setToolTip("search every passage again")
        self.summary = ElidedLabel()

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("<b>Filter</b>"))
        row.addWidget(self.folder)
        row.addSpacing(12)
        row.addWidget(self.type_button)
        row.addSpacing(12)
        for w in (self.use_from, self.date_from, self.use_to, self.date_to):
            row.addWidget(w)
        row.addSpacing(12)
        row.addWidget(self.only_selected)
        row.addWidget(self.clear)
        row.addSpacing(12)
        row.addWidget(self.summary, 1)
        self.use_from.toggled.connect(self.date_from.setEnabled)
        self.use_to.toggled.connect(self.date_to.setEnabled)
        self.clear.clicked.connect(self.reset)
        self.set_selected_count(0)
        # What the user changes (`activated`, `clicked`, `triggered`), not the folder list being refilled.
        self.folder.activated.connect(self.changed)
        for action in self.types.values():
            action.triggered.connect(self.changed)
        for box in (self.use_from, self.use_to, self.only_selected):
            box.clicked.connect(self.changed)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _date: self.changed.emit())

    def _show_types(self) -> None:
        ticked = [ext for ext, action in self.types.items() if action.isChecked()]
        self.type_button.setText(f"type: {', '.join(ticked) if ticked else 'any'}")

    def set_documents(self, rows: Sequence[DocumentRow]) -> None:
        """Offer the folders of the indexed documents, keeping the chosen one while it still exists."""
        chosen = self.folder.currentData()
        self.folder.clear()
        self.folder.addItem(ANY_FOLDER, None)
        for folder in document_folders(rows):
            self.folder.addItem(_shown(folder), folder)
            self.folder.setItemData(
                self.folder.count() - 1, os.fsencode(folder).decode("utf-8", "replace"), Qt.ToolTipRole
            )
        self.folder.view().setMinimumWidth(self.folder.view().sizeHintForColumn(0) + 24)
        self.folder.setCurrentIndex(max(self.folder.findData(chosen), 0))

    def set_selected_count(self, n: int) -> None:
        self.only_selected.setText(
            f"only the {n} selected document{'s' if n != 1 else ''}" if n else "only selected documents"
        )

    def where(self, selected_document_ids: Sequence[int]) -> PassageFilter | None:
        """The filter the controls describe, ``None`` when they admit everything (``ValueError`` with a
        plain message when they cannot be met, e.g. "only selected" with no document selected)."""
        if self.only_selected.isChecked() and not selected_document_ids:
            raise ValueError("select documents in the collection panel, or untick “only selected documents”")
        where = PassageFilter(
            folders=(self.folder.currentData(),) if self.folder.currentData() else (),
            file_types=tuple(
                ext for name, box in self.types.items() if box.isChecked() for ext in self._suffixes[name]
            ),
            modified_from=_local_midnight(self.date_from.date()) if self.use_from.isChecked() else None,
            # the "to" day is included: the range ends at the next local midnight
            modified_to=_local_midnight(self.date_to.date().addDays(1)) if self.use_to.isChecked() else None,
            document_ids=tuple(selected_document_ids) if self.only_selected.isChecked() else (),
        )
        return None if where.is_empty else where

    def reset(self) -> None:
        """Every passage again: the controls cleared, and no line left describing the old filter."""
        self.folder.setCurrentIndex(0)
        for box in (*self.types.values(), self.use_from, self.use_to, self.only_selected):
            box.setChecked(False)
        self.summary.setText("")
        self.summary.setToolTip("")
        self.changed.emit()

    def show_result(self, result: SearchResult) -> None:
        """What the last search searched: its filter and how many passages that admitted."""
        total = result.index.n_passages
        if result.where is None:
            self.summary.setText(f"searched all {total} passages (no filter)")
        else:
            self.summary.setText(f"searched {result.eligible} of {total} passages: {result.where.describe()}")
        self.summary.setToolTip(self.summary.text())
