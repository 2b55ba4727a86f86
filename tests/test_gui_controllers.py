"""Each controller of the main window on its own: the real widgets it is given, a real collection, and no
MainWindow (pytest-qt, offscreen)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from conftest import make_pdf  # noqa: E402
from PySide6.QtCore import QSettings, QThreadPool  # noqa: E402
from PySide6.QtWidgets import QMessageBox, QWidget  # noqa: E402

from workbench.collection import Collection  # noqa: E402
from workbench.core import exhaustive_search_plan  # noqa: E402
from workbench.gui.collection_panel import CollectionPanel  # noqa: E402
from workbench.gui.compare_controller import CompareController  # noqa: E402
from workbench.gui.compare_view import CompareView  # noqa: E402
from workbench.gui.eval_controller import EvalController  # noqa: E402
from workbench.gui.eval_view import EvalView  # noqa: E402
from workbench.gui.filter_bar import FilterBar  # noqa: E402
from workbench.gui.hit_detail import HitDetail  # noqa: E402
from workbench.gui.hits_view import HitsView  # noqa: E402
from workbench.gui.index_controller import IndexController  # noqa: E402
from workbench.gui.ingest_controller import IngestController  # noqa: E402
from workbench.gui.search_bar import SearchBar  # noqa: E402
from workbench.gui.search_controller import SearchController  # noqa: E402
from workbench.gui.stage_panel import StagePanel  # noqa: E402
from workbench.gui.status_line import StatusLine  # noqa: E402
from workbench.gui.window_layout import WindowLayout  # noqa: E402
from workbench.gui.workers import JobRunner  # noqa: E402

PAGES = [
    "Volcanoes erupt when magma rises through the crust and vents as lava, ash and volcanic gas.",
    "Photosynthesis lets green plants turn sunlight, water and carbon dioxide into glucose and oxygen.",
    "The offside rule in football forbids an attacker from being behind the last defender.",
]


def widget(qtbot, w):
    qtbot.addWidget(w)
    return w


@pytest.fixture
def runner():
    """The job runner the controllers share; afterwards no worker thread may outlive the test."""
    yield JobRunner()
    QThreadPool.globalInstance().waitForDone(30000)
    assert QThreadPool.globalInstance().activeThreadCount() == 0


@pytest.fixture
def status(qtbot):
    return widget(qtbot, StatusLine())


@pytest.fixture
def science(new_collection, tmp_path) -> Collection:
    """A collection holding one three-page PDF, one topic a page."""
    coll = new_collection()
    assert coll.ingest([make_pdf(tmp_path / "science.pdf", PAGES)]).ok
    return coll


# -- search ---------------------------------------------------------------------------------------------
@pytest.fixture
def searcher(qtbot, runner, status):
    bar, filters = widget(qtbot, SearchBar()), widget(qtbot, FilterBar())
    return SearchController(
        runner,
        status,
        bar,
        filters,
        lambda: filters.where([]),
        widget(qtbot, HitsView()),
        widget(qtbot, HitDetail()),
        widget(qtbot, StagePanel()),
    )


def test_the_search_controller_delivers_a_ranked_result_with_its_stages(qtbot, searcher, science, status):
    searcher.set_collection(science)
    bar = searcher.search_bar
    bar.kind.setCurrentIndex(bar.kind.findData("document_proxy"))  # staged: stage 1 and its recall
    bar.query.setText("how do plants make oxygen from sunlight")
    delivered = []
    searcher.finished.connect(delivered.append)
    with qtbot.waitSignals([searcher.finished, searcher.detail_ready], timeout=60000):
        bar.search_requested.emit()
    run = searcher.last_run
    assert delivered == [run] and run.result is searcher.result
    hits = run.result.hits
    assert hits[0].page == 2 and [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert [s.name for s in run.result.stages] == ["stage1:document_proxy", "stage2:exact_maxsim_compressed"]
    assert searcher.stages.plotted_ms() == pytest.approx([s.ms for s in run.result.stages])
    assert run.stage1_recall is not None and 0 <= run.stage1_recall <= 1
    model = searcher.hits.hits_model  # per document (the default view): one PDF, one row, the other hits under it
    assert model.rowCount() == 1 and model.rowCount(model.index(0, 0)) == len(hits) - 1
    assert len(searcher.detail.page.box_items) == len(hits[0].info.boxes) > 0  # the first hit's page
    assert status.text().startswith(f"{len(hits)} hits for “how do plants make oxygen from sunlight”")


def test_a_newer_search_makes_the_running_one_stale(qtbot, searcher, science):
    searcher.set_collection(science)
    delivered = []
    searcher.finished.connect(lambda run: delivered.append(run.text))
    searcher.search_bar.query.setText("football")
    searcher.search()
    searcher.search_bar.query.setText("volcano magma")
    with qtbot.waitSignal(searcher.finished, timeout=60000):
        searcher.search()
    qtbot.waitUntil(lambda: not searcher.runner.busy(), timeout=60000)
    assert delivered == ["volcano magma"] and searcher.result.hits[0].page == 1
    searcher.clear()
    assert searcher.result is None and searcher.hits.hits_model.rowCount() == 0


def test_query_syntax_in_the_search_bar_filters_and_never_reaches_the_heatmap(qtbot, searcher, science, status):
    searcher.set_collection(science)
    bar = searcher.search_bar
    assert "phrase" in bar.query.placeholderText() and "-word" in bar.query.toolTip()
    bar.query.setText('"sunlight" plants OR volcano -magma -"offside rule"')
    with qtbot.waitSignals([searcher.finished, searcher.detail_ready], timeout=60000):
        bar.search_requested.emit()
    result = searcher.result
    assert [h.page for h in result.hits] == [2]  # the only passage holding the phrase and neither exclusion
    assert result.eligible == 1 and result.stages[0].candidates_in <= 1  # filtered before stage 1
    rows = searcher.detail.heatmap.labelled_query_tokens()
    assert rows and not any('"' in t or t.strip() in ("-", "or", "OR") for t in rows), rows
    assert not any(w in "".join(rows).lower() for w in ("magma", "offside"))
    assert 'containing "sunlight" · without "magma" · without "offside rule"' in searcher.filter_bar.summary.text()
    bar.query.setText('volcano "lava')  # an open quote: plain words, and the status line says so
    with qtbot.waitSignal(searcher.finished, timeout=60000):
        bar.search_requested.emit()
    assert "quote" in status.text() and searcher.result.hits[0].page == 1
    assert '"' not in "".join(searcher.detail.heatmap.labelled_query_tokens())
    bar.query.setText("-volcano")
    with qtbot.assertNotEmitted(searcher.finished, wait=300):  # said at once; no search starts
        bar.search_requested.emit()
    assert "nothing to search for" in status.text()
    qtbot.waitUntil(lambda: not searcher.runner.busy(), timeout=60000)  # the last hit's page render


# -- ingest ---------------------------------------------------------------------------------------------
@pytest.fixture
def ingester(qtbot, runner, status):
    controller = IngestController(runner, status, widget(qtbot, CollectionPanel()))
    yield controller
    controller.stop_following()


def reported(panel: CollectionPanel) -> list[str]:
    """Every line the panel is given with its progress, from now on."""
    lines: list[str] = []
    show = panel.set_progress
    panel.set_progress = lambda done, total, text: (lines.append(text), show(done, total, text))
    return lines


def test_the_ingest_controller_ingests_files_and_reports_each(qtbot, ingester, new_collection, tmp_path):
    coll = new_collection()
    ingester.set_collection(coll)
    (tmp_path / "note.txt").write_text(PAGES[0])
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    lines = reported(ingester.panel)
    with qtbot.waitSignals([ingester.documents_changed, ingester.finished], timeout=120000):
        ingester.panel.add_requested.emit([str(tmp_path / "note.txt"), str(tmp_path / "broken.pdf")])
    assert not ingester.running and not ingester.panel.progress.isVisible()
    assert any(line.startswith("indexed note.txt (1 passages)") for line in lines)
    assert any(line.startswith("failed: broken.pdf: not a readable PDF") for line in lines)
    assert {d.path: d.status for d in coll.documents()} == {
        str(tmp_path / "note.txt"): "indexed",
        str(tmp_path / "broken.pdf"): "failed",
    }


def test_paths_wait_for_the_index_and_nothing_starts_while_another_opens(
    qtbot, ingester, new_collection, tmp_path, status
):
    (tmp_path / "note.txt").write_text(PAGES[2])
    ingester.ingest([str(tmp_path / "note.txt")])  # no index yet: the path waits
    assert ingester.pending == [str(tmp_path / "note.txt")] and not ingester.running
    coll = new_collection()
    ingester.set_collection(coll)
    ingester.set_index_opening(True)
    ingester.ingest([str(tmp_path / "note.txt")])
    assert status.text() == "another index is being opened; add files once it is open (Esc cancels it)"
    assert coll.documents() == []
    ingester.set_index_opening(False)
    with qtbot.waitSignal(ingester.finished, timeout=120000):
        ingester.start_following()  # the index is open: the waiting path goes in
    assert ingester.pending == [] and [d.path for d in coll.documents()] == [str(tmp_path / "note.txt")]


# -- which index ----------------------------------------------------------------------------------------
@pytest.fixture
def switcher(qtbot, runner, status, tmp_path, encoder):
    stops: list[str] = []
    parent = widget(qtbot, QWidget())
    controller = IndexController(
        runner,
        status,
        widget(qtbot, CollectionPanel()),
        parent,
        tmp_path / "first.kayak",
        lambda: stops.append("stopped"),
        encoder,
    )
    controller.stops = stops
    return controller


def test_the_index_controller_refuses_a_folder_that_is_no_index_in_the_stores_words(
    qtbot, switcher, status, tmp_path, monkeypatch
):
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warned.append((title, text)))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.pdf").write_bytes(b"%PDF")
    switcher.open_folder(tmp_path / "docs")
    assert len(warned) == 1 and warned[0][0] == "Not a Kayak index"
    assert "is not a Kayak index (no catalog.sqlite)" in warned[0][1]
    assert status.text() == f"cannot open {tmp_path / 'docs'}: {warned[0][1]}"
    assert switcher.stops == [] and not switcher.busy and switcher.path == tmp_path / "first.kayak"


def test_the_index_controller_opens_then_switches_to_a_new_index(qtbot, switcher, tmp_path, encoder):
    with qtbot.waitSignal(switcher.opened, timeout=60000) as opened:
        switcher.open_current()
    first = opened.args[0]
    assert first.store.root.resolve() == (tmp_path / "first.kayak").resolve()
    switcher.set_collection(first)
    opening, shown = [], []
    switcher.opening.connect(opening.append)
    switcher.switched.connect(shown.append)
    with qtbot.waitSignal(switcher.switch_finished, timeout=60000) as finished:
        switcher.switch_index(tmp_path / "second.kayak", "default", create=True)
    assert finished.args == [True] and opening == [True, False] and not switcher.busy
    (coll,) = shown
    assert switcher.stops == ["stopped", "stopped"]  # before the switch, and for searches started meanwhile
    assert switcher.path == tmp_path / "second.kayak" and coll.store.manifest["model"] == "default"
    assert coll.encoder is encoder  # the same model: the loaded encoder is reused
    assert switcher.panel.current.text().startswith(f"opened {tmp_path / 'second.kayak'} (encoder ")


# -- compare backends -----------------------------------------------------------------------------------
def test_the_compare_controller_ranks_a_result_on_every_backend_and_on_qdrant(qtbot, runner, science, tmp_path):
    compare = widget(qtbot, CompareView())
    comparer = CompareController(runner, compare)
    comparer.set_collection(science)
    result = science.search("lava and ash", exhaustive_search_plan())
    comparer.set_result(result)
    with qtbot.assertNotEmitted(comparer.finished):
        comparer.refresh()  # the tab is hidden: nothing runs
    assert not runner.busy()
    with qtbot.waitSignal(comparer.finished, timeout=60000):
        comparer.set_active(True)  # the tab is shown
    assert compare.mismatches == 0 and compare.table.rowCount() == len(result.hits)
    assert "rankings identical" in compare.summary.text() and "Mojo: max |Δscore|" in compare.summary.text()

    compare.qdrant_target.setText(str(tmp_path / "qdrant"))  # Qdrant's local mode
    compare.qdrant_collection.setText("controller")
    compare.sync.click()  # exports the index, then compares again
    qtbot.waitUntil(lambda: "Qdrant: max |Δscore|" in compare.summary.text() and not runner.busy(), timeout=60000)
    assert "created 'controller': 3 sent, 0 removed, 3 points" in compare.qdrant_status.text()
    assert compare.mismatches == 0
    comparer.close()


def test_the_compare_controller_scores_an_index_that_keeps_two_tiers_on_both(qtbot, runner, tmp_path, encoder):
    both = Collection.open(tmp_path / "both.kayak", create=True, encoder=encoder, tier="compact-4", keep_exact=True)
    assert both.ingest([make_pdf(tmp_path / "science.pdf", PAGES)]).ok
    compare = widget(qtbot, CompareView())
    comparer = CompareController(runner, compare)
    comparer.set_collection(both)
    result = both.search("lava and ash", exhaustive_search_plan())
    assert result.stages[0].name == "exact_maxsim_compressed"
    comparer.set_result(result)
    with qtbot.waitSignal(comparer.finished, timeout=60000):
        comparer.set_active(True)
    headers = [compare.table.horizontalHeaderItem(c).text() for c in range(compare.table.columnCount())]
    assert [h for h in headers if h.startswith("exact ")][0].endswith("\nrank")
    summary = compare.summary.text()
    assert "(compact-4 vectors): rankings identical" in summary  # the executors agree on the tier they scored
    assert "on the exact vectors" in summary and f"of {len(result.hits)} hits shared" in summary
    stages = {compare.latency.item(r, 0).text() for r in range(compare.latency.rowCount())}
    assert {"exact_maxsim", "exact_maxsim_compressed", "total"} <= stages
    comparer.close()


# -- evaluate -------------------------------------------------------------------------------------------
def test_the_eval_controller_evaluates_the_search_bars_plan_against_a_baseline(
    qtbot, runner, status, new_collection, tmp_path
):
    from test_eval_view import write_beir

    beir = write_beir(tmp_path / "beir")
    coll = new_collection()
    assert coll.ingest([beir / "corpus.jsonl"]).ok
    view, bar = widget(qtbot, EvalView()), widget(qtbot, SearchBar())
    scope = {"where": None}

    def where():
        if isinstance(scope["where"], Exception):
            raise scope["where"]
        return scope["where"]

    evaluator = EvalController(runner, status, view, bar, where)
    evaluator.set_collection(coll)
    assert view.load_set(beir)
    bar.kind.setCurrentIndex(bar.kind.findData("exhaustive"))
    view.baseline.setCurrentText("A alone")
    with qtbot.waitSignal(evaluator.finished, timeout=60000):
        view.run_button.click()
    assert status.text() == "evaluated 5 queries"
    assert view.table.item(0, 0).text() == "ndcg@10" and view.run_button.isEnabled()
    qtbot.waitUntil(lambda: not runner.busy(), timeout=10000)

    scope["where"] = ValueError("select documents in the collection panel")
    with qtbot.assertNotEmitted(evaluator.finished):
        view.run_button.click()
    assert status.text() == "select documents in the collection panel" and not runner.busy()

    scope["where"] = None
    with qtbot.waitSignal(evaluator.finished, timeout=60000):
        view.run_button.click()
        evaluator.cancel()  # stops between two queries
    assert status.text() == "evaluation cancelled" and view.run_button.isEnabled()


# -- the layout -----------------------------------------------------------------------------------------
def test_the_layout_alone_keeps_its_settings_and_enables_what_the_index_allows(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.IniFormat)
    layout = widget(qtbot, WindowLayout(settings))
    assert [layout.tabs.tabText(i) for i in range(3)] == ["Selected hit", "Compare backends", "Evaluate"]
    assert not layout.search_bar.isEnabled() and not layout.collection_panel.add_files.isEnabled()
    layout.set_enabled(True, writable=False)  # a read-only index: search, never add
    assert layout.search_bar.isEnabled() and not layout.collection_panel.add_files.isEnabled()
    layout.set_enabled(True, writable=True)
    assert layout.collection_panel.add_files.isEnabled()
    layout.search_bar.final_k.setValue(7)
    layout.compare.qdrant_collection.setText("papers")
    layout.save_settings()
    again = widget(qtbot, WindowLayout(settings))
    assert again.search_bar.final_k.value() == 7 and again.compare.qdrant_collection.text() == "papers"


def test_candidate_k_defaults_to_2_root_n_and_an_old_default_100_follows(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.IniFormat)
    layout = widget(qtbot, WindowLayout(settings))
    bar = layout.search_bar
    assert bar.candidate_k.value() == 0 and bar.candidate_k.text() == "2√N" and bar.plan().candidate_k == 0
    settings.setValue("plan/candidate_k", 100)  # what the window saved before 2√N, chosen or not
    assert widget(qtbot, WindowLayout(settings)).search_bar.candidate_k.value() == 0
    bar.candidate_k.setValue(100)  # chosen now: kept
    layout.save_settings()
    assert widget(qtbot, WindowLayout(settings)).search_bar.candidate_k.value() == 100
