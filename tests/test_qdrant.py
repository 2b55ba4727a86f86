"""Qdrant export, incremental sync and executor, against qdrant-client's local mode (Qdrant's own
in-process implementation; the same client calls as a server URL)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from conftest import make_pdf

from workbench.cluster.qdrant_export import ExportReport, exported_ids, iter_export
from workbench.cluster.qdrant_schema import connect, to_filter
from workbench.cluster.qdrant_search import qdrant_search
from workbench.core import (
    NUMPY_REFERENCE_BACKEND,
    PassageFilter,
    auto_search_plan,
    document_proxy_search_plan,
    exhaustive_search_plan,
    hybrid_search_plan,
    search_with_plan,
)
from workbench.core.generators import run_to_end

GEOLOGY = [
    "Volcanoes erupt when magma rises through the crust and vents as lava and ash.",
    "Glaciers carve U-shaped valleys as the ice grinds the rock beneath it.",
    "Earthquakes release stress stored where tectonic plates lock together.",
]
KITCHEN = [
    "Sourdough bread rises because wild yeast ferments the dough overnight.",
    "Coffee beans are roasted until their sugars caramelise and the oils surface.",
    "A roux of butter and flour thickens a sauce as it cooks.",
]
SEA = [
    "Tides follow the moon's pull on the oceans, twice a day on most coasts.",
    "Coral reefs grow from the skeletons of tiny animals in warm, shallow seas.",
]
QUERIES = [
    "why do volcanoes erupt",
    "how does bread rise",
    "what moves the tides",
    "ice carving valleys",
    "roasting coffee beans",
    "thickening a sauce",
]


@pytest.fixture
def exported(tmp_path, new_collection):
    (tmp_path / "earth").mkdir()
    (tmp_path / "home").mkdir()
    coll = new_collection()
    docs = [make_pdf(tmp_path / "earth" / "geology.pdf", GEOLOGY), make_pdf(tmp_path / "home" / "kitchen.pdf", KITCHEN)]
    assert coll.ingest(docs).ok
    client = connect(str(tmp_path / "qdrant"))
    report = run_to_end(iter_export(coll, client, "papers"))
    return coll, client, report, tmp_path


def test_export_writes_one_point_per_live_passage_with_its_payload(exported):
    coll, client, report, tmp_path = exported
    index = coll.late_index()
    assert report == ExportReport("papers", True, index.n_passages, 0, 0, index.n_passages)
    assert exported_ids(client, "papers") == set(index.passage_ids.tolist())
    pid = int(index.passage_ids[0])
    point = client.retrieve("papers", [pid], with_payload=True, with_vectors=True)[0]
    info = index.describe([pid])[0]
    assert point.payload["text"] == info.text and point.payload["page"] == info.page
    assert point.payload["file_type"] == "pdf" and str(tmp_path) in point.payload["folders"]
    tokens = np.asarray(point.vector["tokens"], dtype=np.float32)
    np.testing.assert_allclose(tokens, index.passage_vectors(0), atol=1e-3)  # float16 both sides
    np.testing.assert_allclose(point.vector["proxy"], index.proxy_vectors(0)[0], rtol=1e-5, atol=1e-6)


def test_a_second_export_only_sends_what_changed(exported):
    coll, client, first, tmp_path = exported
    again = run_to_end(iter_export(coll, client, "papers"))
    assert (again.created, again.upserted, again.deleted, again.kept) == (False, 0, 0, first.points)
    coll.remove([tmp_path / "home" / "kitchen.pdf"])
    assert coll.ingest([make_pdf(tmp_path / "sea.pdf", SEA)]).ok
    steps = []
    gen = iter_export(coll, client, "papers", batch=1)
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as done:
            sync = done.value
            break
    index = coll.late_index()
    assert sync.deleted == 3 and sync.upserted == 2 and steps == [(1, 2), (2, 2)]
    assert exported_ids(client, "papers") == set(index.passage_ids.tolist()) and sync.points == index.n_passages


def test_a_broken_connection_is_retried_then_reported_and_the_next_export_resumes(exported, monkeypatch):
    coll, client, _, tmp_path = exported
    assert coll.ingest([make_pdf(tmp_path / "sea.pdf", SEA)]).ok
    real, calls, pauses = client.upsert, [], []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= 6:  # batch 1: fails once, then passes; batch 2: fails every retry
            if len(calls) == 1 or len(calls) >= 3:
                raise ConnectionResetError("connection reset by peer")
        return real(*args, **kwargs)

    monkeypatch.setattr(client, "upsert", flaky)
    with pytest.raises(ConnectionError, match="run the same export again to resume"):
        run_to_end(iter_export(coll, client, "papers", batch=1, sleep=pauses.append))
    assert pauses == [0.5, 0.5, 2.0, 8.0]
    assert len(exported_ids(client, "papers")) == coll.late_index().n_passages - 1  # one batch landed
    resumed = run_to_end(iter_export(coll, client, "papers", sleep=pauses.append))
    assert resumed.upserted == 1 and resumed.points == coll.late_index().n_passages


def test_the_qdrant_executor_ranks_and_scores_as_the_local_backend(exported):
    coll, client, _, tmp_path = exported
    index = coll.late_index()
    plans = [
        exhaustive_search_plan(final_k=4),
        document_proxy_search_plan(final_k=3, candidate_k=5, query_vector_budget=0, document_vector_budget=0),
    ]
    where = PassageFilter(folders=(str(tmp_path / "earth"),))
    for text in QUERIES:
        query = coll.encode_query(text)
        for plan in plans:
            for flt in (None, where):
                local = search_with_plan(query, index, plan, NUMPY_REFERENCE_BACKEND, flt)
                remote = qdrant_search(query, index, client, "papers", plan, flt)
                assert [h.passage_id for h in remote.hits] == [h.passage_id for h in local.hits], (text, plan.kind)
                np.testing.assert_allclose(
                    [h.score for h in remote.hits], [h.score for h in local.hits], rtol=2e-3, atol=2e-3
                )  # float16 storage on both sides, other sums
                assert remote.backend == "qdrant-local" and remote.stages[-1].backend == "qdrant-local"
                assert remote.eligible == local.eligible
    filtered = qdrant_search(coll.encode_query("bread"), index, client, "papers", plans[0], where)
    assert {h.path for h in filtered.hits} == {str(tmp_path / "earth" / "geology.pdf")}
    with pytest.raises(ValueError, match="document_vector_budget 0"):
        qdrant_search(query, index, client, "papers", document_proxy_search_plan())
    with pytest.raises(ValueError, match="runs the plans auto, exhaustive, document_proxy"):
        qdrant_search(query, index, client, "papers", hybrid_search_plan())


def test_the_auto_plan_on_qdrant_resolves_to_a_plan_it_runs_and_says_which(exported, monkeypatch):
    import workbench.cluster.qdrant_search as qs

    coll, client, _, tmp_path = exported
    index = coll.late_index()
    query = coll.encode_query("why do volcanoes erupt")
    plan = auto_search_plan(final_k=3, candidate_k=4)
    small = qdrant_search(query, index, client, "papers", plan)
    exact = qdrant_search(query, index, client, "papers", exhaustive_search_plan(final_k=3))
    assert small.plan.kind == "exhaustive" and small.requested == plan
    assert "auto chose exact MaxSim on Qdrant" in small.stages[0].note
    assert [h.passage_id for h in small.hits] == [h.passage_id for h in exact.hits]
    monkeypatch.setitem(qs.AUTO_EXACT_PAIRS, NUMPY_REFERENCE_BACKEND, 10)  # as if the collection were large
    large = qdrant_search(query, index, client, "papers", plan, PassageFilter(folders=(str(tmp_path / "earth"),)))
    assert large.plan.kind == "document_proxy" and large.plan.candidate_k == 4 and large.plan.final_k == 3
    assert "staged plan" in large.stages[0].note and large.requested == plan
    scaled = qdrant_search(query, index, client, "papers", auto_search_plan(final_k=3))  # candidate_k 0: 2√N
    n = index.n_passages
    assert scaled.plan.candidate_k == 100 and scaled.requested.candidate_k == 0  # 2√N is under 100 here
    root = math.ceil(2 * math.sqrt(n))
    assert f"then MaxSim on 100 candidates (2√N of {n:,} passages is {root}, raised to 100)" in scaled.stages[0].note
    assert {h.path for h in large.hits} == {str(tmp_path / "earth" / "geology.pdf")}


def test_the_cli_exports_then_searches_on_qdrant(exported):
    import json
    import subprocess
    import sys

    coll, _, _, tmp_path = exported

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "workbench.cli", *map(str, args)], capture_output=True, text=True)

    target = tmp_path / "qdrant-cli"
    out = cli("export", "--index", coll.store.root, "--qdrant", target, "--collection", "c", "--quiet")
    assert out.returncode == 0, out.stderr
    n = coll.late_index().n_passages
    assert f"created Qdrant collection 'c': {n} passages uploaded, 0 removed, 0 already there; {n} points" in out.stdout
    found = cli(
        "search",
        "why do volcanoes erupt",
        "--index",
        coll.store.root,
        "--backend",
        "qdrant",
        "--qdrant",
        target,
        "--collection",
        "c",
        "--plan",
        "exhaustive",
        "--final-k",
        "2",
        "--json",
    )
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert result["backend"] == "qdrant-local" and result["hits"][0]["page"] == 1
    assert result["hits"][0]["path"].endswith("geology.pdf")
    on_auto = cli(
        "search", "why do volcanoes erupt", "--index", coll.store.root, "--backend", "qdrant",
        "--qdrant", target, "--collection", "c", "--json",
    )  # fmt: skip
    assert on_auto.returncode == 0, on_auto.stderr  # the default plan, auto, resolves to one Qdrant runs
    result = json.loads(on_auto.stdout)
    assert result["hits"][0]["path"].endswith("geology.pdf")
    assert "auto chose exact MaxSim on Qdrant" in result["stages"][0]["note"]
    missing = cli("search", "x", "--index", coll.store.root, "--backend", "qdrant")
    assert missing.returncode == 2 and "--qdrant URL_OR_PATH and --collection" in missing.stderr


def test_without_qdrant_client_the_cli_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    from workbench.cli import main

    monkeypatch.setitem(sys.modules, "qdrant_client", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "qdrant_client.models", None)
    assert main(["export", "--index", str(tmp_path / "idx"), "--qdrant", str(tmp_path / "q"), "--collection", "c"]) == 1
    err = capsys.readouterr().err
    assert (
        "needs the package qdrant-client, which is not installed: pip install --no-deps -r requirements-cluster.lock"
        in err
    )
    assert len(err.strip().splitlines()) == 1


def test_query_syntax_conditions_are_refused_not_ignored():
    """Required phrases and exclusions live in the catalog's text index: a Qdrant filter that dropped
    them would return passages the query excludes, so it refuses in words instead."""
    with pytest.raises(ValueError, match="Qdrant cannot apply them"):
        to_filter(PassageFilter(excludes=("difflib",)))
    with pytest.raises(ValueError, match="Qdrant cannot apply them"):
        to_filter(PassageFilter(folders=("/docs",), contains=("a phrase",)))
