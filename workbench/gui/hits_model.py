"""The hit list's model: per document (a row per document, its other hits as child rows) or per passage.

Per document, a top-level row is a :class:`~workbench.core.grouping.DocumentGroup`: its best hit's rank,
score, page and snippet, the document's short name (and its copies'), and "+N more in this document";
its child rows are its other hits in rank order. Per passage, every hit is a top-level row, as before.
Every cell's text is built once per result, not in ``data()``: Qt asks for it on every paint.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt

from ..core import Hit, SearchResult
from ..core.grouping import DocumentGroup, distinct_names, group_hits
from .snippets import hit_snippets, page_text

# Item roles as plain ints, compared in data(): Qt asks for several roles of every visible cell on each
# paint, and a shortcut enum such as ``Qt.DisplayRole`` costs PySide6 about 5 µs per lookup (≈100× an
# int comparison) — a third of a hit list's paint time went to those comparisons.
DISPLAY, TOOLTIP, ALIGNMENT = (
    int(r) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole)
)
HORIZONTAL = Qt.Orientation.Horizontal
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
TOP = 0  # internal id of a top-level index; a child's is its group's row + 1
AnyIndex = QModelIndex | QPersistentModelIndex


def document_cell(group: DocumentGroup, names: dict[str, str]) -> str:
    """A group's document column, at most three lines: its short name, its copy's (or how many copies
    share its content), and "+N more in this document"."""
    lines = [names.get(p, Path(p).name) for p in group.paths[:1]] or ["—"]
    if len(group.paths) == 2:
        lines.append(names.get(group.paths[1], Path(group.paths[1]).name))
    elif len(group.paths) > 2:
        lines.append(f"+{len(group.paths) - 1} copies, same content")
    if group.more:
        lines.append(f"+{group.more} more in this document")
    return "\n".join(lines)


class HitsModel(QAbstractItemModel):
    HEADERS = ("#", "score", "document", "page", "passage")

    def __init__(self) -> None:
        super().__init__()
        self.result: SearchResult | None = None
        self.per_document = True
        self.groups: list[DocumentGroup] = []
        self._cells: dict[int, tuple[str, ...]] = {}  # by passage id: the hit's row as a passage
        self._group_cells: list[tuple[str, ...]] = []

    def set_result(
        self,
        result: SearchResult | None,
        snippets: Sequence[str] | None = None,
        groups: Sequence[DocumentGroup] | None = None,
    ) -> None:
        """Show ``result``'s hits. ``snippets``: theirs, made off the UI thread (:func:`hit_snippets`);
        without them (or if they do not fit the hits) they are made here. ``groups``: the hits per document
        (``Collection.document_groups``, copies collapsed by content); without them, grouped by document id."""
        self.beginResetModel()
        self.result = result
        hits = result.hits if result is not None else []
        if snippets is None or len(snippets) != len(hits):
            snippets = hit_snippets(result)
        self.groups = list(groups) if groups is not None else group_hits(hits, {})
        names = distinct_names([p for g in self.groups for p in g.paths] + [h.path or "" for h in hits])
        self._cells = {
            h.passage_id: (str(h.rank), f"{h.score:.4f}", names.get(h.path or "", ""), page_text(h), snippet)
            for h, snippet in zip(hits, snippets)
        }
        self._group_cells = []
        for g in self.groups:
            rank, score, _, page, snippet = self._cells.get(g.best.passage_id, ("", "", "", "", ""))
            self._group_cells.append((rank, score, document_cell(g, names), page, snippet))
        self.endResetModel()

    def set_per_document(self, per_document: bool) -> None:
        """Rows per document (``True``) or per passage."""
        if per_document != self.per_document:
            self.beginResetModel()
            self.per_document = per_document
            self.endResetModel()

    # -- hits by row and index ------------------------------------------------------------------------
    def hit(self, row: int) -> Hit | None:
        """The hit of top-level row ``row``: a document's best hit, or the passage."""
        return self.hit_at(self.index(row, 0))

    def hit_at(self, index: AnyIndex) -> Hit | None:
        """The hit ``index`` shows: a group row's best hit, a child row's own hit, a passage row's hit."""
        if not index.isValid() or self.result is None:
            return None
        parent_id, row = index.internalId(), index.row()
        if not self.per_document:
            return self.result.hits[row] if row < len(self.result.hits) else None
        if parent_id == TOP:
            return self.groups[row].best if row < len(self.groups) else None
        group = self.groups[parent_id - 1]
        return group.hits[row + 1] if row + 1 < len(group.hits) else None

    def index_of(self, hit: Hit) -> QModelIndex:
        """Where ``hit`` is shown now (column 0; invalid if it is not)."""
        if self.result is None:
            return QModelIndex()
        if not self.per_document:
            rows = [i for i, h in enumerate(self.result.hits) if h is hit]
            return self.index(rows[0], 0) if rows else QModelIndex()
        for g, group in enumerate(self.groups):
            if group.hits[0] is hit:
                return self.index(g, 0)
            for i, h in enumerate(group.hits[1:]):
                if h is hit:
                    return self.index(i, 0, self.index(g, 0))
        return QModelIndex()

    # -- Qt's model API -------------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column, TOP if not parent.isValid() else parent.row() + 1)

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == TOP:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, TOP)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802 (Qt API)
        if self.result is None:
            return 0
        if not parent.isValid():
            return len(self.groups) if self.per_document else len(self.result.hits)
        if self.per_document and parent.internalId() == TOP and parent.column() == 0:
            return self.groups[parent.row()].more
        return 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return len(self.HEADERS)

    def headerData(self, section, orientation, role=DISPLAY):  # noqa: N802
        if role == DISPLAY and orientation == HORIZONTAL:
            return self.HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = DISPLAY):
        if role == ALIGNMENT:
            return RIGHT_ALIGNED if index.column() in (0, 1, 3) else None
        if role == DISPLAY:
            cells = self._row_cells(index)
            return cells[index.column()] if cells is not None else None
        if role == TOOLTIP:
            return self._tooltip(index)
        return None

    def _row_cells(self, index: AnyIndex) -> tuple[str, ...] | None:
        if self.per_document and index.internalId() == TOP:
            return self._group_cells[index.row()] if index.row() < len(self._group_cells) else None
        hit = self.hit_at(index)
        return self._cells.get(hit.passage_id) if hit is not None else None

    def _tooltip(self, index: AnyIndex) -> str | None:
        hit, col = self.hit_at(index), index.column()
        if hit is None:
            return None
        if col == 2:
            if self.per_document and index.internalId() == TOP:
                group = self.groups[index.row()]
                same = "\n(the same content in every file)" if len(group.paths) > 1 else ""
                more = f"\n{group.more} more passages of it below (Right or Enter shows them)" if group.more else ""
                return "\n".join(group.paths) + same + more
            return hit.path
        if col == 3 and hit.info is not None:
            return (
                f"page {hit.page} of the file"
                + (f", labelled “{hit.info.page_label}” in the PDF" if hit.info.page_label else "")
                + ("; its words were read by OCR" if hit.info.text_source == "ocr" else "")
            )
        return None
