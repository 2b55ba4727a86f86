"""What a daily user of a desktop search tool takes for granted (issue 25's smaller items): removal asks
first and drops the removed document's hits at once, the header never says "0 documents" while the first
ones are read, a failed row keeps its name and the start of its reason readable, an empty chart prints no
stray tick labels, centroid training is said in plain words, File and Help menus with the usual
shortcuts, and the last query comes back on the next start."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QItemSelectionModel, Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox, QStyleOptionViewItem  # noqa: E402

from workbench.collection import DocumentRow  # noqa: E402
from workbench.core import StageProfile  # noqa: E402
from workbench.gui.collection_panel import CollectionPanel  # noqa: E402
from workbench.gui.stage_panel import StagePanel  # noqa: E402


def row(i: int, path: str, status: str = "indexed", error: str | None = None) -> DocumentRow:
    return DocumentRow(i, path, path.encode(), "h", 1, 0.0, 2, 4, status, error)


@pytest.fixture
def panel(qtbot):
    p = CollectionPanel()
    qtbot.addWidget(p)
    p.set_documents([row(1, "/docs/a.pdf"), row(2, "/docs/b.pdf"), row(3, "/docs/bad.pdf", "failed", "no text")])
    return p


def select(panel, *rows):
    sel = panel.table.selectionModel()
    for r in rows:
        sel.select(panel.model.index(r, 0), QItemSelectionModel.Select | QItemSelectionModel.Rows)


@pytest.mark.parametrize(
    ("answer", "emitted"),
    [(QMessageBox.StandardButton.Cancel, []), (QMessageBox.StandardButton.Yes, [["/docs/a.pdf", "/docs/b.pdf"]])],
)
def test_remove_asks_first_and_only_yes_removes(panel, monkeypatch, answer, emitted):
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or answer)
    got = []
    panel.remove_requested.connect(got.append)
    select(panel, 0, 1)
    panel.remove.click()
    assert len(asked) == 1 and "Remove 2 documents from the index?" in asked[0] and "stay on disk" in asked[0]
    assert got == emitted


def test_the_header_says_indexing_not_zero_documents_while_the_first_are_read(qtbot):
    p = CollectionPanel()
    qtbot.addWidget(p)
    p.set_documents([])
    assert p.title.text() == "<b>Collection</b> — 0 documents"
    p.set_busy(True, "reading files…")
    assert "indexing the first documents" in p.title.text()
    p.set_documents([row(1, "/docs/a.pdf")])  # the first commit lands while the ingest goes on
    assert p.title.text() == "<b>Collection</b> — 1 documents"
    p.set_busy(False)
    assert p.title.text() == "<b>Collection</b> — 1 documents"


def test_a_failed_row_is_cut_at_its_end_and_others_in_the_middle(panel):
    delegate = panel.table.itemDelegate()
    modes = []
    for r in range(3):
        option = QStyleOptionViewItem()
        option.textElideMode = Qt.TextElideMode.ElideMiddle  # what the view hands every cell
        delegate.initStyleOption(option, panel.model.index(r, 1))
        modes.append(option.textElideMode)
    assert modes == [Qt.TextElideMode.ElideMiddle, Qt.TextElideMode.ElideMiddle, Qt.TextElideMode.ElideRight]
    assert panel.model.data(panel.model.index(2, 1)) == "bad.pdf — no text"  # the reason stays on screen


def test_an_empty_stage_chart_prints_no_tick_labels(qtbot):
    stages = StagePanel()
    qtbot.addWidget(stages)
    axes = [stages.ms_plot.getAxis("bottom"), stages.count_plot.getAxis("bottom")]
    assert [a.style["showValues"] for a in axes] == [False, False]
    profile = StageProfile(
        name="exact_maxsim",
        candidates_in=10,
        candidates_out=3,
        query_vectors=4,
        document_vectors=40,
        pairwise_similarities=160,
        ms=1.5,
        backend="numpy-reference",
    )
    stages.set_stages([profile])
    assert [a.style["showValues"] for a in axes] == [True, True]
    stages.clear()
    assert [a.style["showValues"] for a in axes] == [False, False]


def test_removing_a_document_drops_its_hits_at_once(qtbot, window, tmp_path, monkeypatch):
    from conftest import make_pdf

    lava = make_pdf(tmp_path / "lava.pdf", ["Volcanoes erupt when magma rises and vents as lava and ash."])
    plants = make_pdf(tmp_path / "plants.pdf", ["Green plants turn sunlight and water into glucose and oxygen."])
    with qtbot.waitSignal(window.ingest_finished, timeout=120000):
        window.collection_panel.add_requested.emit([str(lava), str(plants)])
    window.search_bar.query.setText("where does lava come from")
    with qtbot.waitSignal(window.search_finished, timeout=60000):
        window.search_bar.query.returnPressed.emit()
    assert {h.path for h in window.result.hits} == {str(lava), str(plants)}

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    rows = [d.path for d in window.collection_panel.model.rows]
    select(window.collection_panel, rows.index(str(lava)))
    with qtbot.waitSignal(window.search_finished, timeout=60000):  # the same query, run again
        window.collection_panel.remove.click()
    assert [h.path for h in window.result.hits] == [str(plants)]


def test_centroid_training_is_said_in_plain_words_with_its_figures():
    from workbench.collection.maintenance import training_line
    from workbench.store.centroid_meta import TrainingReason

    first = training_line(TrainingReason("first", "no centroids yet"), 262144, 1024)
    assert first == "the first set for this index: 1,024 centroids for 262,144 token vectors"
    drift = TrainingReason("drift", "new vectors sit farther from their centroids (mean cosine 0.493 vs 0.770)")
    assert training_line(drift, 300000, 2048).startswith("new documents differ from those the last set was trained")
    assert "(new vectors sit farther" in training_line(drift, 300000, 2048)  # the figures for who wants them
    grew = TrainingReason("grown", "the collection grew to 2,000,000 token vectors; 4,096 centroids were trained")
    assert training_line(grew, 2000000, 5657) == (
        "the collection has grown fourfold since the last set: 5,657 centroids for 2,000,000 token vectors"
    )


def test_the_menus_follow_desktop_conventions_and_help_lists_every_shortcut(qtbot, window, monkeypatch):
    from workbench.gui.menus import SHORTCUTS, shortcuts_html

    menus = {m.text(): m.menu() for m in window.menuBar().actions()}
    assert list(menus) == ["&File", "&Edit", "&View", "&Help"]
    items = {a.text(): a.shortcut().toString() for a in menus["&File"].actions() if not a.isSeparator()}
    assert items == {
        "&New index…": "Ctrl+N",
        "&Open index…": "Ctrl+Shift+O",
        "&Add files…": "Ctrl+O",
        "Add &folder…": "",
        "&Export results…": "Ctrl+E",
        "&Quit": "Ctrl+Q",
    }
    bound = {a.shortcut().toString() for m in menus.values() for a in m.actions()} - {""}
    assert bound <= {keys for keys, _ in SHORTCUTS}  # Help lists every shortcut a menu binds
    assert all(f"<b>{keys}</b>" in shortcuts_html() for keys, _ in SHORTCUTS)

    from PySide6.QtWidgets import QFileDialog

    chosen = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: chosen.append(a[1]) or ([], ""))
    help_shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: help_shown.append(title))
    actions = {a.text(): a for m in menus.values() for a in m.actions()}
    per_document, per_passage = actions["Hits per &document"], actions["Hits per &passage"]
    assert per_document.isChecked() and window.hits.per_document
    per_passage.trigger()  # the menu switches the hit list …
    assert not window.hits.per_document and per_passage.isChecked() and not per_document.isChecked()
    window.hits.by_document.click()  # … and follows the list's own switch
    assert window.hits.per_document and per_document.isChecked()
    actions["&Add files…"].trigger()
    assert chosen == ["Add documents"]  # the collection panel's own chooser
    actions["&Keyboard shortcuts"].trigger()
    assert help_shown == ["Keyboard shortcuts"]
    actions["&Quit"].trigger()  # closes the window: every job stopped, no worker left (the fixture checks)
    assert not window.isVisible()


def test_the_last_query_comes_back_on_the_next_start(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from workbench.gui.window_layout import WindowLayout

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    first = WindowLayout(settings)
    qtbot.addWidget(first)
    assert first.search_bar.query.text() == ""
    first.search_bar.query.setText('compare two files -difflib "unified diff"')
    first.save_settings()
    again = WindowLayout(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(again)
    assert again.search_bar.query.text() == 'compare two files -difflib "unified diff"'


def test_a_changed_plan_or_filter_runs_the_shown_query_again(qtbot, window, tmp_path):
    from conftest import make_pdf

    pdf = make_pdf(
        tmp_path / "earth.pdf", ["Volcanoes erupt lava and ash.", "Glaciers carve valleys.", "Tsunamis follow quakes."]
    )
    note = tmp_path / "note.txt"
    note.write_text("Lava flows glow red as they cool into basalt.")
    with qtbot.waitSignal(window.ingest_finished, timeout=120000):
        window.collection_panel.add_requested.emit([str(pdf), str(note)])
    window.search_bar.query.setText("lava")
    with qtbot.waitSignal(window.search_finished, timeout=60000):
        window.search_bar.query.returnPressed.emit()
    assert len(window.result.hits) == 4

    with qtbot.waitSignal(window.search_finished, timeout=60000):  # no Enter pressed: the change alone
        window.search_bar.final_k.setValue(2)
    assert window.result.plan.final_k == 2 and len(window.result.hits) == 2

    with qtbot.waitSignal(window.search_finished, timeout=60000):
        window.filter_bar.types["Text"].trigger()
    assert [h.path for h in window.result.hits] == [str(note)]
    assert window.filter_bar.summary.text().startswith("searched 1 of 4 passages: type markdown, md, txt")

    with qtbot.waitSignal(window.search_finished, timeout=60000):
        window.filter_bar.clear.click()
    assert window.result.where is None and window.filter_bar.summary.text() == "searched all 4 passages (no filter)"


@pytest.mark.parametrize("kind", ["auto", "exhaustive", "document_proxy", "hybrid", "centroid"])
def test_the_window_fits_a_1000_pixel_screen_in_every_option_state(qtbot, tmp_path, kind):
    from PySide6.QtCore import QSettings

    from workbench.gui.window_layout import WindowLayout

    win = WindowLayout(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.set_enabled(True, True)
    win.show()
    bar = win.search_bar
    bar.kind.setCurrentIndex(bar.kind.findData(kind))
    widths = {"closed": win.minimumSizeHint().width()}
    bar.more.setChecked(True)  # plan options open
    widths["options"] = win.minimumSizeHint().width()
    bar.verify_k.setValue(20)
    bar.verify_cost.setText("≈ 610 ms for 20 passages")  # what the cost estimate prints once an index is open
    widths["verify"] = win.minimumSizeHint().width()
    assert max(widths.values()) <= 1000, widths


def test_results_keep_the_window_within_a_1000_pixel_screen(qtbot, window, tmp_path):
    from conftest import make_pdf

    pdf = make_pdf(tmp_path / "earth.pdf", ["Glaciers carve valleys.", "Volcanoes erupt lava and ash."])
    with qtbot.waitSignal(window.ingest_finished, timeout=120000):
        window.collection_panel.add_requested.emit([str(pdf)])
    bar = window.search_bar  # four stages with long names, a heatmap caption, a selected hit: the widest state
    bar.kind.setCurrentIndex(bar.kind.findData("hybrid"))
    bar.query.setText("why do volcanoes erupt lava and ash when magma rises")
    with qtbot.waitSignals([window.search_finished, window.detail_ready], timeout=60000):
        bar.query.returnPressed.emit()
    qtbot.wait(300)  # pyqtgraph sizes its labels on the next passes
    assert len(window.result.stages) == 4
    assert window.minimumSizeHint().width() <= 1000  # the stage charts scroll sideways rather than widen it


def test_down_enters_the_hits_and_ctrl_c_copies_the_passage_with_its_citation(qtbot, window, tmp_path):
    from conftest import make_pdf
    from PySide6.QtGui import QGuiApplication

    pdf = make_pdf(tmp_path / "earth.pdf", ["Glaciers carve valleys.", "Volcanoes erupt lava and ash."])
    with qtbot.waitSignal(window.ingest_finished, timeout=120000):
        window.collection_panel.add_requested.emit([str(pdf)])
    window.search_bar.query.setText("lava")
    with qtbot.waitSignal(window.search_finished, timeout=60000):
        window.search_bar.query.returnPressed.emit()
    window.activateWindow()
    window.search_bar.query.setFocus()
    qtbot.waitUntil(window.search_bar.query.hasFocus, timeout=5000)
    tree = window.hits.tree
    qtbot.keyClick(window.search_bar.query, Qt.Key.Key_Down)
    qtbot.waitUntil(tree.hasFocus, timeout=5000)
    hit = window.hits.selected_hit()
    assert hit is not None and hit.rank == 1
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(tree, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == f"{hit.text.strip()}\n— earth.pdf, page {hit.page}"
    assert "Volcanoes erupt lava" in QGuiApplication.clipboard().text() and hit.page == 2


def test_up_and_down_in_an_empty_box_walk_this_indexs_last_queries(qtbot, window, tmp_path, encoder):
    from conftest import make_pdf
    from PySide6.QtCore import QSettings

    from workbench.gui.main_window import MainWindow

    with qtbot.waitSignal(window.ingest_finished, timeout=120000):
        window.collection_panel.add_requested.emit([str(make_pdf(tmp_path / "e.pdf", ["Lava.", "Ice."]))])
    box = window.search_bar.query
    for text in ("lava", "glaciers", "lava"):  # a query asked again moves to the front, once
        box.setText(text)
        with qtbot.waitSignal(window.search_finished, timeout=60000):
            box.returnPressed.emit()
    assert window.history.queries == ["lava", "glaciers"]
    box.clear()
    walked = []
    for key in (Qt.Key.Key_Up, Qt.Key.Key_Up, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Down):
        qtbot.keyClick(box, key)
        walked.append(box.text())
    assert walked == ["lava", "glaciers", "glaciers", "lava", ""]
    window.save_settings()

    again = MainWindow(
        window.index_path, QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat), encoder=encoder
    )
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.collection_ready, timeout=60000):
        again.open_collection()
    again.search_bar.query.clear()
    qtbot.keyClick(again.search_bar.query, Qt.Key.Key_Up)
    assert again.search_bar.query.text() == "lava"  # the history is the index's, kept across starts
    again.shutdown()
