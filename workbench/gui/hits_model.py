"""The hit list's model: per document (a row per document, its other hits as child rows) or per passage.

Per document, a top-level row is a :class:`~workbench.core.grouping.DocumentGroup`: its best hit's rank,
score, mean cosine, page and snippet, the document's short name (and its copies'), and "+N more in this
document"; its child rows are its other hits in rank order. Per passage, every hit is a top-level row.
With a :class:`~workbench.core.relevance.Relevance`, the rows whose (best) hit is below the index's floor
come after the others, behind a *divider* row (disabled: the keyboard steps over it, it cannot be
selected) — unless every row is below it, which the view says above the list instead.
Every cell's text is built once per result, not in ``data()``: Qt asks for it on every paint.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt

from ..core import Hit, SearchResult
from ..core.grouping import DocumentGroup, distinct_names, group_hits
from ..core.relevance import Relevance
from .snippets import hit_snippets, page_text

# Item roles as plain ints, compared in data(): Qt asks for several roles of every visible cell on each
# paint, and a shortcut enum such as ``Qt.DisplayRole`` costs PySide6 about 5 µs per lookup (≈100× an
# int comparison) — a third of a hit list's paint time went to those comparisons.
DISPLAY, TOOLTIP, ALIGNMENT = (
    int(r) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole)
)
HORIZONTAL = Qt.Orientation.Horizontal
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
TOP = 0  # internal id of a top-level index; a child's is its parent row + 1
DIVIDER = -1  # a top-level row that shows no hit: the floor's divider
COS_COLUMN = 2
WHERE_COLUMN = 4  # the page, or the location in the format's own terms
SNIPPET_COLUMN = 5  # the delegate's column (bold matched words)
COS_HELP = (
    "Mean cosine: the mean over the query's tokens of each one's best cosine in the passage (the score, a "
    "MaxSim sum, divided by the query tokens scored). Comparable across queries, where the score grows "
    "with the query's length."
)
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
    HEADERS = ("#", "score", "cos", "document", "where", "passage")

    def __init__(self) -> None:
        super().__init__()
        self.result: SearchResult | None = None
        self.relevance: Relevance | None = None
        self.per_document = True
        self.groups: list[DocumentGroup] = []
        self._snippets: tuple[str, ...] = ()
        self._cells: dict[int, tuple[str, ...]] = {}  # by passage id: the hit's row as a passage
        self._group_cells: list[tuple[str, ...]] = []
        # Top-level rows, in order: a group's (per document) or a hit's (per passage) position, or DIVIDER.
        self._document_rows: list[int] = []
        self._passage_rows: list[int] = []

    def set_result(
        self,
        result: SearchResult | None,
        snippets: Sequence[str] | None = None,
        groups: Sequence[DocumentGroup] | None = None,
        relevance: Relevance | None = None,
    ) -> None:
        """Show ``result``'s hits. ``snippets``: theirs, made off the UI thread (:func:`hit_snippets`);
        without them (or if they do not fit the hits) they are made here. ``groups``: the hits per document
        (``Collection.document_groups``, copies collapsed by content); without them, grouped by document id.
        ``relevance``: the result's judgement (mean cosines, the floor's divider); without it the cos column
        is empty and no row is set apart."""
        self.beginResetModel()
        self.result = result
        hits = result.hits if result is not None else []
        if snippets is None or len(snippets) != len(hits):
            snippets = hit_snippets(result)
        self._snippets = tuple(snippets)
        self.groups = list(groups) if groups is not None else group_hits(hits, {})
        names = distinct_names([p for g in self.groups for p in g.paths] + [h.path or "" for h in hits])
        cosines = relevance.cosines if relevance is not None and len(relevance.cosines) == len(hits) else ()
        cos = {h.passage_id: f"{c:.3f}" if c is not None else "—" for h, c in zip(hits, cosines)}
        self._cells = {
            h.passage_id: (
                str(h.rank),
                f"{h.score:.4f}",
                cos.get(h.passage_id, ""),
                names.get(h.path or "", ""),
                page_text(h),
                snippet,
            )
            for h, snippet in zip(hits, snippets)
        }
        self._group_cells = []
        for g in self.groups:
            rank, score, c, _, page, snippet = self._cells.get(g.best.passage_id, ("",) * 6)
            self._group_cells.append((rank, score, c, document_cell(g, names), page, snippet))
        self._set_relevance(relevance if cosines else None)
        self.endResetModel()

    def set_relevance(self, relevance: Relevance | None) -> None:
        """Judge the hits shown anew (the index's floor was learnt after they were shown)."""
        if self.result is not None:
            self.set_result(self.result, self._snippets, self.groups, relevance)

    def _set_relevance(self, relevance: Relevance | None) -> None:
        self.relevance = relevance
        hits = self.result.hits if self.result is not None else []
        weak = set()
        if relevance is not None:
            weak = {h.passage_id for h, w in zip(hits, relevance.weak) if w}
        self._document_rows = _strong_then_weak([g.best.passage_id in weak for g in self.groups])
        self._passage_rows = _strong_then_weak([h.passage_id in weak for h in hits])

    @property
    def no_good_match(self) -> bool:
        """Whether the result shown is judged to hold no good match (every row is below the floor)."""
        return self.relevance is not None and self.relevance.good_match is False

    def divider_row(self) -> int | None:
        """The top-level row of the floor's divider, if one is shown."""
        rows = self._top_rows()
        return rows.index(DIVIDER) if DIVIDER in rows else None

    def _top_rows(self) -> list[int]:
        return self._document_rows if self.per_document else self._passage_rows

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
        """The hit ``index`` shows: a group row's best hit, a child row's own hit, a passage row's hit
        (``None`` for the divider)."""
        if not index.isValid() or self.result is None:
            return None
        parent_id, row = index.internalId(), index.row()
        rows = self._top_rows()
        if parent_id == TOP:
            at = rows[row] if row < len(rows) else DIVIDER
            if at == DIVIDER:
                return None
            return self.groups[at].best if self.per_document else self.result.hits[at]
        group = self.groups[rows[parent_id - 1]]
        return group.hits[row + 1] if row + 1 < len(group.hits) else None

    def index_of(self, hit: Hit) -> QModelIndex:
        """Where ``hit`` is shown now (column 0; invalid if it is not)."""
        if self.result is None:
            return QModelIndex()
        for row, at in enumerate(self._top_rows()):
            if at == DIVIDER:
                continue
            if not self.per_document:
                if self.result.hits[at] is hit:
                    return self.index(row, 0)
                continue
            group = self.groups[at]
            if group.hits[0] is hit:
                return self.index(row, 0)
            for i, h in enumerate(group.hits[1:]):
                if h is hit:
                    return self.index(i, 0, self.index(row, 0))
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
        rows = self._top_rows()
        if not parent.isValid():
            return len(rows)
        if self.per_document and parent.internalId() == TOP and parent.column() == 0:
            at = rows[parent.row()] if parent.row() < len(rows) else DIVIDER
            return self.groups[at].more if at != DIVIDER else 0
        return 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return len(self.HEADERS)

    def headerData(self, section, orientation, role=DISPLAY):  # noqa: N802
        if orientation != HORIZONTAL:
            return None
        if role == DISPLAY:
            return self.HEADERS[section]
        if role == TOOLTIP and section == COS_COLUMN:
            floor = self.relevance.why if self.relevance is not None else ""
            return COS_HELP + (f"\n\n{floor}" if floor else "")
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if self.is_divider(index):
            return Qt.ItemFlag.NoItemFlags  # the keyboard steps over it, a click selects nothing
        return super().flags(index)

    def is_divider(self, index: AnyIndex) -> bool:
        """Whether ``index`` is on the floor's divider row."""
        if not index.isValid() or index.internalId() != TOP:
            return False
        rows = self._top_rows()
        return index.row() < len(rows) and rows[index.row()] == DIVIDER

    def data(self, index: AnyIndex, role: int = DISPLAY):
        if role == ALIGNMENT:
            if self.is_divider(index):
                return None
            if index.column() == WHERE_COLUMN:  # a page number lines up right; a slide or a sheet's range reads left
                hit = self.hit_at(index)
                return RIGHT_ALIGNED if hit is not None and not hit.location else None
            return RIGHT_ALIGNED if index.column() in (0, 1, 2) else None
        if role == DISPLAY:
            if self.is_divider(index):
                return self._divider_text() if index.column() == 0 else None
            cells = self._row_cells(index)
            return cells[index.column()] if cells is not None else None
        if role == TOOLTIP:
            if self.is_divider(index):
                return self.relevance.why if self.relevance is not None else None
            return self._tooltip(index)
        return None

    def _divider_text(self) -> str:
        floor = self.relevance.floor if self.relevance is not None else None
        return "below the relevance floor" + (f" (cos < {floor:.3f})" if floor is not None else "")

    def _row_cells(self, index: AnyIndex) -> tuple[str, ...] | None:
        if self.per_document and index.internalId() == TOP:
            rows = self._document_rows
            at = rows[index.row()] if index.row() < len(rows) else DIVIDER
            return self._group_cells[at] if at != DIVIDER else None
        hit = self.hit_at(index)
        return self._cells.get(hit.passage_id) if hit is not None else None

    def _tooltip(self, index: AnyIndex) -> str | None:
        hit, col = self.hit_at(index), index.column()
        if hit is None:
            return None
        if col == COS_COLUMN:
            return COS_HELP
        if col == 3:
            if self.per_document and index.internalId() == TOP:
                group = self.groups[self._document_rows[index.row()]]
                same = "\n(the same content in every file)" if len(group.paths) > 1 else ""
                more = f"\n{group.more} more passages of it below (Right or Enter shows them)" if group.more else ""
                return "\n".join(group.paths) + same + more
            return hit.path
        if col == WHERE_COLUMN and hit.info is not None:
            if hit.page is None:
                return hit.location or "the file has no pages or sections"
            return (
                f"page {hit.page} of the file"
                + (f", labelled “{hit.info.page_label}” in the PDF" if hit.info.page_label else "")
                + (f"\n{hit.location}" if hit.location else "")
                + ("; its words were read by OCR" if hit.info.text_source == "ocr" else "")
            )
        return None


def _strong_then_weak(weak: Sequence[bool]) -> list[int]:
    """Row order for items flagged ``weak``: the others' positions, :data:`DIVIDER`, the weak ones' —
    without the divider where none or every one is weak."""
    strong = [i for i, w in enumerate(weak) if not w]
    below = [i for i, w in enumerate(weak) if w]
    return strong + [DIVIDER] + below if strong and below else strong + below
