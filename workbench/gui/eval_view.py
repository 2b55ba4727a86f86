"""Retrieval quality where people look: a BEIR query set evaluated on the search bar's plan (A) and,
optionally, a second plan (B) — per-metric means with 95 % bootstrap intervals, the paired difference
A − B with its interval, and a plot of every query's nDCG@10 difference.

The numbers are :func:`workbench.evaluation.iter_compare`'s, the same as ``workbench eval --compare``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core import SearchPlan, exhaustive_search_plan
from ..measure.evaluation import QUALITY, describe_plan, load_qrels, load_queries

# What plan B can be, as a change of plan A; None where it does not apply to A.
BASELINES = {
    "A alone": lambda a: None,
    "exhaustive MaxSim": lambda a: exhaustive_search_plan(a.final_k, a.query_vector_budget, a.document_vector_budget),
    "A, MaxSim only": lambda a: replace(a, fusion="none", fusion_weight=0.0) if a.fusion != "none" else None,
    "A without stage 3": lambda a: replace(a, verify_k=0) if a.verify_k else None,
}
BETTER, WORSE = QColor("#3a9a4a"), QColor("#d0504a")
QRELS_NAMES = ("qrels/test.tsv", "qrels.tsv", "qrels/dev.tsv")


def find_beir_files(chosen: Path) -> tuple[Path, Path]:
    """``(queries.jsonl, qrels TSV)`` of a BEIR set, from its folder or its ``queries.jsonl``; raises
    ``ValueError`` naming what is missing."""
    folder = chosen if chosen.is_dir() else chosen.parent
    queries = chosen if chosen.is_file() else folder / "queries.jsonl"
    if not queries.is_file():
        raise ValueError(f"{folder} has no queries.jsonl (a BEIR set: queries.jsonl and qrels/test.tsv)")
    for name in QRELS_NAMES:
        if (folder / name).is_file():
            return queries, folder / name
    raise ValueError(f"{folder} has no qrels ({', '.join(QRELS_NAMES)})")


def _cell(text: str, colour: QColor | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if colour is not None:
        item.setForeground(QBrush(colour))
    return item


class EvalView(QWidget):
    """Load a BEIR set, pick plan B, run (the window runs the job and calls :meth:`show_runs`)."""

    run_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.queries: dict[str, str | None] = {}
        self.qrels: dict[str, dict[str, float]] = {}
        self.load_button = QPushButton("Load BEIR set…")
        self.source = QLabel("no query set loaded")
        self.source.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.baseline = QComboBox()
        self.baseline.addItems(list(BASELINES))
        self.baseline.setCurrentIndex(1)
        self.baseline.setToolTip(
            "plan B, evaluated on the same queries (A − B is paired over them): nothing, "
            "exhaustive MaxSim, A's candidates ranked by MaxSim alone (no fusion), or A "
            "without stage 3"
        )
        self.run_button = QPushButton("Evaluate")
        self.run_button.setEnabled(False)
        self.run_button.setToolTip("A is the search bar's plan, on its backend and within the filter row")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.summary = QLabel(
            "Load a BEIR query set (queries.jsonl and qrels/test.tsv) whose corpus is this "
            "index, then evaluate the search bar's plan against a baseline."
        )
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        # Each value over its interval (and A − B over the queries won/lost/tied), a few lines a cell: the
        # four columns fit the window's right third at 1366 px.
        self.table.setHorizontalHeaderLabels(("metric", "A", "B", "A − B"))
        self.table.horizontalHeaderItem(3).setToolTip(
            "mean paired difference, its 95 % interval, and the queries on which A beats / loses to / ties with B"
        )
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setTitle("nDCG@10 of A − B per query, sorted", size="9pt")
        self.plot.setLabel("bottom", "queries")
        self.plot.addLine(y=0, pen=pg.mkPen("#888"))
        self._bars: pg.BarGraphItem | None = None

        first = QHBoxLayout()
        first.addWidget(self.load_button)
        first.addWidget(self.source, 1)
        second = QHBoxLayout()
        second.addWidget(QLabel("B:"))
        second.addWidget(self.baseline, 1)
        second.addWidget(self.run_button)
        layout = QVBoxLayout(self)
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.plot, 1)
        self.load_button.clicked.connect(self.choose_set)
        self.run_button.clicked.connect(self.run_requested)

    # -- input -------------------------------------------------------------------------------------
    def choose_set(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A BEIR set (queries.jsonl, qrels/test.tsv)")
        if folder:
            self.load_set(Path(folder))

    def load_set(self, chosen: Path) -> bool:
        """Read the BEIR set at ``chosen`` (folder or queries.jsonl); says what is wrong in plain words."""
        try:
            queries_path, qrels_path = find_beir_files(chosen)
            self.queries, self.qrels = load_queries(queries_path), load_qrels(qrels_path)
        except (OSError, ValueError) as exc:
            self.source.setText(f"cannot use {chosen}: {exc}")
            self.run_button.setEnabled(False)
            return False
        judged = sum(1 for q in self.queries if self.qrels.get(q))
        self.source.setText(f"{queries_path.parent.name}: {len(self.queries)} queries, {judged} judged")
        self.source.setToolTip(f"{queries_path}\n{qrels_path}")
        self.run_button.setEnabled(judged > 0)
        return judged > 0

    def plans(self, plan_a: SearchPlan) -> tuple[SearchPlan, SearchPlan | None]:
        """Plan A as given and plan B as the baseline menu makes it from A (``None``: A alone)."""
        return plan_a, BASELINES[self.baseline.currentText()](plan_a)

    # -- progress and results ----------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and bool(self.queries))
        self.load_button.setEnabled(not running)
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)

    def set_progress(self, label: str, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"plan {label}: %v of %m queries")

    def show_runs(self, a: dict, b: dict | None, diff: dict | None) -> None:
        """Fill the table and plot from :func:`~workbench.evaluation.iter_compare`'s result."""
        self.set_running(False)
        self.table.clearContents()  # a run without B leaves no B column of the run before
        self.table.setRowCount(len(QUALITY) + 1)
        for row, metric in enumerate(QUALITY):
            cells = [_cell(metric), _cell(_with_interval(a[metric], a["ci95"][metric]))]
            if b is not None and diff is not None:
                d = diff[metric]
                colour = BETTER if d["low"] > 0 else WORSE if d["high"] < 0 else None
                cells += [
                    _cell(_with_interval(b[metric], b["ci95"][metric])),
                    _cell(
                        f"{d['mean']:+.3f}\n[{d['low']:+.3f}, {d['high']:+.3f}]\n"
                        f"{d['wins']} / {d['losses']} / {d['ties']}",
                        colour,
                    ),
                ]
            for col, cell in enumerate(cells):
                self.table.setItem(row, col, cell)
        ms = [_cell("ms / query"), _cell(f"{a['mean_ms']:.1f}")] + ([_cell(f"{b['mean_ms']:.1f}")] if b else [])
        for col, cell in enumerate(ms):
            self.table.setItem(len(QUALITY), col, cell)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        # Every row shown, no scrolling: the plot below takes what is left.
        self.table.setFixedHeight(
            self.table.horizontalHeader().height()
            + 2 * self.table.frameWidth()
            + sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        )
        self._plot_differences(a, b)
        skipped = f"; {len(a['skipped'])} skipped (no searchable text)" if a["skipped"] else ""
        verdict = ""
        if diff is not None:
            d = diff["ndcg@10"]
            verdict = (
                " A is better on nDCG@10: the interval of A − B excludes zero."
                if d["low"] > 0
                else " B is better on nDCG@10: the interval of A − B excludes zero."
                if d["high"] < 0
                else " On nDCG@10 the interval of A − B includes zero: no difference shown on these queries."
            )
        self.summary.setText(
            f"A: {describe_plan(a['plan'])}"
            + (f"<br>B: {describe_plan(b['plan'])}" if b else "")
            + f"<br>{a['queries']} queries [{a['backend']}]{skipped}; intervals: 95 % "
            f"percentile bootstrap over queries, paired for A − B.{verdict}"
        )

    def _plot_differences(self, a: dict, b: dict | None) -> None:
        if self._bars is not None:
            self.plot.removeItem(self._bars)
            self._bars = None
        if b is None:
            return
        common = sorted(set(a["per_query"]) & set(b["per_query"]))
        d = np.sort([a["per_query"][q]["ndcg@10"] - b["per_query"][q]["ndcg@10"] for q in common])[::-1]
        brushes = [BETTER if v > 0 else WORSE if v < 0 else QColor("#999") for v in d]
        self._bars = pg.BarGraphItem(x=np.arange(len(d)), height=d, width=0.9, brushes=brushes, pen=None)
        self.plot.addItem(self._bars)

    def plotted_differences(self) -> list[float]:
        """The per-query differences the plot shows, in plot order (tests)."""
        return [] if self._bars is None else [float(h) for h in self._bars.opts["height"]]


def _with_interval(value: float, interval: list[float]) -> str:
    return f"{value:.3f}\n[{interval[0]:.3f}, {interval[1]:.3f}]"
