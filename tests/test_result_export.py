"""Results kept as files: CSV one row per hit, JSON the whole result, both with the mean cosine beside the
score (MaxSim over the query vectors scored) — the number comparable across queries."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import make_pdf

from workbench.collection.result_export import CSV_COLUMNS, write_results
from workbench.core import exhaustive_search_plan, hybrid_search_plan
from workbench.core.relevance import mean_cosine

PAGES = ["Volcanoes erupt lava and ash when magma rises.", "Glaciers carve valleys.", "Bees pollinate flowers."]


@pytest.fixture
def coll(new_collection, tmp_path):
    c = new_collection()
    assert c.ingest([make_pdf(tmp_path / "earth.pdf", PAGES)]).ok
    return c


def test_csv_has_a_row_per_hit_with_its_mean_cosine(coll, tmp_path):
    result = coll.search("where does lava come from", exhaustive_search_plan(final_k=3))
    written = write_results(result, tmp_path / "out.csv")
    with open(written, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS and [int(r["rank"]) for r in rows] == [1, 2, 3]
    top = result.hits[0]
    nq = result.stages[-1].query_vectors
    assert rows[0]["path"] == top.path and int(rows[0]["page"]) == 1 and "lava" in rows[0]["text"]
    assert float(rows[0]["mean_cosine"]) == pytest.approx(top.score / nq, abs=1e-6)
    assert -1.0 <= float(rows[0]["mean_cosine"]) <= 1.0 and rows[0]["plan"] == "exhaustive"


def test_json_is_the_whole_result_and_a_bare_name_becomes_json(coll, tmp_path):
    result = coll.search("glaciers", hybrid_search_plan(final_k=2, candidate_k=3))
    written = write_results(result, tmp_path / "out")
    assert written.name == "out.json"
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data["query"] == "glaciers" and data["plan"]["kind"] == "hybrid"
    assert [s["name"] for s in data["stages"]] == [s.name for s in result.stages]
    hit = result.hits[0]
    assert data["hits"][0]["passage_id"] == hit.passage_id and data["hits"][0]["page_label"] == ""
    # a fused score is no MaxSim: the mean cosine comes from the hit's MaxSim part
    assert data["hits"][0]["mean_cosine"] == pytest.approx(round(mean_cosine(result, hit), 6))
    assert mean_cosine(result, hit) == pytest.approx(hit.parts.maxsim / result.stages[2].query_vectors)


def test_the_window_exports_what_it_shows(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    with qtbot.waitSignal(window.ingest_finished, timeout=120000):
        window.collection_panel.add_requested.emit([str(make_pdf(tmp_path / "earth.pdf", PAGES))])
    assert not window.export_action.isEnabled()  # nothing shown yet
    window.search_bar.query.setText("lava")
    with qtbot.waitSignal(window.search_finished, timeout=60000):
        window.search_bar.query.returnPressed.emit()
    assert window.export_action.isEnabled()
    target = tmp_path / "kept.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "CSV"))
    window.export_action.trigger()
    with open(target, newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == len(window.result.hits)
    assert window.status.text() == f"exported {len(window.result.hits)} hits to {target}"
    as_json = tmp_path / "kept.json"  # the JSON carries the list's verdict against the index's floor
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(as_json), "JSON"))
    window.export_action.trigger()
    shown = window.hits.hits_model.relevance
    assert shown is not None and json.loads(as_json.read_text(encoding="utf-8"))["relevance"] == shown.to_dict()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "no" / "such" / "x.csv"), ""))
    window.export_action.trigger()
    assert window.status.text().startswith("could not export:")
