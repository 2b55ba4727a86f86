"""The ranked hit list (model/view): rank, score, document, page, and a snippet with matched words bold."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QHeaderView, QStyle, QStyledItemDelegate, QTableView

from ..core import Hit, SearchResult
from .tokens_in_text import token_spans

# Item roles as plain ints, compared in data(): Qt asks for several roles of every visible cell on each
# paint, and a shortcut enum such as ``Qt.DisplayRole`` costs PySide6 about 5 µs per lookup (≈100× an
# int comparison) — a third of a hit list's paint time went to those comparisons.
DISPLAY, TOOLTIP, ALIGNMENT = (
    int(r) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole)
)
HORIZONTAL = Qt.Orientation.Horizontal
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
MATCH_THRESHOLD = 0.5  # a passage token counts as "matched" when it is some query token's argmax at ≥ this
SNIPPET_CHARS = 220


def snippet_html(text: str, tokens, best_sims: dict[int, float]) -> str:
    """A window of ``text`` around the first matched token, matched words in bold."""
    spans = token_spans(text, tokens)
    strong = sorted(spans[j] for j, s in best_sims.items() if s >= MATCH_THRESHOLD and j < len(spans) and spans[j])
    start = max(0, strong[0][0] - 60) if strong else 0
    end = min(len(text), start + SNIPPET_CHARS)
    out, pos = ["…" if start else ""], start
    for a, b in strong:
        if a < pos or b > end:
            continue
        out += [html.escape(text[pos:a]), f"<b>{html.escape(text[a:b])}</b>"]
        pos = b
    out += [html.escape(text[pos:end]), "…" if end < len(text) else ""]
    return "".join(out)


def page_text(hit: Hit) -> str:
    """ "3", "3 (iii)" where the PDF labels the page otherwise, and "· OCR" for words read by OCR."""
    if hit.page is None:
        return "—"
    info = hit.info
    label = f" ({info.page_label})" if info is not None and info.page_label and info.page_label != str(hit.page) else ""
    return f"{hit.page}{label}" + (" · OCR" if info is not None and info.text_source == "ocr" else "")


def hit_snippet(result: SearchResult, hit: Hit) -> str:
    """The snippet of one hit: its text around the words its query tokens matched best."""
    if hit.info is None:
        return ""
    al = result.alignment(hit)
    best: dict[int, float] = {}
    for j, s in zip(al.best.tolist(), al.row_max.tolist()):
        best[j] = max(best.get(j, -np.inf), s)
    return snippet_html(hit.info.text, hit.info.tokens, best)


def hit_snippets(result: SearchResult | None) -> tuple[str, ...]:
    """Every hit's snippet. Pure Python and NumPy, no Qt: a search worker makes them, so that the UI
    thread only shows them (token matching costs about a millisecond per hit)."""
    return tuple(hit_snippet(result, h) for h in result.hits) if result is not None else ()


class HitsModel(QAbstractTableModel):
    HEADERS = ("#", "score", "document", "page", "passage")

    def __init__(self) -> None:
        super().__init__()
        self.result: SearchResult | None = None
        self._cells: list[tuple[str, ...]] = []

    def set_result(self, result: SearchResult | None, snippets: Sequence[str] | None = None) -> None:
        """Show ``result``'s hits. ``snippets``: theirs, made off the UI thread (:func:`hit_snippets`);
        without them (or if they do not fit the hits) they are made here."""
        self.beginResetModel()
        self.result = result
        hits = result.hits if result is not None else []
        if snippets is None or len(snippets) != len(hits):
            snippets = hit_snippets(result)
        # Qt asks for each cell's text on every paint and size query: built once here, not in data().
        self._cells = [
            (str(h.rank), f"{h.score:.4f}", Path(h.path or "").name, page_text(h), snippet)
            for h, snippet in zip(hits, snippets)
        ]
        self.endResetModel()

    def hit(self, row: int) -> Hit | None:
        return self.result.hits[row] if self.result and 0 <= row < len(self.result.hits) else None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() or not self.result else len(self.result.hits)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return len(self.HEADERS)

    def headerData(self, section, orientation, role=DISPLAY):  # noqa: N802
        if role == DISPLAY and orientation == HORIZONTAL:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role=DISPLAY):
        row, col = index.row(), index.column()
        if not 0 <= row < len(self._cells):
            return None
        if role == DISPLAY:
            return self._cells[row][col]
        if role == ALIGNMENT:
            return RIGHT_ALIGNED if col in (0, 1, 3) else None
        if role == TOOLTIP:
            return self._tooltip(self.result.hits[row], col)
        return None

    @staticmethod
    def _tooltip(hit: Hit, col: int) -> str | None:
        if col == 2:
            return hit.path
        if col == 3 and hit.info is not None:
            return (
                f"page {hit.page} of the file"
                + (f", labelled “{hit.info.page_label}” in the PDF" if hit.info.page_label else "")
                + ("; its words were read by OCR" if hit.info.text_source == "ocr" else "")
            )
        return None


class RichTextDelegate(QStyledItemDelegate):
    """Paints the snippet column's HTML (bold matched words)."""

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
        return QSize(400, 3 * option.fontMetrics.height() + 6)


class HitsView(QTableView):
    def __init__(self) -> None:
        super().__init__()
        self.hits_model = HitsModel()
        self.setModel(self.hits_model)
        self.setItemDelegateForColumn(4, RichTextDelegate(self))
        self.setSelectionBehavior(QTableView.SelectRows)
        self.setSelectionMode(QTableView.SingleSelection)
        self.setWordWrap(True)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(3 * self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        for col, mode in enumerate((QHeaderView.ResizeToContents,) * 4 + (QHeaderView.Stretch,)):
            header.setSectionResizeMode(col, mode)
