"""The heatmap and stage panel draw exactly the numbers of the Alignment / StageProfiles they are given."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time

import numpy as np
import pytest
from PySide6 import QtCore

from workbench.core.results import Alignment, StageProfile
from workbench.gui.heatmap import HeatmapView
from workbench.gui.stage_panel import StagePanel


def make_alignment(nq: int, nd: int, seed: int = 0) -> Alignment:
    rng = np.random.default_rng(seed)
    sims = rng.uniform(-0.2, 0.9, size=(nq, nd)).astype(np.float32)
    best = sims.argmax(axis=1)
    q_tokens = tuple(f"q{i}" for i in range(nq))
    d_tokens = tuple(f"##d{j}" for j in range(nd))  # word pieces are shown as they are
    return Alignment(q_tokens, d_tokens, sims, best, sims[np.arange(nq), best])


STAGES = [
    StageProfile("stage1:document_proxy", 3042, 100, 1, 3042, 3042, 0.3, "numpy-reference", setup_ms=12.5),
    StageProfile("stage2:exact_maxsim", 100, 10, 12, 6400, 76800, 1.1, "mojo-exact-cpu"),
]


def shown(qtbot, view, width, height):
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    return view


@pytest.fixture
def heatmap(qtbot):
    return shown(qtbot, HeatmapView(), 900, 500)


@pytest.fixture
def panel(qtbot):
    return shown(qtbot, StagePanel(), 900, 350)


def test_heatmap_image_is_the_similarity_matrix(heatmap):
    al = make_alignment(5, 17)
    heatmap.set_alignment(al)
    np.testing.assert_array_equal(heatmap.image_data(), al.similarities)  # rows = query tokens
    assert heatmap.image.levels is not None
    assert tuple(heatmap.image.levels) == pytest.approx((al.similarities.min(), al.similarities.max()))
    assert heatmap.query_axis.tokens == al.query_tokens
    assert heatmap.passage_axis.tokens == al.passage_tokens


def test_token_labels_are_thinned_only_when_they_do_not_fit(heatmap):
    heatmap.set_alignment(make_alignment(4, 256))
    axis = heatmap.passage_axis
    assert axis.shown_ticks(-0.5, 15.5, 800) == list(range(16))  # 50 px a column: every label
    ticks = axis.shown_ticks(-0.5, 255.5, 800)
    step = ticks[1] - ticks[0]
    assert step > 1 and step * 800 / 256 >= axis.pitch  # labels never closer than one line height
    assert ticks == list(range(0, 256, step))


def test_heatmap_marks_each_row_argmax(heatmap):
    al = make_alignment(6, 40)
    heatmap.set_alignment(al)
    assert heatmap.marker_cells() == [(r, int(al.best[r])) for r in range(6)]


def test_heatmap_caption_states_the_score(heatmap):
    al = make_alignment(3, 8)
    heatmap.set_alignment(al)
    assert heatmap.caption.text() == f"MaxSim = Σ row maxima = {al.score:.4f} (3 query × 8 passage tokens)"


def test_hover_text_names_the_pair_and_the_best_match(heatmap):
    al = make_alignment(4, 9)
    heatmap.set_alignment(al)
    b = int(al.best[2])
    best_text = heatmap.hover_text_at(2, b)
    assert best_text.startswith(f"‘q2’ × ‘##d{b}’ = {al.similarities[2, b]:.3f}")
    assert "best match" in best_text
    other = (b + 1) % 9
    assert "best match" not in heatmap.hover_text_at(2, other)
    assert heatmap.hover_text_at(4, 0) == "" and heatmap.hover_text_at(0, -1) == ""


def test_moving_the_mouse_over_a_cell_shows_its_hover_text(heatmap):
    al = make_alignment(4, 9)
    heatmap.set_alignment(al)
    scene_pos = heatmap.plot.getViewBox().mapViewToScene(QtCore.QPointF(5, 1))  # column 5, row 1
    heatmap.plot.scene().sigMouseMoved.emit(scene_pos)
    assert heatmap.hover_label.text() == heatmap.hover_text_at(1, 5) != ""


def test_heatmap_clears(heatmap):
    heatmap.set_alignment(make_alignment(3, 8))
    heatmap.set_alignment(None)
    assert heatmap.image_data() is None
    assert heatmap.marker_cells() == []
    assert heatmap.hover_text_at(0, 0) == ""
    assert heatmap.caption.text() == "No hit selected."


def test_large_alignment_is_fast(heatmap, qtbot):
    al = make_alignment(64, 256)
    heatmap.set_alignment(make_alignment(8, 8))  # first use pays one-time set-up; time a steady update
    heatmap.grab()
    t = time.perf_counter()
    heatmap.set_alignment(al)
    set_ms = (time.perf_counter() - t) * 1e3
    heatmap.grab()  # paints every label, the image and 64 markers
    total_ms = (time.perf_counter() - t) * 1e3
    # Bounds that only a per-cell slow path (64×256 items, seconds) breaks, not a busy machine.
    assert set_ms < 1500, f"set_alignment took {set_ms:.1f} ms"
    assert total_ms < 3000, f"set_alignment + paint took {total_ms:.1f} ms"


def test_stage_panel_plots_the_profile_numbers(panel):
    panel.set_stages(STAGES, stage1_recall=0.9)
    assert panel.plotted_ms() == pytest.approx([0.3, 1.1])
    assert panel.plotted_setup_ms() == pytest.approx([12.5, 0.0])
    assert panel.plotted_counts() == {
        "query_vectors": [1, 12],
        "document_vectors": [3042, 6400],
        "pairwise_similarities": [3042, 76800],
    }
    assert panel.printed_values() == ["0.30 ms\n+12.5 setup", "1.10 ms", "1 × 3,042 = 3,042", "12 × 6,400 = 76,800"]


def test_stage_panel_table_and_recall(panel):
    panel.set_stages(STAGES, stage1_recall=0.9)
    rows = [[panel.table.item(r, c).text() for c in range(panel.table.columnCount())] for r in range(2)]
    assert rows[0] == ["stage1:document_proxy", "3,042 → 100", "numpy-reference", "0.30 (+12.5 setup)", "—", "prefix"]
    assert rows[1] == ["stage2:exact_maxsim", "100 → 10", "mojo-exact-cpu", "1.10", "—", "prefix"]
    assert "stage-1 recall vs exhaustive: 0.90" in panel.recall_label.text()
    panel.set_stages(STAGES)
    assert "stage-1 recall: not measured" in panel.recall_label.text()


def test_centroid_stage_shows_probed_and_lookups(panel):
    panel.set_stages(
        [
            StageProfile(
                "stage1:centroid_interaction",
                3042,
                100,
                9,
                2048,
                18432,
                3.1,
                "numpy-reference",
                probed=1400,
                lookups=9 * 150000,
            )
        ]
    )
    assert panel.table.item(0, 4).text() == "1,400 · 1,350,000"


def test_a_long_budget_rule_is_never_cut_off_unseen(qtbot, panel):
    from workbench.gui.stage_panel import RULE_COLUMN

    rule = "w = BM25 share, k = 60; BM25 counts within the lexical stage's 100, 0 outside"
    fusion = StageProfile("fusion:rrf(w=0.3)", 164, 10, 0, 0, 0, 0.4, "numpy-reference", budget_rule=rule)
    panel.resize(548, 360)  # the centre column at 1366×768
    panel.set_stages([*STAGES, fusion])
    table = panel.table
    qtbot.waitUntil(lambda: table.viewport().width() > 0)
    # the rule column ends inside the table (elided there, whole in its tooltip), no sideways scrolling
    assert table.columnViewportPosition(RULE_COLUMN) + table.columnWidth(RULE_COLUMN) <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0 and table.item(2, RULE_COLUMN).toolTip() == rule
    assert not panel.rule_label.isVisible()
    table.selectRow(2)  # a selected stage shows its rule in full under the table
    assert panel.rule_label.isVisible() and rule in panel.rule_label.text()


def test_exhaustive_plan_has_no_recall_note(panel):
    panel.set_stages([StageProfile("exact_maxsim", 3042, 10, 32, 389376, 12460032, 48.7, "numpy-reference")])
    assert panel.plotted_counts()["pairwise_similarities"] == [12460032]
    assert "recall" not in panel.recall_label.text()


def test_stage_panel_clears(panel):
    panel.set_stages(STAGES, 0.9)
    panel.clear()
    assert panel.plotted_ms() == [] and panel.plotted_counts() == {
        "query_vectors": [],
        "document_vectors": [],
        "pairwise_similarities": [],
    }
    assert panel.table.rowCount() == 0 and panel.recall_label.text() == "" and panel.printed_values() == []


def test_boxes_turn_with_the_page_and_hits_show_labels_and_ocr(qtbot):
    from workbench.core import Hit, PassageInfo
    from workbench.gui.hits_view import page_text
    from workbench.gui.page_view import pixel_rect

    # /Rotate 90 on a 612×792 page (PyMuPDF's rotation_matrix (0, 1, -1, 0, 792, 0)), zoom 1.5
    to_pixels = (0.0, 1.5, -1.5, 0.0, 1188.0, 0.0)
    r = pixel_rect((210, 383, 298, 433), to_pixels)
    assert (r.x(), r.y(), r.width(), r.height()) == (538.5, 315.0, 75.0, 132.0)  # width and height swap
    info = PassageInfo(1, 1, "/a.pdf", 3, 0, "t", ("t",), page_label="iii", text_source="ocr")
    assert page_text(Hit(1, 1, 1.0, 0, info)) == "3 (iii) · OCR"
    assert page_text(Hit(1, 1, 1.0, 0, PassageInfo(1, 1, "/a.pdf", 3, 0, "t", ("t",), page_label="3"))) == "3"


def test_documents_show_their_caveats_and_the_text_kept(qtbot):
    from workbench.gui.collection_panel import DocumentsModel
    from workbench.store import DocumentRow

    model = DocumentsModel()
    model.set_documents(
        [
            DocumentRow(
                1,
                "/x/cjk.pdf",
                b"/x/cjk.pdf",
                "h",
                1,
                0.0,
                1,
                3,
                "indexed",
                None,
                ("66% of its characters cannot be represented by the encoder",),
                343,
                227,
            )
        ]
    )
    cells = [model.data(model.index(0, c)) for c in range(5)]
    assert cells[0] == "⚠" and cells[4] == "34%"
    tip = model.data(model.index(0, 0), QtCore.Qt.ToolTipRole)
    assert tip.startswith("indexed: /x/cjk.pdf") and "66% of its characters" in tip
