"""The window by keyboard: Tab walks search → plan → filter → hits → the tabs on the right → stages →
collection, leaving each table on one Tab; Edit ▸ Copy passage / Copy citation copy the selected hit."""

from __future__ import annotations

from conftest import make_pdf
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from workbench.gui.tab_order import focus_chain


def _ingest_and_search(qtbot, window, tmp_path, query: str = "lava") -> None:
    pdf = make_pdf(tmp_path / "earth.pdf", ["Glaciers carve valleys.", "Volcanoes erupt lava and ash."])
    other = make_pdf(tmp_path / "sea.pdf", ["Tides follow the moon."])
    with qtbot.waitSignal(window.ingest_finished, timeout=120000):
        window.collection_panel.add_requested.emit([str(pdf), str(other)])
    window.search_bar.query.setText(query)
    with qtbot.waitSignal(window.search_finished, timeout=60000):
        window.search_bar.query.returnPressed.emit()


def _panel_of(window, widget) -> str | None:
    panels = {
        "search": window.search_bar,
        "filter": window.filter_bar,
        "hits": window.hits,
        "tabs": window.tabs,
        "stages": window.stages,
        "collection": window.collection_panel,
    }
    return next((name for name, p in panels.items() if p is widget or p.isAncestorOf(widget)), None)


def test_tab_walks_search_plan_hits_detail_then_the_collection(qtbot, window, tmp_path):
    _ingest_and_search(qtbot, window, tmp_path)
    window.activateWindow()
    window.search_bar.query.setFocus()
    qtbot.waitUntil(window.search_bar.query.hasFocus, timeout=5000)
    table = window.collection_panel.table
    table.selectRow(0)
    selected_before = [i.row() for i in table.selectionModel().selectedRows()]
    visited = []
    for _ in range(120):
        qtbot.keyClick(QGuiApplication.focusObject(), Qt.Key.Key_Tab)
        w = QGuiApplication.focusObject()
        visited.append(w)
        if w is window.search_bar.query:
            break
    panels = [_panel_of(window, w) for w in visited]
    order = [p for i, p in enumerate(panels) if p is not None and (i == 0 or panels[i - 1] != p)]
    # each panel is one stretch of the walk, in the order a search is made and read
    assert order == ["search", "filter", "hits", "tabs", "stages", "collection", "search"], order
    assert window.search_bar.kind in visited and window.hits.tree in visited
    assert visited.count(table) == 1  # one Tab leaves the documents table ...
    assert [i.row() for i in table.selectionModel().selectedRows()] == selected_before  # ... and selects nothing


def test_the_focus_chain_holds_every_panel_once(qtbot, window):
    chain = focus_chain(window)
    assert len(chain) == len(set(chain)) and window.hits.tree in chain and window.search_bar.query in chain


def test_edit_menu_copies_the_passage_or_its_citation(qtbot, window, tmp_path):
    _ingest_and_search(qtbot, window, tmp_path)
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    copy_passage, copy_citation = edit.actions()
    window.hits.tree.clearSelection()
    assert not copy_passage.isEnabled() and not copy_citation.isEnabled()  # nothing selected, nothing to copy
    window.hits.selectRow(0)
    hit = window.hits.selected_hit()
    assert copy_passage.isEnabled() and copy_citation.isEnabled()
    copy_passage.trigger()
    assert QGuiApplication.clipboard().text() == f"{hit.text.strip()}\n— earth.pdf, page 2"
    window.activateWindow()
    window.hits.tree.setFocus()
    qtbot.waitUntil(window.hits.tree.hasFocus, timeout=5000)
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(
        window.hits.tree, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert QGuiApplication.clipboard().text() == f"earth.pdf, page 2 ({hit.path})"


def test_shift_tab_walks_back(qtbot, window):
    window.activateWindow()
    window.search_bar.go.setFocus()
    qtbot.waitUntil(window.search_bar.go.hasFocus, timeout=5000)
    qtbot.keyClick(window.search_bar.go, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.focusObject() is window.search_bar.query
    qtbot.keyClick(window.search_bar.query, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert _panel_of(window, QGuiApplication.focusObject()) == "collection"  # round the window, backwards
