"""The evaluation tab: a BEIR set loaded from its folder, two plans evaluated with progress, the table
and the per-query difference plot showing exactly what ``iter_compare`` computed."""

from __future__ import annotations

import json
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from workbench.core import exhaustive_search_plan, hybrid_search_plan  # noqa: E402
from workbench.gui.eval_view import EvalView, find_beir_files  # noqa: E402
from workbench.measure.evaluation import QUALITY, iter_compare  # noqa: E402

DOCS = {
    "g": "glaciers carve valleys in the rock as the ice grinds",
    "b": "bread dough rises with yeast overnight",
    "v": "volcanoes erupt lava and ash from magma",
    "s": "the sun is a star of hydrogen and helium",
    "t": "tides follow the moon's pull on the oceans",
    "c": "coffee beans are roasted before grinding",
}
QUERIES = {
    "1": "yeast in bread",
    "2": "ice carving valleys",
    "3": "lava from volcanoes",
    "4": "what pulls the tides",
    "5": "roasting coffee",
    "6": None,
}


@pytest.fixture
def beir(tmp_path):
    return write_beir(tmp_path / "tiny-beir")


def write_beir(folder):
    """A six-document BEIR set (corpus, queries with one null text, qrels/test.tsv) in ``folder``."""
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in DOCS.items())
    )
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": k, "text": v}) + "\n" for k, v in QUERIES.items()))
    judged = {"1": "b", "2": "g", "3": "v", "4": "t", "5": "c", "6": "s"}
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in judged.items())
    )
    return folder


def test_a_beir_set_is_found_from_its_folder_or_its_queries_file(beir, tmp_path):
    assert find_beir_files(beir) == (beir / "queries.jsonl", beir / "qrels" / "test.tsv")
    assert find_beir_files(beir / "queries.jsonl")[1] == beir / "qrels" / "test.tsv"
    with pytest.raises(ValueError, match="no queries.jsonl"):
        find_beir_files(tmp_path)
    (tmp_path / "queries.jsonl").write_text("")
    with pytest.raises(ValueError, match="has no qrels"):
        find_beir_files(tmp_path)


def test_the_tab_shows_what_iter_compare_computed(qtbot, beir, tmp_path, new_collection):
    coll = new_collection()
    coll.ingest([beir / "corpus.jsonl"])
    view = EvalView()
    qtbot.addWidget(view)
    assert not view.load_set(tmp_path) and not view.run_button.isEnabled()
    assert "cannot use" in view.source.text()
    assert view.load_set(beir) and view.run_button.isEnabled()
    assert view.source.text() == "tiny-beir: 6 queries, 6 judged"
    plan_a = hybrid_search_plan(final_k=3, candidate_k=3, lexical_k=3)
    view.baseline.setCurrentText("A, MaxSim only")
    a_plan, b_plan = view.plans(plan_a)
    assert a_plan is plan_a and b_plan.fusion == "none" and b_plan.candidate_k == 3
    view.baseline.setCurrentText("A without stage 3")
    assert view.plans(plan_a)[1] is None  # A has no stage 3: nothing to compare with
    view.baseline.setCurrentText("exhaustive MaxSim")
    a_plan, b_plan = view.plans(plan_a)
    assert b_plan == exhaustive_search_plan(3, plan_a.query_vector_budget, plan_a.document_vector_budget)

    gen = iter_compare(coll, view.queries, view.qrels, a_plan, b_plan, "numpy")
    steps = []
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as done:
            a, b, diff = done.value
            break
    # progress per query (5 searchable, the null one skipped), plan A then plan B
    assert [s[0] for s in steps] == ["A"] * 5 + ["B"] * 5 and steps[-1][2] == 6
    view.set_running(True)
    view.set_progress(*steps[3])
    assert view.progress.isVisible() is False or view.progress.value() == steps[3][1]
    view.show_runs(a, b, diff)
    assert view.run_button.isEnabled() and not view.progress.isVisible()
    table = {
        view.table.item(r, 0).text(): [view.table.item(r, c).text() for c in range(1, 4)] for r in range(len(QUALITY))
    }
    d = diff["ndcg@10"]
    assert table["ndcg@10"][0] == f"{a['ndcg@10']:.3f}\n[{a['ci95']['ndcg@10'][0]:.3f}, {a['ci95']['ndcg@10'][1]:.3f}]"
    assert table["ndcg@10"][2] == (
        f"{d['mean']:+.3f}\n[{d['low']:+.3f}, {d['high']:+.3f}]\n{d['wins']} / {d['losses']} / {d['ties']}"
    )
    per = sorted((a["per_query"][q]["ndcg@10"] - b["per_query"][q]["ndcg@10"] for q in a["per_query"]), reverse=True)
    assert view.plotted_differences() == pytest.approx(per)
    assert "5 queries" in view.summary.text() and "1 skipped" in view.summary.text()
    assert "B: exhaustive" in view.summary.text()
    view.show_runs(a, None, None)  # A alone: no B column, no plot
    assert view.plotted_differences() == [] and view.table.item(0, 2) is None
