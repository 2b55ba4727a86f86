"""The hit list's relevance signal (pytest-qt, offscreen): a cos column beside the score, "no good match" said
above the list for nonsense and not for a real question, weak hits behind a divider the keyboard steps
over (per document and per passage), and an index's floor learnt on a worker the first time."""

from __future__ import annotations

import os
import shutil

import pytest
from relevance_corpus import science_pdfs

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402

from workbench.collection import Collection  # noqa: E402
from workbench.collection.relevance_floor import learn_floor  # noqa: E402
from workbench.core.relevance import Floor, judge  # noqa: E402
from workbench.gui.hits_model import COS_COLUMN  # noqa: E402
from workbench.gui.hits_view import NO_GOOD_MATCH  # noqa: E402
from workbench.gui.relevance_judge import LEARNING  # noqa: E402

REAL = "lava and ash from a volcano"


@pytest.fixture(scope="module")
def science(tmp_path_factory, encoder):
    """An index of 24 one-sentence passages in three PDFs, its floor learnt (``idx``) and not (``fresh``)."""
    root = tmp_path_factory.mktemp("science")
    coll = Collection.open(root / "fresh", create=True, encoder=encoder)
    assert coll.ingest(science_pdfs(root)).ok
    shutil.copytree(root / "fresh", root / "idx")
    assert learn_floor(Collection.open(root / "idx", encoder=encoder)) is not None
    return root


def search(qtbot, searcher, coll, text: str):
    searcher.set_collection(coll)
    searcher.search_bar.query.setText(text)
    with qtbot.waitSignals([searcher.finished, searcher.detail_ready], timeout=60000):
        searcher.search_bar.search_requested.emit()
    return searcher.result


def test_nonsense_is_said_to_have_no_good_match_and_a_question_is_not(qtbot, searcher, science, encoder):
    coll = Collection.open(science / "idx", encoder=encoder)
    view, model = searcher.hits, searcher.hits.hits_model
    for nonsense in ("recipe for lasagna with spinach", "???"):
        result = search(qtbot, searcher, coll, nonsense)
        assert result.hits and model.no_good_match and view.no_match.isVisibleTo(view)
        assert view.no_match.text() == NO_GOOD_MATCH and model.divider_row() is None  # the line is the divider
        assert "floor" in view.no_match.toolTip() or "no letter or digit" in view.no_match.toolTip()
        assert "Mean cosine" in view.no_match.toolTip()
        assert view.selected_hit() is result.hits[0]  # the closest passages are still there to read

    result = search(qtbot, searcher, coll, REAL)
    assert model.relevance.good_match is True and not model.no_good_match and not view.no_match.isVisibleTo(view)
    top = model.index(0, COS_COLUMN)
    assert model.data(top) == f"{model.relevance.cosines[0]:.3f}" and model.data(model.index(0, 1)) == (
        f"{result.hits[0].score:.4f}"
    )
    header = model.headerData(COS_COLUMN, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "comparable across queries" in header.lower() and model.relevance.why in header
    searcher.clear()
    assert model.rowCount() == 0 and not view.no_match.isVisibleTo(view)


@pytest.mark.parametrize("per_document", [True, False])
def test_weak_hits_sit_behind_a_divider_the_keyboard_steps_over(qtbot, searcher, science, encoder, per_document):
    coll = Collection.open(science / "idx", encoder=encoder)
    result = search(qtbot, searcher, coll, REAL)
    view, model, tree = searcher.hits, searcher.hits.hits_model, searcher.hits.tree
    view.set_per_document(per_document)
    cosines = sorted(judge(result, None).cosines, reverse=True)
    floor = Floor((cosines[0] + cosines[1]) / 2, "between the first two", 120, 24)  # only the best hit is good
    relevance = judge(result, floor)
    model.set_relevance(relevance)
    divider = model.divider_row()
    assert divider == 1 and not model.no_good_match and not view.no_match.isVisibleTo(view)
    assert tree.isFirstColumnSpanned(divider, model.index(0, 0).parent())
    assert "below the relevance floor" in model.data(model.index(divider, 0)) and model.hit(divider) is None
    assert model.flags(model.index(divider, 0)) == Qt.ItemFlag.NoItemFlags
    weak = {h.passage_id for h, w in zip(result.hits, relevance.weak) if w}
    below = [model.hit(r) for r in range(divider + 1, model.rowCount())]
    assert below and all(h.passage_id in weak for h in below)

    view.selectRow(0)
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Down)
    assert tree.currentIndex().row() == divider + 1 and view.selected_hit() is below[0]  # stepped over
    qtbot.keyClick(tree, Qt.Key.Key_Up)
    assert tree.currentIndex().row() == 0 and view.selected_hit() is model.hit(0)
    assert model.index_of(below[0]).row() == divider + 1


def test_the_floor_is_learnt_on_a_worker_and_the_list_judged_again(qtbot, searcher, science, tmp_path, encoder):
    shutil.copytree(science / "fresh", tmp_path / "idx")
    coll = Collection.open(tmp_path / "idx", encoder=encoder)
    view, model = searcher.hits, searcher.hits.hits_model
    with qtbot.waitSignal(view.judge.learnt, timeout=120000):
        result = search(qtbot, searcher, coll, "recipe for lasagna with spinach")
        assert model.relevance.why == LEARNING and model.relevance.good_match is None
        assert not view.no_match.isVisibleTo(view)
    assert model.relevance.floor is not None and model.no_good_match and view.no_match.isVisibleTo(view)
    assert view.selected_hit() is result.hits[0]  # the selection survives the new judgement
