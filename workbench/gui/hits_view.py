"""The ranked hit list (model/view): rank, score, document, page, and a snippet with matched words bold."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QHeaderView, QStyle, QStyledItemDelegate, QTableView

from ..core import Hit, SearchResult
from .tokens_in_text import token_spans

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
    """"3", "3 (iii)" where the PDF labels the page otherwise, and "· OCR" for words read by OCR."""
    if hit.page is None:
        return "—"
    info = hit.info
    label = f" ({info.page_label})" if info is not None and info.page_label and info.page_label != str(hit.page) else ""
    return f"{hit.page}{label}" + (" · OCR" if info is not None and info.text_source == "ocr" else "")


class HitsModel(QAbstractTableModel):
    HEADERS = ("#", "score", "document", "page", "passage")

    def __init__(self) -> None:
        super().__init__()
        self.result: SearchResult | None = None
        self._snippets: list[str] = []

    def set_result(self, result: SearchResult | None) -> None:
        self.beginResetModel()
        self.result = result
        self._snippets = [self._snippet(result, h) for h in result.hits] if result else []
        self.endResetModel()

    @staticmethod
    def _snippet(result: SearchResult, hit: Hit) -> str:
        if hit.info is None:
            return ""
        al = result.alignment(hit)
        best: dict[int, float] = {}
        for j, s in zip(al.best.tolist(), al.row_max.tolist()):
            best[j] = max(best.get(j, -np.inf), s)
        return snippet_html(hit.info.text, hit.info.tokens, best)

    def hit(self, row: int) -> Hit | None:
        return self.result.hits[row] if self.result and 0 <= row < len(self.result.hits) else None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() or not self.result else len(self.result.hits)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        hit = self.hit(index.row())
        if hit is None:
            return None
        col = index.column()
        if role == Qt.DisplayRole:
            return [str(hit.rank), f"{hit.score:.4f}", Path(hit.path or "").name, page_text(hit),
                    self._snippets[index.row()]][col]
        if role == Qt.ToolTipRole and col == 2:
            return hit.path
        if role == Qt.ToolTipRole and col == 3 and hit.info is not None:
            return (f"page {hit.page} of the file" + (f", labelled “{hit.info.page_label}” in the PDF"
                                                      if hit.info.page_label else "")
                    + ("; its words were read by OCR" if hit.info.text_source == "ocr" else ""))
        if role == Qt.TextAlignmentRole and col in (0, 1, 3):
            return int(Qt.AlignRight | Qt.AlignVCenter)
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
        option.widget.style().drawControl(QStyle.CE_ItemViewItem, option, painter, option.widget)
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
