"""The selected hit: the passage with each token tinted by its best similarity to the query, the
query × passage heatmap, and the PDF page with the passage's boxes; from there its whole document opens in
the Document tab, or in the system's PDF viewer."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QTextBrowser, QVBoxLayout, QWidget

from ..core import Alignment, Hit
from .document_view import DocumentView
from .elided_label import ElidedLabel
from .heatmap import HeatmapView
from .page_view import PageView
from .tokens_in_text import tinted_html, token_spans


def passage_html(hit: Hit, al: Alignment, verify_k: int = 0) -> str:
    """Passage text, tokens tinted by max similarity to any query token; argmax tokens in bold."""
    text, tokens = hit.info.text, list(al.passage_tokens)
    where = (
        html.escape(Path(hit.path or "").name)
        + (f" · page {hit.page}" if hit.page else "")
        + (f" · {html.escape(hit.location)}" if hit.location else "")
    )
    if al.similarities.size == 0:  # a hybrid search whose query has no vectors: ranked by its text alone
        return (
            f"<p style='color:#555'>#{hit.rank} · {where} · passage {hit.passage_id} · lexical score "
            f"{hit.score:.4f}</p><p style='line-height:140%'>{html.escape(text)}</p>"
            "<p style='color:#777; font-size:small'>Ranked by its text (the lexical stage): the encoder "
            "represents none of the query's characters, so there is no token alignment to show.</p>"
        )
    col_max = al.similarities.max(axis=0)
    lo, hi = float(col_max.min()), float(col_max.max())
    weights = (col_max - lo) / (hi - lo) if hi > lo else np.ones_like(col_max)
    is_best = np.zeros(len(tokens), bool)
    is_best[al.best] = True
    body = tinted_html(text, token_spans(text, tokens), weights.tolist(), is_best.tolist())
    return (
        f"<p style='color:#555'>#{hit.rank} · {where} · passage {hit.passage_id} · "
        f"{score_html(hit, verify_k)}</p><p style='line-height:140%'>{body}</p>"
        f"<p style='color:#777; font-size:small'>Tint: each token's best similarity to any query token "
        f"(min→max of this passage); <b>bold</b>: the token some query token matched (its row argmax).</p>"
    )


def score_html(hit: Hit, verify_k: int = 0) -> str:
    """The hit's score: under stage 3 the cross-encoder's and where stage 2 ranked it; under a fused hybrid
    plan the two parts stage 2 combined, each with its rank."""
    v = hit.verified
    stage2 = hit.score if v is None else v.stage2_score
    stage2 = f"fused score {stage2:.4f} = {hit.parts.describe()}" if hit.parts is not None else f"score {stage2:.4f}"
    if v is not None:
        return f"cross-encoder {v.score:.4f} · stage 2 #{v.stage2_rank}: {stage2}"
    if verify_k:
        return f"{stage2} · not verified (stage 2 rank below verify_k = {verify_k})"
    return stage2


class HitDetail(QSplitter):
    """``read_requested``: the page preview's "Open document" (or a double-click on the page) asks for the hit's
    document in :attr:`document`, the Document tab (the window places it); ``open_requested``: its "Open in
    system viewer"."""

    open_requested = Signal()
    read_requested = Signal()

    def __init__(self) -> None:
        # Stacked: the passage, its heatmap, then its page; the window gives this column the full height.
        super().__init__(Qt.Vertical)
        self.passage = QTextBrowser()
        self.passage.setOpenLinks(False)
        self.heatmap = HeatmapView()
        self.page = PageView()
        self.page.setToolTip("Double-click to read the whole document in the Document tab")
        self.document = DocumentView()  # the hit's whole document: a tab of its own, placed by the window
        self.page_label = ElidedLabel("")
        self.read_button = QPushButton("Open document")
        self.read_button.setToolTip("Read the whole document in the Document tab, at this page (Enter in the hits)")
        self.open_button = QPushButton("Open in system viewer")
        self.open_button.setToolTip("Open the file in the system's PDF viewer at this page (Shift+Enter in the hits)")
        for button in (self.read_button, self.open_button):
            button.setEnabled(False)
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.page_label, 1)
        row.addWidget(self.read_button)
        row.addWidget(self.open_button)
        col.addLayout(row)
        col.addWidget(self.page, 1)
        for i, (w, stretch) in enumerate(((self.passage, 2), (self.heatmap, 5), (page, 4))):
            self.addWidget(w)
            self.setStretchFactor(i, stretch)
        self.setChildrenCollapsible(False)
        self.open_button.clicked.connect(self.open_requested)
        self.read_button.clicked.connect(self.read_requested)
        self.page.double_clicked.connect(lambda: self.read_button.isEnabled() and self.read_requested.emit())
        self.alignment: Alignment | None = None

    def show_hit(self, hit: Hit | None, al: Alignment | None, verify_k: int = 0) -> None:
        """Show ``hit`` with its alignment ``al`` (``None``: clear); ``verify_k`` is its plan's stage 3 depth."""
        self.alignment = al
        self.heatmap.set_alignment(al if al is not None and al.similarities.size else None)
        if hit is None or al is None or hit.info is None:
            self.passage.clear()
            self.page.show_message("")
            self.page_label.setText("")
            for button in (self.read_button, self.open_button):
                button.setEnabled(False)
            return
        self.passage.setHtml(passage_html(hit, al, verify_k))
        self.read_button.setEnabled(hit.page is not None)
        self.open_button.setEnabled(True)  # every file opens in its own program; a paged one at its page
        self.page_label.setToolTip(hit.path or "")
        name = Path(hit.path or "").name
        where = " · ".join(w for w in (f"page {hit.page}" if hit.page else "", hit.location) if w)
        self.page_label.setText(f"{name} — {where}" if where else name)
        self.page.show_message(
            "rendering page…"
            if hit.page
            else "This file has no pages to show here: “Open in system viewer” opens it in its own program"
            + (f", where the passage is at {hit.location}." if hit.location else ".")
        )
