"""The window at 1366×768 as a first run lays it out: nothing overlaps, nothing a user needs is cut off."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from conftest import make_pdf  # noqa: E402
from PySide6.QtCore import QRect, QRectF, QSettings, QThreadPool  # noqa: E402

from workbench.gui.main_window import MainWindow  # noqa: E402

SCREEN = QRect(0, 0, 1366, 768)
PAGES = [
    "Volcanoes erupt when magma rises through the crust and vents as lava, ash and volcanic gas.",
    "Photosynthesis lets green plants turn sunlight, water and carbon dioxide into glucose and oxygen.",
    "The offside rule in football forbids an attacker from being behind the last defender.",
    "Glaciers carve valleys as the ice slowly flows downhill under its own weight.",
    "A tsunami is a series of ocean waves caused by an undersea earthquake or landslide.",
    "Bees pollinate flowers while they collect nectar and carry pollen between plants.",
    "Tectonic plates drift a few centimetres each year and collide at mountain ranges.",
    "Coral reefs grow from the skeletons of tiny animals in warm, shallow seas.",
]
QUERY = "why do volcanoes erupt lava and ash when magma rises through the crust"


@pytest.fixture
def small_screen_window(qtbot, tmp_path, encoder):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(tmp_path / "gui.kayak", settings, encoder=encoder)
    qtbot.addWidget(win)
    win.fit_to(SCREEN)  # what a first run does on a 1366×768 screen
    win.show()
    with qtbot.waitSignal(win.collection_ready, timeout=60000):
        win.open_collection()
    with qtbot.waitSignal(win.ingest_finished, timeout=120000):
        win.collection_panel.add_requested.emit([str(make_pdf(tmp_path / "earth.pdf", PAGES))])
    yield win
    win.shutdown()
    assert QThreadPool.globalInstance().activeThreadCount() == 0


def test_window_fits_1366x768_without_overlaps(qtbot, small_screen_window):
    win = small_screen_window
    hint = win.minimumSizeHint()
    assert hint.width() <= SCREEN.width() and hint.height() <= SCREEN.height(), "the window runs off the screen"
    assert win.width() <= SCREEN.width() and win.height() <= SCREEN.height()

    bar = win.search_bar  # four stages, one with a long name: the most the stage charts have to label
    bar.kind.setCurrentIndex(bar.kind.findData("hybrid"))
    bar.query.setText(QUERY)
    with qtbot.waitSignals([win.search_finished, win.detail_ready], timeout=60000):
        bar.query.returnPressed.emit()
    qtbot.wait(300)  # pyqtgraph lays its items out on the next event-loop passes
    assert len(win.result.stages) == 4 and len(win.result.hits) >= 5

    labels = win.stages.label_rects()
    assert len(labels) == 4 + 4 + 4  # stage names, latency values, vector-count values
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not a.intersects(b), f"stage-chart labels overlap: {a} and {b}"
    for label, plot_area in win.stages.value_rects():
        assert plot_area.contains(label), f"a printed value runs out of its chart: {label} not in {plot_area}"
    visible = QRectF(win.stages.plots.viewport().rect())  # the charts' scene is drawn 1:1 from (0, 0)
    assert all(visible.contains(label) for label in labels), "a chart label lies outside the visible panel"

    heatmap = win.detail.heatmap
    al = win.detail.alignment
    assert heatmap.labelled_query_tokens() == list(al.query_tokens), "a query token has no label"

    tree = win.hits.tree
    rows = tree.viewport().height() / tree.visualRect(tree.model().index(0, 0)).height()
    assert rows >= 5, f"the hit list shows {rows:.1f} rows"
    metrics = bar.query.fontMetrics()
    assert metrics.horizontalAdvance(QUERY) < bar.query.width(), "the search field cuts the query"
