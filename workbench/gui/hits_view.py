"""The ranked hit list: rank, score, mean cosine, document, page, and a snippet with matched words bold — per
document (by default: a row per document, "+N more in this document" expands in place) or per passage,
switched by the "Per document | Passages" buttons above it.

Each result is judged against the index's relevance floor (:mod:`.relevance_judge`): when even the best
hit is below it, a line above the list says there is no good match (the figures in its tooltip) and the
closest passages follow; hits below the floor after good ones sit behind a divider row.

Keys: Right or Enter expands a document's row to its other hits, Left (or Enter again) folds it; Up and
Down step over the divider.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QPalette, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..collection import Collection
from ..core import Hit, SearchResult
from ..core.grouping import DocumentGroup
from .hits_model import COS_HELP, SNIPPET_COLUMN, WHERE_COLUMN, HitsModel
from .relevance_judge import RelevanceJudge
from .snippets import hit_snippets, page_text, snippet_html
from .workers import JobRunner

__all__ = ["HitsModel", "HitsView", "hit_snippets", "page_text", "snippet_html"]  # the job and the tests' names

DOCUMENT_COLUMN_EM = 12  # the document column's widest, in font heights: the snippet keeps the room at 1366 px
WHERE_COLUMN_EM = 7  # the where column's widest: a sheet's range or a mail's subject is elided (tooltip: all)


NO_GOOD_MATCH = "No good match in this index — the closest passages are shown below"


class RichTextDelegate(QStyledItemDelegate):
    """Paints the snippet column's HTML (bold matched words); a divider row is one line high."""

    def paint(self, painter, option, index) -> None:
        self.initStyleOption(option, index)
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setHtml(option.text)
        doc.setTextWidth(option.rect.width())
        option.text = ""
        option.widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        painter.save()
        painter.translate(option.rect.topLeft())
        painter.setClipRect(option.rect.translated(-option.rect.topLeft()))
        doc.drawContents(painter)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        lines = 1 if index.model().is_divider(index) else 3
        return QSize(400, lines * option.fontMetrics.height() + 6)


class DividerDelegate(QStyledItemDelegate):
    """Every column but the snippet's: the floor's divider row is painted as a rule with its words on it
    (across the row: its first column is spanned), one line high; other cells as usual."""

    def paint(self, painter, option, index) -> None:
        if not index.model().is_divider(index):
            super().paint(painter, option, index)
            return
        text = index.data()
        rect, metrics = option.rect.adjusted(4, 0, -4, 0), option.fontMetrics
        words = metrics.horizontalAdvance(text) + 12
        y = rect.center().y()
        painter.save()
        painter.setPen(option.palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(rect.left(), y, rect.left() + 8, y)
        painter.drawLine(rect.left() + 8 + words, y, rect.right(), y)
        painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(rect.adjusted(14, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        if index.model().is_divider(index):  # spanned across the row: it widens no column
            return QSize(0, option.fontMetrics.height() + 6)
        return super().sizeHint(option, index)


class HitTree(QTreeView):
    """The rows: a document's row holds its other hits, shown in place under it."""

    def __init__(self, model: HitsModel) -> None:
        super().__init__()
        self.setModel(model)
        self.setItemDelegate(DividerDelegate(self))
        self.setItemDelegateForColumn(SNIPPET_COLUMN, RichTextDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Rows are three lines, the divider one: Qt measures each row (final_k of them, cheaply).
        self.setUniformRowHeights(False)
        self.setWordWrap(True)
        self.setIndentation(self.fontMetrics().height())
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setAllColumnsShowFocus(True)
        header = self.header()
        header.setStretchLastSection(True)
        for col in (0, 1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(WHERE_COLUMN, QHeaderView.ResizeMode.Interactive)
        model.modelReset.connect(self._fit_document_column)
        model.modelReset.connect(self._span_divider)

    def _fit_document_column(self) -> None:
        """The document column as wide as its names, at most :data:`DOCUMENT_COLUMN_EM` font heights (longer
        names are elided in the middle; the tooltip has the full path), and the where column as wide as its
        locations, at most :data:`WHERE_COLUMN_EM`."""
        em = self.fontMetrics().height()
        self.setColumnWidth(3, min(max(self.sizeHintForColumn(3), 80), em * DOCUMENT_COLUMN_EM))
        self.setColumnWidth(WHERE_COLUMN, min(max(self.sizeHintForColumn(WHERE_COLUMN), 3 * em), em * WHERE_COLUMN_EM))

    def _span_divider(self) -> None:
        """The divider's text runs across the whole row."""
        model: HitsModel = self.model()
        for row in range(model.rowCount()):
            self.setFirstColumnSpanned(row, QModelIndex(), row == model.divider_row())

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        index = self.currentIndex()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and index.isValid():
            row = index.siblingAtColumn(0)
            if self.model().rowCount(row):
                self.setExpanded(row, not self.isExpanded(row))
                return
        super().keyPressEvent(event)


class HitsView(QWidget):
    """The hit list with its view switch. ``hits_model`` holds the rows; ``view_changed(per_document)``
    fires when the user (or :meth:`set_per_document`) switches between documents and passages."""

    view_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.hits_model = HitsModel()
        self.tree = HitTree(self.hits_model)
        self.judge = RelevanceJudge()
        self.judge.learnt.connect(self._floor_learnt)
        self._coll: Collection | None = None
        self.no_match = QLabel(NO_GOOD_MATCH)
        self.no_match.setWordWrap(True)
        self.no_match.setStyleSheet(
            "QLabel { font-weight: bold; padding: 3px 2px; border-bottom: 1px solid palette(mid); }"
        )
        self.no_match.hide()
        self.hits_model.modelReset.connect(self._show_judgement)
        self.by_document = QToolButton(text="Per document", checkable=True, checked=True)
        self.by_passage = QToolButton(text="Passages", checkable=True)
        self.by_document.setToolTip("One row per document: its best passage; Right or Enter shows its others")
        self.by_passage.setToolTip("One row per passage, in rank order")
        switch = QButtonGroup(self)
        for button in (self.by_document, self.by_passage):
            button.setAutoRaise(True)
            switch.addButton(button)
        switch.setExclusive(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Show:"))
        row.addWidget(self.by_document)
        row.addWidget(self.by_passage)
        row.addStretch(1)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addLayout(row)
        col.addWidget(self.no_match)
        col.addWidget(self.tree, 1)
        self.by_document.toggled.connect(self.set_per_document)
        self.setFocusProxy(self.tree)

    def show_result(
        self,
        result: SearchResult,
        snippets: tuple[str, ...],
        groups: list[DocumentGroup] | None,
        coll: Collection | None,
        runner: JobRunner | None,
    ) -> None:
        """Show ``result`` (its ``snippets``, its hits per document ``groups``), judged against ``coll``'s
        relevance floor — learnt on ``runner`` first when due, and the list judged again once it is."""
        self._coll = coll
        self.hits_model.set_result(result, snippets, groups, self.judge.judge(coll, result, runner))

    def _floor_learnt(self, coll: Collection) -> None:
        result = self.hits_model.result
        if coll is not self._coll or result is None:
            return
        hit = self.selected_hit()
        self.hits_model.set_relevance(self.judge.judge(coll, result, None))
        if hit is not None:
            self.select(self.hits_model.index_of(hit))

    def _show_judgement(self) -> None:
        """The "no good match" line above the list, after every change of the rows."""
        relevance = self.hits_model.relevance
        self.no_match.setVisible(self.hits_model.no_good_match)
        self.no_match.setToolTip(f"{relevance.why}\n\n{COS_HELP}" if relevance is not None else "")

    @property
    def per_document(self) -> bool:
        """Whether a row is a document (``True``, the default) or a passage."""
        return self.hits_model.per_document

    def set_per_document(self, per_document: bool) -> None:
        """Show a row per document or per passage; the selected hit stays selected (its document's row
        is unfolded where it is one of the other hits)."""
        if per_document == self.per_document:
            return
        hit = self.selected_hit()
        self.hits_model.set_per_document(per_document)
        self.tree.setRootIsDecorated(per_document)
        for button, on in ((self.by_document, per_document), (self.by_passage, not per_document)):
            button.blockSignals(True)
            button.setChecked(on)
            button.blockSignals(False)
        if hit is not None:
            self.select(self.hits_model.index_of(hit))
        self.view_changed.emit(per_document)

    def selectionModel(self) -> QItemSelectionModel:  # noqa: N802 (Qt's name, as on the tree)
        return self.tree.selectionModel()

    def selected_hit(self) -> Hit | None:
        """The hit of the selected row: a document row's best hit, or the passage of a hit row."""
        rows = self.tree.selectionModel().selectedRows()
        return self.hits_model.hit_at(rows[0]) if rows else None

    def selectRow(self, row: int) -> None:  # noqa: N802 (QTableView's name, kept for its callers)
        """Select top-level row ``row`` (a document, or a passage)."""
        self.select(self.hits_model.index(row, 0))

    def select(self, index: QModelIndex) -> None:
        """Select (and show) the row of ``index``, unfolding its document where it is a child row."""
        if not index.isValid():
            return
        if index.parent().isValid():
            self.tree.expand(index.parent())
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.tree.selectionModel().setCurrentIndex(index, flags)
        self.tree.scrollTo(index)
