"""Compact storage tiers: an index converted to coded segments searches on its compressed vectors, takes
new documents coded, merges and removes as before, converts back; a conversion stopped midway leaves the
old index whole; a garbled code is refused where a search reads it, and a coded segment found damaged
when it is listed is refused in one line and its documents handed back."""

from __future__ import annotations

import numpy as np
import pytest
from test_centroid_store import MORE, TOPICS, write

from workbench.core import centroid_search_plan, exhaustive_search_plan
from workbench.core.backends import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND
from workbench.core.residual_vectors import ResidualVectors
from workbench.core.segmented import SegmentedVectors
from workbench.store.compaction import convert_tier
from workbench.store.merge import MergeStopped
from workbench.store.segment_listing import list_segments
from workbench.store.segments import coded_bits


def parts(index):
    v = index.vectors
    return list(v.segments) if isinstance(v, SegmentedVectors) else [v]


def ranking(coll, text, plan):
    return [(h.path.rsplit("/", 1)[-1], round(h.score, 3)) for h in coll.search(text, plan).hits]


@pytest.mark.parametrize("tier", ["compact-4", "compact-2"])
def test_a_converted_index_searches_its_coded_vectors(tmp_path, new_collection, encoder, tier):
    from workbench.collection import Collection

    coll = new_collection(tier="exact")
    assert coll.ingest(write(tmp_path, TOPICS)).ok
    exact = coll.search("magma and lava", exhaustive_search_plan(final_k=3))
    with coll.store.writer():
        assert convert_tier(coll.store, tier) >= 1
    again = Collection.open(coll.store.root, encoder=encoder)
    assert again.store.tier == tier
    assert all(coded_bits(f) == int(tier[-1]) for f in again.store.catalog.segment_files())
    index = again.late_index()
    assert all(isinstance(p, ResidualVectors) for p in parts(index))
    for plan in (exhaustive_search_plan(final_k=3), centroid_search_plan(final_k=3, candidate_k=3, n_probe=8)):
        hits = again.search("magma and lava", plan).hits
        assert hits[0].path.endswith("volcano.txt")
        assert hits[0].score == pytest.approx(exact.hits[0].score, abs=0.05 if tier == "compact-2" else 0.02)
    # the token view of a hit reads its decoded vectors
    top = again.search("magma and lava", exhaustive_search_plan(final_k=1)).hits[0]
    d = index.passage_vectors(top.row)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1, atol=1e-5)


def test_new_documents_merges_and_removal_on_a_compact_index(tmp_path, new_collection, encoder):
    from workbench.collection import Collection

    coll = new_collection(tier="exact")
    coll.ingest(write(tmp_path, TOPICS))
    with coll.store.writer():
        convert_tier(coll.store, "compact-4")
    coll = Collection.open(coll.store.root, encoder=encoder)
    assert coll.ingest(write(tmp_path, MORE)).ok
    files = coll.store.catalog.segment_files()
    assert files and all(coded_bits(f) == 4 for f in files)  # coded as they were written
    hits = coll.search("spring tides and the moon", exhaustive_search_plan(final_k=1)).hits
    assert hits[0].path.endswith("ocean.txt")
    with coll.store.writer():
        coll.store.compact()  # a full merge copies coded rows
    (merged,) = coll.store.catalog.segment_files()
    assert coded_bits(merged) == 4
    assert coll.search("offside rule", exhaustive_search_plan(final_k=1)).hits[0].path.endswith("football.txt")
    coll.remove([str(tmp_path / "football.txt")])
    assert all(not h.path.endswith("football.txt") for h in coll.search("offside", exhaustive_search_plan()).hits)
    with coll.store.writer():
        convert_tier(coll.store, "exact")
    back = Collection.open(coll.store.root, encoder=encoder)
    assert back.store.tier == "exact" and all(coded_bits(f) == 0 for f in back.store.catalog.segment_files())
    assert back.search("magma", exhaustive_search_plan(final_k=1)).hits[0].path.endswith("volcano.txt")


def test_a_stopped_conversion_leaves_the_old_index_whole(tmp_path, new_collection, encoder, monkeypatch):
    import workbench.store.compaction as compaction
    from workbench.collection import Collection

    coll = new_collection(tier="exact")
    coll.ingest(write(tmp_path, TOPICS))
    coll.ingest(write(tmp_path, MORE))
    before = sorted(coll.store.catalog.segment_files())
    assert len(before) >= 2
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise MergeStopped("stopped")
        return original(*args, **kwargs)

    original = compaction._rewrite
    monkeypatch.setattr(compaction, "_rewrite", fail_on_second)
    with coll.store.writer(), pytest.raises(MergeStopped):
        convert_tier(coll.store, "compact-4")
    again = Collection.open(coll.store.root, encoder=encoder)
    assert again.store.tier == "exact" and sorted(again.store.catalog.segment_files()) == before
    on_disk = sorted(p.name for p in (coll.store.root / "segments").iterdir())
    assert on_disk == before  # the coded file written before the stop was removed
    assert again.search("magma", exhaustive_search_plan(final_k=1)).hits[0].path.endswith("volcano.txt")


def _garble_a_code(coll):
    """Write a code far past the centroid table into row 3 of the index's one coded segment."""
    (name,) = coll.store.catalog.segment_files()
    path = coll.store.root / "segments" / name
    rows = np.load(path)
    rows[3, :4] = np.array([10**6], "<i4").view(np.uint8)
    np.save(path, rows)
    return name


@pytest.mark.parametrize("backend", [NUMPY_REFERENCE_BACKEND, MOJO_EXACT_CPU_BACKEND])
def test_a_garbled_code_is_refused_where_a_search_reads_it_never_read_past(tmp_path, new_collection, encoder, backend):
    from workbench.collection import Collection

    coll = new_collection(tier="exact")
    coll.ingest(write(tmp_path, TOPICS))
    with coll.store.writer():
        convert_tier(coll.store, "compact-4")
    _garble_a_code(coll)
    again = Collection.open(coll.store.root, encoder=encoder)  # opening reads no code: instant at any size
    assert again.late_index().n_passages == 3
    with pytest.raises(ValueError, match="centroid code lies outside"):  # one line, no traceback of the kernel
        again.search("magma", exhaustive_search_plan(final_k=3), backend=backend)


def test_a_writer_that_lists_a_garbled_segment_hands_its_documents_back(tmp_path, new_collection, encoder):
    from workbench.collection import Collection

    coll = new_collection(tier="exact")
    coll.ingest(write(tmp_path, TOPICS))
    with coll.store.writer():
        convert_tier(coll.store, "compact-4")
    name = _garble_a_code(coll)
    (coll.store.root / "centroids" / coll.store.centroids.version / f"lists-{name}").unlink()  # not listed yet
    again = Collection.open(coll.store.root, encoder=encoder)
    store = again.store
    with store.writer():  # the step that lists a new segment checks all its codes
        dropped = list_segments(store.centroids, store.catalog, store.segments())
    assert sorted(p.rsplit("/", 1)[-1] for p, _ in dropped) == sorted(TOPICS)
    assert all("centroid codes outside the centroid table" in why for _, why in dropped)
    assert again.late_index().n_passages == 0  # left out, never misread
    assert again.ingest(write(tmp_path, TOPICS)).ok  # handed back as failed: the next ingest restores them
    assert again.search("magma", exhaustive_search_plan(final_k=1)).hits[0].path.endswith("volcano.txt")


def test_a_new_compact_index_codes_its_first_ingest_and_grows_its_centroids(tmp_path, encoder, monkeypatch):
    import workbench.store.centroid_store as cs
    from workbench.collection import Collection

    coll = Collection.open(tmp_path / "c.kayak", create=True, encoder=encoder, tier="compact-2")
    assert coll.ingest(write(tmp_path, TOPICS)).ok
    # written as float16 before any centroids existed, coded by the first training
    assert [coded_bits(f) for f in coll.store.catalog.segment_files()] == [2]
    info = coll.info()
    assert info["storage_tier"] == "compact-2" and info["bytes_per_vector"] == 36
    assert info["bytes_per_token"]["coded_row"] == 36 and "exact_vector" not in info["bytes_per_token"]
    first = np.array(coll.late_index().centroid_index.centroids)
    monkeypatch.setattr(cs, "GROWTH", 1)  # any growth retrains
    assert coll.ingest(write(tmp_path, MORE)).ok
    grown = coll.late_index().centroid_index.centroids
    assert grown.shape[0] > first.shape[0]
    np.testing.assert_array_equal(grown[: first.shape[0]], first)  # the codes written before still hold
    for text, doc in (("magma and lava", "volcano.txt"), ("neap tides", "ocean.txt")):
        assert coll.search(text, exhaustive_search_plan(final_k=1)).hits[0].path.endswith(doc)


def test_the_command_line_creates_converts_and_describes_tiers(tmp_path):
    import json

    from test_cli import run

    (tmp_path / "a.txt").write_text(TOPICS["volcano.txt"])
    idx = tmp_path / "idx"
    run("ingest", tmp_path / "a.txt", "--index", idx, "--tier", "compact-4", "--quiet", check_rc=0)
    info = json.loads(run("info", "--index", idx, "--json", check_rc=0).stdout)
    assert info["storage_tier"] == "compact-4" and info["bytes_per_vector"] == 68
    wrong = run("ingest", tmp_path / "a.txt", "--index", idx, "--tier", "exact", "--quiet", check_rc=2)
    assert "workbench compact --index" in wrong.stderr
    out = run("compact", "--index", idx, "--tier", "exact", check_rc=0).stdout
    assert "compact-4 → exact; 1 segments rewritten" in out
    info = json.loads(run("info", "--index", idx, "--json", check_rc=0).stdout)
    assert info["storage_tier"] == "exact" and info["bytes_per_vector"] == 256
    hits = json.loads(run("search", "magma", "--index", idx, "--json", check_rc=0).stdout)["hits"]
    assert hits[0]["path"].endswith("a.txt")


def test_profiles_say_the_compressed_vectors_were_scored(tmp_path, new_collection):
    coll = new_collection(tier="exact")
    coll.ingest(write(tmp_path, TOPICS))
    plans = (
        exhaustive_search_plan(final_k=2),
        centroid_search_plan(final_k=2, candidate_k=3, n_probe=8),
        centroid_search_plan(final_k=2, candidate_k=3, n_probe=8, rerank_vectors="residual"),
    )
    assert [coll.search("magma", p).stages[-1].name for p in plans] == [
        "exact_maxsim",
        "stage2:exact_maxsim",
        "stage2:exact_maxsim_residual",
    ]
    with coll.store.writer():
        convert_tier(coll.store, "compact-4")
    results = [coll.search("magma", p) for p in plans]
    assert [r.stages[-1].name for r in results] == [
        "exact_maxsim_compressed",
        "stage2:exact_maxsim_compressed",
        "stage2:exact_maxsim_compressed",  # a compact index's vectors are its residuals already
    ]
    for r in results:  # the heatmap's alignment scores the same vectors as the ranking
        assert r.alignment(r.hits[0]).score == pytest.approx(r.hits[0].score, abs=1e-4)


CONVERT_CHILD = """
import sys, time
import workbench.store.compaction as compaction
from workbench.store import IndexStore
compaction.CODE_CHUNK = 2048
real = compaction.code_into
compaction.code_into = lambda *a: (time.sleep(0.02), real(*a))[1]     # a conversion long enough to be killed in
store = IndexStore.open(__import__("pathlib").Path(sys.argv[1]))
with store.writer():
    print("converting", flush=True)
    compaction.convert_tier(store, "compact-4")
print("done", flush=True)
"""


def test_kill_9_at_any_moment_of_a_conversion_leaves_an_index_in_one_tier(tmp_path):
    """A converting writer killed at moments spread over its run: each time the index opens with all of its
    documents, in the old tier with the same results or in the new one whole; the next run finishes."""
    import subprocess
    import sys

    from conftest import kill_child_after, synthetic_store, train_now
    from test_merge import top_hits

    from workbench.core import LateQuery
    from workbench.store import IndexStore

    root = tmp_path / "ix"
    store = synthetic_store(root, 300, 200, segments=6)
    with store.writer():
        train_now(store)
    rng = np.random.default_rng(3)
    query = LateQuery(rng.standard_normal((8, 128)).astype(np.float32), tuple("q" * 8), "q", "nested")
    before = top_hits(store, query)
    killed_during = 0
    for delay in (0.0, 0.1, 0.3, 0.6, 1.0):
        killed_during += kill_child_after(CONVERT_CHILD, root, "converting", delay)
        again = IndexStore.open(root)
        with again.writer():  # the next writer tidies what the killed one left
            assert again.catalog.counts()["documents"] == 300 and again.catalog.counts()["passages"] == 300
        if again.tier == "exact":
            assert top_hits(again, query) == before
        else:
            break
    assert killed_during >= 2, "the conversion finished before it could be killed; make the test index larger"
    done = subprocess.run([sys.executable, "-c", CONVERT_CHILD, str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    final = IndexStore.open(root)
    assert final.tier == "compact-4" and final.catalog.counts()["passages"] == 300
    assert all(coded_bits(f) == 4 for f in final.catalog.segment_files())
    leftovers = [p.name for p in (root / "segments").iterdir() if p.name not in final.catalog.segment_files()]
    assert leftovers == []
    exact_top = {pid for pid, _ in before}
    assert len(exact_top & {pid for pid, _ in top_hits(final, query)}) >= 8  # the compressed vectors' top-10
