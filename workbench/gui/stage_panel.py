"""Per-stage cost of one search: latency bars, vector-count bars (log scale) and a summary table."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from workbench.core.results import StageProfile

# The three cost axes of a stage, in the order they multiply out: pairwise = query × document.
COUNT_SERIES = (("query_vectors", "query vectors", "#4c9be8"),
                ("document_vectors", "document vectors", "#f2a93b"),
                ("pairwise_similarities", "pairwise similarities", "#d65db1"))
MS_BRUSH, SETUP_BRUSH = "#5cb85c", "#5cb85c55"
# Log bars need a baseline below 1 so that a count of 1 (stage 1's single query proxy) still shows.
LOG_BASELINE = -0.5
TABLE_HEADERS = ("stage", "candidates in → out", "backend", "ms", "budget rule")


def _label(text: str) -> pg.TextItem:
    item = pg.TextItem(text, color="w", anchor=(0, 0.5))
    font = QtGui.QFont()
    font.setPointSize(9)
    item.setFont(font)
    return item


class StagePanel(QtWidgets.QWidget):
    """Shows the :class:`StageProfile` list of one search result and, when known, stage-1 recall."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._stages: list[StageProfile] = []
        self.plots = pg.GraphicsLayoutWidget()
        self.ms_plot = self.plots.addPlot(title="latency per stage (ms)")
        self.count_plot = self.plots.addPlot(title="vectors per stage (log scale)")
        self.plots.ci.layout.setColumnStretchFactor(1, 2)  # three bars per stage need the room
        for plot in (self.ms_plot, self.count_plot):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            plot.getViewBox().invertY(True)  # stage 1 on top, in execution order
            plot.getAxis("left").setTickFont(_font(9))
            plot.getAxis("bottom").setTickFont(_font(9))
        self.count_plot.setYLink(self.ms_plot)
        self.count_plot.getAxis("left").setStyle(showValues=False)  # stage names are on the left plot
        self.count_plot.getAxis("bottom").setLogMode(True)  # we plot log10(count); the axis prints 10^k
        legend = self.count_plot.addLegend(offset=(-5, 5), labelTextSize="9pt")
        self._count_bars = {}
        for key, name, colour in COUNT_SERIES:
            bars = pg.BarGraphItem(x0=[], y=[], height=[], width=[], brush=colour, pen=None)
            self._count_bars[key] = bars
            self.count_plot.addItem(bars)
            legend.addItem(bars, name)
        self._texts: list[pg.TextItem] = []

        self.table = QtWidgets.QTableWidget(0, len(TABLE_HEADERS))
        self.table.setHorizontalHeaderLabels(TABLE_HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.table.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recall_label = QtWidgets.QLabel()

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.table)
        layout.addWidget(self.recall_label)
        self.clear()

    def clear(self) -> None:
        """Remove every bar, row and note."""
        self.set_stages([])

    def set_stages(self, stages: list[StageProfile], stage1_recall: float | None = None) -> None:
        """Plot ``stages`` (in execution order); ``stage1_recall`` is recall@candidate_k of stage 1
        against exhaustive exact search, or ``None`` when it was not measured."""
        self._stages = list(stages)
        for item in self._texts:
            item.scene().removeItem(item) if item.scene() else None
        self._texts = []
        self._plot_ms()
        self._plot_counts()
        self._fill_table()
        self.recall_label.setText(self._recall_text(stage1_recall))

    def plotted_ms(self) -> list[float]:
        """Milliseconds each latency bar shows (``setup_ms`` excluded), in stage order."""
        return [float(w) for w in self._ms_bars.opts["width"]]

    def plotted_counts(self) -> dict[str, list[int]]:
        """The exact counts behind each vector-count bar, keyed by StageProfile field name."""
        return {key: [int(round(10 ** (x0 + w))) for x0, w in zip(bars.opts["x0"], bars.opts["width"])]
                for key, bars in self._count_bars.items()}

    def _plot_ms(self) -> None:
        plot = self.ms_plot
        plot.clear()  # removes last result's bars and labels together
        y = np.arange(len(self._stages), dtype=float)
        ms = np.array([s.ms for s in self._stages], dtype=float)
        setup = np.array([s.setup_ms for s in self._stages], dtype=float)
        self._ms_bars = pg.BarGraphItem(x0=np.zeros_like(ms), y=y, height=0.6, width=ms, brush=MS_BRUSH, pen=None)
        plot.addItem(self._ms_bars)
        # First-use setup is a cost too, but not the stage's steady-state latency: a paler extension.
        plot.addItem(pg.BarGraphItem(x0=ms, y=y, height=0.6, width=setup, brush=SETUP_BRUSH, pen=None))
        for yi, s in zip(y, self._stages):
            text = f"{s.ms:.2f} ms" + (f" + {s.setup_ms:.1f} setup" if s.setup_ms > 0 else "")
            label = _label(text)
            label.setPos(s.ms + s.setup_ms, yi)
            plot.addItem(label)
        plot.getAxis("left").setTicks([[(float(i), s.name) for i, s in enumerate(self._stages)]])
        top = float((ms + setup).max()) if len(ms) else 1.0
        # Leave room right of the longest bar for its printed value.
        plot.setXRange(0, top * 1.6 or 1.0, padding=0)
        plot.setYRange(-0.5, max(len(self._stages), 1) - 0.5, padding=0.05)

    def _plot_counts(self) -> None:
        n = len(self._stages)
        offsets = (-0.27, 0.0, 0.27)  # grouped: three thin bars around each stage's row
        top = 0.0
        for (key, _, _), dy in zip(COUNT_SERIES, offsets):
            counts = [getattr(s, key) for s in self._stages]
            logs = np.array([math.log10(c) if c > 0 else LOG_BASELINE for c in counts])
            y = np.arange(n, dtype=float) + dy
            self._count_bars[key].setOpts(x0=np.full(n, LOG_BASELINE), y=y, height=0.25,
                                          width=logs - LOG_BASELINE)
            for yi, c, lg in zip(y, counts, logs):
                label = _label(f"{c:,}")
                label.setPos(float(lg), float(yi))
                self.count_plot.addItem(label)
                self._texts.append(label)
            top = max(top, float(logs.max()) if n else 0.0)
        self.count_plot.setXRange(LOG_BASELINE, top + 1.2, padding=0)  # a decade of room for the numbers

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self._stages))
        for row, s in enumerate(self._stages):
            ms = f"{s.ms:.2f}" + (f" (+{s.setup_ms:.1f} setup)" if s.setup_ms > 0 else "")
            cells = (s.name, f"{s.candidates_in:,} → {s.candidates_out:,}", s.backend, ms, s.budget_rule)
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QtWidgets.QTableWidgetItem(text))
        header = self.table.horizontalHeader().sizeHint().height()
        rows = sum(self.table.rowHeight(r) for r in range(len(self._stages)))
        self.table.setFixedHeight(header + rows + 2 * self.table.frameWidth())

    def _recall_text(self, recall: float | None) -> str:
        if not self._stages:
            return ""
        total = sum(s.ms + s.setup_ms for s in self._stages)
        text = f"total {total:.2f} ms"
        if any(s.name.startswith("stage1") for s in self._stages):
            text += (f"  ·  stage-1 recall vs exhaustive: {recall:.2f}" if recall is not None
                     else "  ·  stage-1 recall: not measured")
        return text


def _font(pt: int) -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPointSize(pt)
    return font
