"""The hit list per document (pytest-qt, offscreen): a row per document with its copies' paths, "+N more"
expanding in place (keys included), the switch to passages, and the selection driving the detail."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402


@pytest.fixture
def copies(pdf_copies):
    return pdf_copies[0]


def search(qtbot, searcher, coll, text: str):
    searcher.set_collection(coll)
    bar = searcher.search_bar
    bar.kind.setCurrentIndex(bar.kind.findData("exhaustive"))
    bar.query.setText(text)
    with qtbot.waitSignals([searcher.finished, searcher.detail_ready], timeout=60000):
        bar.search_requested.emit()
    return searcher.result


def cell(model, index, col: int) -> str:
    return model.data(index.siblingAtColumn(col))


def test_a_row_per_document_lists_every_copy_and_expands_in_place(qtbot, searcher, copies):
    result = search(qtbot, searcher, copies, "lava and ash from a volcano")
    view, model = searcher.hits, searcher.hits.hits_model
    assert len(result.hits) == 7 and view.per_document and model.rowCount() == 2
    top = model.index(0, 0)
    assert model.hit(0) is result.hits[0] and cell(model, top, 0) == "1"
    assert cell(model, top, 3).splitlines() == ["a/guide.pdf", "b/guide.pdf", "+5 more in this document"]
    tip = model.data(top.siblingAtColumn(3), Qt.ItemDataRole.ToolTipRole)
    assert str(copies.store.root.parent / "a" / "guide.pdf") in tip and "b/guide.pdf" in tip
    assert cell(model, model.index(1, 0), 3) == "bread.pdf"
    assert model.rowCount(top) == 5 and model.rowCount(model.index(1, 0)) == 0
    children = [model.hit_at(model.index(r, 0, top)) for r in range(5)]
    assert [h.rank for h in children] == sorted(h.rank for h in result.hits[1:] if "guide" in h.path)
    assert "<b>" in cell(model, model.index(0, 0, top), 5)  # a child row has its own snippet

    tree = view.tree  # the first row is selected and its detail shown; Right/Enter unfold, Left folds
    assert view.selected_hit() is result.hits[0] and searcher.detail.alignment is result.alignment(result.hits[0])
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Right)
    assert tree.isExpanded(top)
    qtbot.keyClick(tree, Qt.Key.Key_Left)
    assert not tree.isExpanded(top)
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert tree.isExpanded(top)
    child = model.index(2, 0, top)
    with qtbot.waitSignal(searcher.detail_ready, timeout=60000):
        view.select(child)  # an unfolded hit shows itself in the detail
    assert searcher.detail.alignment is result.alignment(model.hit_at(child))
    assert str(model.hit_at(child).rank) in searcher.detail.passage.toPlainText()


def test_the_switch_shows_passages_and_keeps_the_selected_hit(qtbot, searcher, copies):
    result = search(qtbot, searcher, copies, "lava and ash from a volcano")
    view, model = searcher.hits, searcher.hits.hits_model
    chosen = model.hit_at(model.index(1, 0, model.index(0, 0)))
    with qtbot.waitSignal(searcher.detail_ready, timeout=60000):
        view.select(model.index(1, 0, model.index(0, 0)))
    switched = []
    view.view_changed.connect(switched.append)
    view.by_passage.click()
    assert switched == [False] and not view.per_document and model.rowCount() == len(result.hits) == 7
    assert [model.hit(r).rank for r in range(7)] == list(range(1, 8))
    assert model.rowCount(model.index(0, 0)) == 0 and view.selected_hit() is chosen
    assert cell(model, model.index(0, 0), 3) in ("a/guide.pdf", "b/guide.pdf")
    view.by_document.click()
    assert switched == [False, True] and model.rowCount() == 2 and view.selected_hit() is chosen
    searcher.clear()
    assert model.rowCount() == 0 and view.selected_hit() is None


def test_the_hit_list_fits_a_laptop_screen(qtbot, searcher, copies):
    search(qtbot, searcher, copies, "lava and ash from a volcano")
    tree = searcher.hits.tree
    tree.resize(620, 400)  # the hit list's share of a 1366 px window
    em = tree.fontMetrics().height()
    assert sum(tree.columnWidth(c) for c in range(5)) < 620 - 12 * em  # the snippet keeps most of the room
