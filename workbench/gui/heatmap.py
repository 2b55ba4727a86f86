"""Query-token × passage-token similarity heatmap of one hit, with each row's argmax (MaxSim) marked."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from workbench.core.results import Alignment

TICK_FONT_PT = 9
ROW_SLACK_PX = 24  # the plot's top margin and rounding, beyond one label pitch per query token
MAX_LABEL_PX = 100  # longer tokens are elided so one odd token cannot squeeze the plot
MARKER_PEN = pg.mkPen("#ff2a2a", width=2)  # red: stands out on both ends of viridis


class TokenAxis(pg.AxisItem):
    """An axis that labels cell ``i`` with ``tokens[i]``, thinned to what fits at the current zoom.

    The bottom axis draws its labels turned 90°: a passage column is only a few pixels wide, but a
    vertical label needs just one line height, so about three times more columns get labelled.
    """

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.tokens: tuple[str, ...] = ()
        font = QtGui.QFont()
        font.setPointSize(TICK_FONT_PT)
        self.setTickFont(font)
        # Let the first and last labels run a few pixels past the plot's edge instead of being dropped.
        self.setStyle(hideOverlappingLabels=False)
        self._metrics = QtGui.QFontMetricsF(font)
        self.pitch = self._metrics.height() + 2  # pixels one label needs along the axis
        if orientation == "bottom":
            # Base class lays out horizontal text; we draw the labels ourselves, rotated.
            self.setStyle(showValues=False)

    def set_tokens(self, tokens: tuple[str, ...]) -> None:
        """Label cell ``i`` with ``tokens[i]``; the axis reserves room for the widest one."""
        self.tokens = tuple(
            self._metrics.elidedText(t, QtCore.Qt.TextElideMode.ElideRight, MAX_LABEL_PX) for t in tokens
        )
        widest = max((self._metrics.horizontalAdvance(t) for t in self.tokens), default=0)
        if self.orientation == "bottom":
            self.setHeight(int(widest) + 14)
        else:
            self.setWidth(int(widest) + 14)
        self.picture = None
        self.update()

    def shown_ticks(self, lo: float, hi: float, size: float) -> list[int]:
        """Cell indices labelled when the view spans ``lo..hi`` over ``size`` pixels."""
        lo, hi = sorted((lo, hi))
        if not self.tokens or size <= 0:
            return []
        step = max(1, math.ceil(self.pitch * (hi - lo) / size))
        # Multiples of the step, so labels stay put while panning.
        first = max(0, math.ceil(lo / step) * step)
        last = min(len(self.tokens) - 1, math.floor(hi))
        return list(range(first, last + 1, step))

    def tickValues(self, minVal, maxVal, size):
        return [(1, [float(i) for i in self.shown_ticks(minVal, maxVal, size)])]

    def tickStrings(self, values, scale, spacing):
        return [self.tokens[int(round(v))] for v in values]

    def generateDrawSpecs(self, p):
        specs = super().generateDrawSpecs(p)
        if specs is None or self.orientation != "bottom":
            return specs
        axis_spec, tick_specs, _ = specs
        # The base class's ticks and value→pixel mapping, so each rotated label sits on its tick line.
        bounds = self.mapRectFromParent(self.geometry())
        lo, hi = sorted(self.range)
        if hi <= lo:
            return axis_spec, tick_specs, []
        ticks = self.shown_ticks(lo, hi, bounds.width())
        xs = [bounds.left() + (i - lo) / (hi - lo) * bounds.width() for i in ticks]
        return axis_spec, tick_specs, [(x, self.tokens[i]) for x, i in zip(xs, ticks)]

    def drawPicture(self, p, axisSpec, tickSpecs, textSpecs):
        if self.orientation != "bottom":
            return super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
        super().drawPicture(p, axisSpec, tickSpecs, [])
        p.setFont(self.style["tickFont"])
        p.setPen(self.textPen())
        top = self.mapRectFromParent(self.geometry()).top() + max(0, self.style["tickLength"]) + 4
        h = self.pitch
        for x, text in textSpecs:
            p.save()
            p.translate(x, top)
            p.rotate(-90)  # reads bottom-to-top, the label's end at its tick
            p.drawText(
                QtCore.QRectF(-MAX_LABEL_PX - 4, -h / 2, MAX_LABEL_PX + 4, h),
                int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter),
                text,
            )
            p.restore()


class HeatmapView(QtWidgets.QWidget):
    """Shows an :class:`Alignment`: rows are query tokens (top to bottom), columns passage tokens."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._al: Alignment | None = None
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)  # "MaxSim = Σ row maxima = … (8 query × 68 passage tokens)" on a narrow column
        self.hover_label = QtWidgets.QLabel()
        self.hover_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)  # tokens may contain '<' or '&'
        self.passage_axis = TokenAxis("bottom")
        self.query_axis = TokenAxis("left")
        self.plot = pg.PlotWidget(axisItems={"bottom": self.passage_axis, "left": self.query_axis})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.getPlotItem().setContentsMargins(0, 8, 4, 0)  # room for half of the first row's label
        self.plot.getViewBox().invertY(True)  # query token 0 on top, reading order
        self.plot.setMouseEnabled(x=True, y=True)

        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.markers = pg.ScatterPlotItem(symbol="s", size=1.0, pxMode=False, pen=MARKER_PEN, brush=None)
        self.plot.addItem(self.markers)
        self.colorbar = pg.ColorBarItem(
            colorMap=pg.colormap.get("viridis"), interactive=False, width=14, label="similarity ⟨q_i, d_j⟩"
        )
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

        # Every query token gets a label row: when the panel is shorter than that, the map scrolls
        # instead of dropping labels (a 32-token query needs about 550 pixels).
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.plot)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.hover_label)
        self.set_alignment(None)

    def set_alignment(self, al: Alignment | None) -> None:
        """Show ``al`` (similarities ``[nq, nd]`` with token strings), or clear the view for ``None``."""
        self._al = al if al is not None and al.similarities.size else None
        self.hover_label.setText("")
        if self._al is None:
            self.image.clear()
            self.markers.clear()
            self.passage_axis.set_tokens(())
            self.query_axis.set_tokens(())
            self.plot.setMinimumHeight(0)
            self.caption.setText("No hit selected." if al is None else "This hit has no token vectors to show.")
            return
        sims = np.asarray(al.similarities, dtype=np.float32)
        nq, nd = sims.shape
        # Colour range = this matrix's own min..max: the view answers "which passage tokens does each
        # query token match, relative to the rest of this passage"; similarities of ColBERT vectors
        # rarely go far below 0, so a symmetric range would waste half of the map. Exact values are in
        # the hover text and on the colour bar.
        lo, hi = float(sims.min()), float(sims.max())
        if hi <= lo:
            hi = lo + 1e-6
        self.image.setImage(sims, autoLevels=False)
        self.image.setRect(QtCore.QRectF(-0.5, -0.5, nd, nq))  # cell (r, c) centred on (x=c, y=r)
        self.colorbar.setLevels((lo, hi))
        self.markers.setData(x=np.asarray(al.best, dtype=float), y=np.arange(nq, dtype=float))
        self.passage_axis.set_tokens(al.passage_tokens)
        self.query_axis.set_tokens(al.query_tokens)
        self.plot.setMinimumHeight(int(nq * self.query_axis.pitch + self.passage_axis.fixedHeight + ROW_SLACK_PX))
        vb = self.plot.getViewBox()
        vb.setLimits(xMin=-0.5, xMax=nd - 0.5, yMin=-0.5, yMax=nq - 0.5)
        vb.setRange(xRange=(-0.5, nd - 0.5), yRange=(-0.5, nq - 0.5), padding=0)
        self.caption.setText(f"MaxSim = Σ row maxima = {al.score:.4f} ({nq} query × {nd} passage tokens)")

    def labelled_query_tokens(self) -> list[str]:
        """The query-token labels the left axis draws at its current size and zoom."""
        axis = self.query_axis
        lo, hi = axis.range
        return [axis.tokens[i] for i in axis.shown_ticks(lo, hi, axis.geometry().height())]

    def image_data(self) -> np.ndarray | None:
        """The matrix the image item displays (``None`` when cleared)."""
        return self.image.image

    def marker_cells(self) -> list[tuple[int, int]]:
        """``(row, col)`` of each argmax marker, as drawn."""
        xs, ys = self.markers.getData()
        return [(int(round(y)), int(round(x))) for x, y in zip(xs, ys)]

    def hover_text_at(self, row: int, col: int) -> str:
        """Text shown when hovering cell ``(row, col)``: the token pair and its similarity."""
        al = self._al
        if al is None or not (0 <= row < len(al.query_tokens) and 0 <= col < len(al.passage_tokens)):
            return ""
        text = f"‘{al.query_tokens[row]}’ × ‘{al.passage_tokens[col]}’ = {al.similarities[row, col]:.3f}"
        if int(al.best[row]) == col:
            text += "  (best match: contributes to the score)"
        return f"{text}    [query token {row}, passage token {col}]"

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        p = self.plot.getViewBox().mapSceneToView(scene_pos)
        self.hover_label.setText(self.hover_text_at(int(round(p.y())), int(round(p.x()))))
