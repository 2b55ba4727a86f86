"""Per-stage cost of one search: latency bars, vector-count bars (log scale) and a summary table."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from workbench.core.results import StageProfile

# The three cost axes of a stage, in the order they multiply out: pairwise = query × document.
COUNT_SERIES = (
    ("query_vectors", "query", "#4c9be8"),
    ("document_vectors", "document", "#f2a93b"),
    ("pairwise_similarities", "pairwise", "#d65db1"),
)
GROUP_OFFSETS = (-0.28, 0.0, 0.28)  # three thin bars around each stage's row
MS_BRUSH, SETUP_BRUSH = "#5cb85c", "#5cb85c55"
# Log bars need a baseline below 1 so that a count of 1 (stage 1's single query proxy) still shows.
LOG_BASELINE = -0.5
TITLE_SIZE = "9pt"
PLOT_CHROME_PX = 70
MIN_BAR_PX = 60  # the shortest room a chart keeps for its bars beside the printed values  # a plot's title and bottom axis, around its stage rows
# The budget rule (a sentence) comes last and takes the width left, elided; a selected row shows it whole.
TABLE_HEADERS = ("stage", "in → out", "backend", "ms", "probed · look-ups", "budget rule")
PROBED_COLUMN, RULE_COLUMN = 4, 5


def _count_text(s: StageProfile) -> str:
    """ "12 × 6,400 = 76,800": query vectors × document vectors = similarities computed; a cross-encoder
    stage counts (query, passage) pairs and the tokens it read instead."""
    q, d, p = s.query_vectors, s.document_vectors, s.pairwise_similarities
    if s.pairs:
        return f"{s.pairs:,} pairs · {s.tokens:,} tokens"  # as short as the vector labels: the panel's width
    if p == 0:
        return "no vectors scored"
    return f"{q:,} × {d:,} = {p:,}" if q * d == p else f"{q:,} q · {d:,} d · {p:,} pairs"


def _count_title() -> str:
    names = [f"<span style='color:{colour}'>{name}</span>" for _, name, colour in COUNT_SERIES]
    return f"{names[0]} × {names[1]} = {names[2]} (log)"


def _font() -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPointSize(9)
    return font


class StagePanel(QtWidgets.QWidget):
    """Shows the :class:`StageProfile` list of one search result and, when known, stage-1 recall."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._stages: list[StageProfile] = []
        self._metrics = QtGui.QFontMetricsF(_font())
        self.plots = pg.GraphicsLayoutWidget()
        self.ms_plot = self.plots.addPlot()
        self.count_plot = self.plots.addPlot()
        self.ms_plot.setTitle("latency (ms)", size=TITLE_SIZE)
        self.count_plot.setTitle(_count_title(), size=TITLE_SIZE)
        self.plots.ci.layout.setColumnStretchFactor(0, 2)
        self.plots.ci.layout.setColumnStretchFactor(1, 3)  # three bars per stage need the room
        for plot in (self.ms_plot, self.count_plot):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            plot.getViewBox().invertY(True)  # stage 1 on top, in execution order
            for side in ("left", "bottom"):
                plot.getAxis(side).setTickFont(_font())
            plot.getViewBox().sigResized.connect(self._fit_x_ranges)
        self.count_plot.setYLink(self.ms_plot)  # the count groups sit level with the stage names
        self.count_plot.getAxis("left").setStyle(showValues=False)
        self.count_plot.getAxis("left").setWidth(6)
        self.count_plot.getAxis("bottom").setLogMode(True)  # we plot log10(count); the axis prints 10^k

        self._ms_bars = pg.BarGraphItem(x0=[], y=[], height=[], width=[], brush=MS_BRUSH, pen=None)
        # First-use setup is a cost too, but not the stage's steady-state latency: a paler extension.
        self._setup_bars = pg.BarGraphItem(x0=[], y=[], height=[], width=[], brush=SETUP_BRUSH, pen=None)
        self.ms_plot.addItem(self._ms_bars)
        self.ms_plot.addItem(self._setup_bars)
        self._count_bars: dict[str, pg.BarGraphItem] = {}
        for key, _, colour in COUNT_SERIES:
            self._count_bars[key] = pg.BarGraphItem(x0=[], y=[], height=[], width=[], brush=colour, pen=None)
            self.count_plot.addItem(self._count_bars[key])
        # Printed values: (plot, item, x where its bar ends, its width in pixels), to fit the x range.
        self._texts: list[tuple[pg.PlotItem, pg.TextItem, float, float]] = []

        self.table = QtWidgets.QTableWidget(0, len(TABLE_HEADERS))
        self.table.setHorizontalHeaderLabels(TABLE_HEADERS)
        self.table.verticalHeader().hide()
        # One line of text per row, no more: a hybrid plan's four stages must leave the hit list its rows.
        self.table.verticalHeader().setMinimumSectionSize(1)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RULE_COLUMN, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeaderItem(1).setToolTip("candidates the stage received → the ones it passed on")
        self.table.setTextElideMode(QtCore.Qt.TextElideMode.ElideRight)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # When the panel is too narrow a horizontal scroll bar appears; grow so it hides no row.
        self.table.horizontalScrollBar().rangeChanged.connect(self._fit_table_height)
        self.rule_label = QtWidgets.QLabel()
        self.rule_label.setWordWrap(True)
        self.rule_label.setVisible(False)
        self.table.itemSelectionChanged.connect(self._show_rule)
        self.recall_label = QtWidgets.QLabel()

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # The charts keep the width their labels need; a window narrower than that (a 1024-pixel screen)
        # scrolls them sideways instead of growing past the screen.
        charts = QtWidgets.QScrollArea()
        charts.setWidget(self.plots)
        charts.setWidgetResizable(True)
        charts.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        charts.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(charts, 1)
        layout.addWidget(self.table)
        layout.addWidget(self.rule_label)
        layout.addWidget(self.recall_label)
        self.clear()

    def clear(self) -> None:
        """Remove every bar, row and note."""
        self.set_stages([])

    def set_stages(self, stages: list[StageProfile], stage1_recall: float | None = None) -> None:
        """Show ``stages`` (in execution order). ``stage1_recall`` is stage 1's recall against
        exhaustive exact search, or ``None`` when it was not measured."""
        self._stages = list(stages)
        for plot in (self.ms_plot, self.count_plot):
            # An empty chart's default ticks (0.6, 0.7 … in a few pixels) printed as "0.60.70.80.91".
            plot.getAxis("bottom").setStyle(showValues=bool(self._stages))
        for plot, item, _, _ in self._texts:
            plot.removeItem(item)
        self._texts = []
        self._plot_ms()
        self._plot_counts()
        self._fill_table()
        self.recall_label.setText(self._summary(stage1_recall))
        n = max(len(self._stages), 1)
        self.ms_plot.setYRange(-0.5, n - 0.5, padding=0.05)
        # Room for every stage's labels: a stage row must hold its tallest label (two lines with setup).
        lines = max((2 if s.setup_ms > 0 else 1 for s in self._stages), default=1)
        row_px = lines * self._metrics.height() + 10
        self.plots.setMinimumHeight(int(PLOT_CHROME_PX + n * row_px))
        self._reserve_widths()
        self._fit_x_ranges()

    def plotted_ms(self) -> list[float]:
        """Milliseconds each latency bar shows (``setup_ms`` excluded), in stage order."""
        return [float(w) for w in self._ms_bars.opts["width"]]

    def plotted_setup_ms(self) -> list[float]:
        """Length of each pale setup extension (``setup_ms``), in stage order."""
        return [float(w) for w in self._setup_bars.opts["width"]]

    def plotted_counts(self) -> dict[str, list[int]]:
        """The counts the vector bars reach, keyed by StageProfile field name, in stage order."""
        return {
            key: [int(round(10 ** (x0 + w))) if w > 0 else 0 for x0, w in zip(bars.opts["x0"], bars.opts["width"])]
            for key, bars in self._count_bars.items()
        }

    def printed_values(self) -> list[str]:
        """The numbers printed next to the bars, latency plot first."""
        return [item.toPlainText() for _, item, _, _ in self._texts]

    def label_rects(self) -> list[QtCore.QRectF]:
        """Scene rectangles of every stage name on the latency axis and every printed value, as drawn now."""
        rects = []
        image = QtGui.QImage(1, 1, QtGui.QImage.Format.Format_ARGB32)
        painter = QtGui.QPainter(image)
        try:  # the axis's own layout of its tick labels (pyqtgraph measures them with a painter)
            for plot in (self.ms_plot, self.count_plot):
                axis = plot.getAxis("left")
                specs = axis.generateDrawSpecs(painter) if axis.style["showValues"] else None
                rects += [axis.mapRectToScene(rect) for rect, _, _ in (specs[2] if specs else [])]
        finally:
            painter.end()
        return rects + [rect for rect, _ in self.value_rects()]

    def value_rects(self) -> list[tuple[QtCore.QRectF, QtCore.QRectF]]:
        """``(label, view box)`` scene rectangles of each printed value and the plot area it must stay in."""
        return [
            (item.textItem.mapRectToScene(item.textItem.boundingRect()), plot.getViewBox().sceneBoundingRect())
            for plot, item, _, _ in self._texts
        ]

    def _plot_ms(self) -> None:
        y = np.arange(len(self._stages), dtype=float)
        ms = np.array([s.ms for s in self._stages], dtype=float)
        setup = np.array([s.setup_ms for s in self._stages], dtype=float)
        self._ms_bars.setOpts(x0=np.zeros_like(ms), y=y, height=0.6, width=ms)
        self._setup_bars.setOpts(x0=ms, y=y, height=0.6, width=setup)
        for yi, s in zip(y, self._stages):
            text = f"{s.ms:.2f} ms" + (f"\n+{s.setup_ms:.1f} setup" if s.setup_ms > 0 else "")
            self._add_text(self.ms_plot, text, s.ms + s.setup_ms, yi)
        names = [(float(i), s.name) for i, s in enumerate(self._stages)]
        axis = self.ms_plot.getAxis("left")
        axis.setTicks([names])
        # Sized up front: pyqtgraph widens an axis only after a paint that dropped labels that did not fit.
        axis.setWidth(int(max((self._metrics.horizontalAdvance(n) for _, n in names), default=0)) + 12)

    def _plot_counts(self) -> None:
        n = len(self._stages)
        for (key, _, _), dy in zip(COUNT_SERIES, GROUP_OFFSETS):
            counts = [getattr(s, key) for s in self._stages]
            ends = np.array([math.log10(c) if c > 0 else LOG_BASELINE for c in counts])
            self._count_bars[key].setOpts(
                x0=np.full(n, LOG_BASELINE), y=np.arange(n, dtype=float) + dy, height=0.25, width=ends - LOG_BASELINE
            )
        # One label per stage, right of its longest bar: three labels per stage would need three text
        # lines of height in every stage's row. The title names the colours.
        for i, s in enumerate(self._stages):
            longest = max((s.query_vectors, s.document_vectors, s.pairwise_similarities))
            self._add_text(self.count_plot, _count_text(s), math.log10(longest) if longest else LOG_BASELINE, i)

    def _add_text(self, plot: pg.PlotItem, text: str, x: float, y: float) -> None:
        item = pg.TextItem(text, color=pg.getConfigOption("foreground"), anchor=(0, 0.5))  # right of the bar
        item.setFont(_font())
        item.setPos(x, y)
        plot.addItem(item)
        width = max(self._metrics.horizontalAdvance(line) for line in text.splitlines())
        self._texts.append((plot, item, x, width + 8))

    def _reserve_widths(self) -> None:
        """Give each chart the width its axis, its widest printed value and some bar need, so that no
        value is pushed out of its chart; the panel as a whole asks the window for their sum."""
        needs = []
        for plot in (self.ms_plot, self.count_plot):
            widest = max((w for p, _, _, w in self._texts if p is plot), default=0.0)
            axis = plot.getAxis("left")  # its fixed width: its geometry is only set by the next layout pass
            title = plot.titleLabel.item.boundingRect().width()  # a title wider than its plot overflows
            needs.append(int(max((axis.fixedWidth or axis.width()) + widest + MIN_BAR_PX, title + 8)))
            plot.setMinimumWidth(needs[-1])
        self.plots.setMinimumWidth(sum(needs) + 24)  # the layout's margins and spacing

    def _fit_x_ranges(self) -> None:
        """Widen each x range just enough that every printed value fits right of its bar."""
        for plot, lo in ((self.ms_plot, 0.0), (self.count_plot, LOG_BASELINE)):
            px = max(plot.getViewBox().width(), 1.0)
            # A bar ending at x with a label of w pixels needs a span R with (x - lo) + w * R / px <= R.
            spans = [(x - lo) / max(1 - w / px, 0.2) for p, _, x, w in self._texts if p is plot]
            plot.setXRange(lo, lo + (max(spans, default=0.0) or 1.0), padding=0)

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self._stages))
        # "probed · look-ups" only means something for centroid stages: an empty column costs width
        self.table.setColumnHidden(PROBED_COLUMN, not any(s.probed for s in self._stages))
        for row, s in enumerate(self._stages):
            ms = f"{s.ms:.2f}" + (f" (+{s.setup_ms:.1f} setup)" if s.setup_ms > 0 else "")
            approx = f"{s.probed:,} · {s.lookups:,}" if s.probed else "—"  # centroid stages only
            cells = (s.name, f"{s.candidates_in:,} → {s.candidates_out:,}", s.backend, ms, approx, s.budget_rule)
            for col, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setToolTip(text)  # a narrow panel elides a long budget rule
                self.table.setItem(row, col, item)
        self._fit_table_height()
        self._show_rule()

    def _show_rule(self) -> None:
        """The selected stage's budget rule in full, under the table (the column elides a long one)."""
        rows = {i.row() for i in self.table.selectedIndexes()}
        row = min(rows) if rows else -1
        if 0 <= row < len(self._stages):
            self.rule_label.setText(f"<b>{self._stages[row].name}</b> budget rule: {self._stages[row].budget_rule}")
        self.rule_label.setVisible(0 <= row < len(self._stages))

    def _fit_table_height(self) -> None:
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        bar = self.table.horizontalScrollBar()
        extra = bar.sizeHint().height() if bar.maximum() > 0 else 0
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(header + rows + extra + 2 * self.table.frameWidth())

    def _summary(self, recall: float | None) -> str:
        if not self._stages:
            return ""
        total = sum(s.ms + s.setup_ms for s in self._stages)
        text = f"total {total:.2f} ms"
        if any(s.name.startswith("stage1") for s in self._stages):  # an exhaustive plan has no stage 1
            text += (
                f"  ·  stage-1 recall vs exhaustive: {recall:.2f}"
                if recall is not None
                else "  ·  stage-1 recall: not measured"
            )
        return text
