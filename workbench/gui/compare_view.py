"""Both backends on the same query and plan: rankings side by side, differences highlighted, latencies.

A backend changes the executor, never the math: ranks should agree (except exact ties) and scores
differ by float32 rounding only. Anything else is shown in red.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ..core import SearchResult

SCORE_TOLERANCE = 1e-4
BAD = QBrush(QColor(255, 190, 190))


def _table(headers) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QTableWidget.NoEditTriggers)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    # one line per hit, long names elided: both rankings must fit side by side in a third of the screen
    t.setWordWrap(False)
    t.setTextElideMode(Qt.ElideMiddle)
    t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 8)
    return t


class CompareView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.summary = QLabel("Run a search to compare the NumPy reference and Mojo backends.")
        self.summary.setWordWrap(True)
        self.left = _table(("#", "passage", "score", "document · page"))
        self.left.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        self.right = _table(("#", "passage", "score", "Δ rank", "Δ score"))
        self.latency = _table(("stage", "numpy ms", "mojo ms", "numpy / mojo"))
        self.titles = (QLabel("<b>NumPy reference</b>"), QLabel("<b>Mojo exact CPU</b>"))
        sides = QHBoxLayout()
        for title, table in zip(self.titles, (self.left, self.right)):
            col = QVBoxLayout()
            col.addWidget(title)
            col.addWidget(table)
            sides.addLayout(col)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(sides, 3)
        layout.addWidget(self.latency, 1)
        self.mismatches = 0

    def show_unavailable(self, reason: str) -> None:
        self.summary.setText(f"<b>Mojo backend not available:</b> {reason}")
        for t in (self.left, self.right, self.latency):
            t.setRowCount(0)

    def set_results(self, ref: SearchResult, other: SearchResult) -> None:
        """``ref`` from the NumPy reference, ``other`` from Mojo, same query and plan."""
        self.titles[0].setText(f"<b>{ref.backend}</b>")
        self.titles[1].setText(f"<b>{other.backend}</b>")
        ref_rank = {h.passage_id: h for h in ref.hits}
        self.left.setRowCount(len(ref.hits))
        for r, h in enumerate(ref.hits):
            where = f"{Path(h.path or '').name} · p.{h.page}" if h.page else Path(h.path or "").name
            for c, v in enumerate((h.rank, h.passage_id, f"{h.score:.6f}", where)):
                self.left.setItem(r, c, QTableWidgetItem(str(v)))
            self.left.item(r, 3).setToolTip(h.path or "")
        self.right.setRowCount(len(other.hits))
        self.mismatches, max_diff = 0, 0.0
        for r, h in enumerate(other.hits):
            twin = ref_rank.get(h.passage_id)
            d_rank = "absent" if twin is None else f"{h.rank - twin.rank:+d}"
            d_score = "—" if twin is None else f"{h.score - twin.score:+.2e}"
            bad = twin is None or twin.rank != h.rank or abs(h.score - twin.score) > SCORE_TOLERANCE
            if twin is not None:
                max_diff = max(max_diff, abs(h.score - twin.score))
            self.mismatches += bad
            for c, v in enumerate((h.rank, h.passage_id, f"{h.score:.6f}", d_rank, d_score)):
                item = QTableWidgetItem(str(v))
                if bad:
                    item.setBackground(BAD)
                self.right.setItem(r, c, item)
        self.latency.setRowCount(len(ref.stages) + 1)
        rows = [(a.name, a.ms, b.ms) for a, b in zip(ref.stages, other.stages)]
        rows.append(("total", sum(r[1] for r in rows), sum(r[2] for r in rows)))
        for r, (name, ma, mb) in enumerate(rows):
            ratio = f"{ma / mb:.2f}×" if mb > 0 else "—"
            for c, v in enumerate((name, f"{ma:.3f}", f"{mb:.3f}", ratio)):
                self.latency.setItem(r, c, QTableWidgetItem(v))
        verdict = ("rankings identical" if self.mismatches == 0
                   else f"{self.mismatches} rank or score difference(s) beyond {SCORE_TOLERANCE:g}")
        self.summary.setText(f"Same query, same plan, two executors: {verdict}; max |Δscore| = {max_diff:.2e}. "
                             f"Stage 1 runs in NumPy for both; the exact stage is the backend's.")
