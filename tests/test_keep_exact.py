"""A compact index that keeps its exact vectors (``--keep-exact``): float16 segments plus derived codes of the
tier's bits; searches score the compressed vectors — the same scores as the compact tier itself — unless
asked for the exact ones, so one query is scored on both tiers of one index."""

from __future__ import annotations

import json

import pytest
from test_centroid_store import MORE, TOPICS, write

from workbench.core import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND, available_backends, exhaustive_search_plan
from workbench.core.residual_vectors import ResidualVectors
from workbench.store.compaction import convert_tier
from workbench.store.segments import coded_bits

QUERY = "magma and lava"
BACKENDS = [NUMPY_REFERENCE_BACKEND] + (
    [MOJO_EXACT_CPU_BACKEND] if available_backends()[MOJO_EXACT_CPU_BACKEND][0] else []
)


def scores(coll, backend=NUMPY_REFERENCE_BACKEND, tier=None, plan=None):
    result = coll.search(QUERY, plan or exhaustive_search_plan(final_k=10), backend, tier=tier)
    return {h.passage_id: h.score for h in result.hits}, [s.name for s in result.stages]


def keep_exact_collection(tmp_path, encoder, tier="compact-4"):
    from workbench.collection import Collection

    coll = Collection.open(tmp_path / "both.kayak", create=True, encoder=encoder, tier=tier, keep_exact=True)
    assert coll.ingest(write(tmp_path, TOPICS)).ok
    return coll


@pytest.mark.parametrize("tier", ["compact-4", "compact-2"])
def test_one_query_is_scored_on_both_tiers_and_the_compressed_side_is_the_compact_tier(tmp_path, encoder, tier):
    from workbench.collection import Collection

    coll = keep_exact_collection(tmp_path, encoder, tier)
    assert coll.store.tier == tier and coll.store.keeps_exact and coll.scored_tiers == [tier, "exact"]
    assert all(coded_bits(f) == 0 for f in coll.store.catalog.segment_files())  # float16 segments stay
    assert coll.store.centroids.coding(coll.dim)[1].nbits == int(tier[-1])  # derived codes of the tier's bits
    assert isinstance(coll.late_index().vectors, ResidualVectors)
    exact, exact_stages = scores(coll, tier="exact")
    compressed, stages = scores(coll)
    assert stages == ["exact_maxsim_compressed"] and exact_stages == ["exact_maxsim"]
    assert set(compressed) == set(exact)
    assert any(abs(compressed[p] - exact[p]) > 1e-4 for p in exact)  # different vectors were scored…
    assert all(abs(compressed[p] - exact[p]) < 0.05 for p in exact)  # … close to each other
    with pytest.raises(ValueError, match="keeps its vectors in the"):
        coll.search(QUERY, exhaustive_search_plan(), tier="compact-2" if tier == "compact-4" else "compact-4")

    # Dropping the float16 vectors codes the segments with the same centroids and codec: the compact tier then
    # scores exactly what the compressed side scored, on every backend (Mojo scores the packed codes).
    before = {b: scores(coll, b)[0] for b in BACKENDS}
    with coll.store.writer():
        assert convert_tier(coll.store, tier) == 1
    compact = Collection.open(coll.store.root, encoder=encoder)
    assert not compact.store.keeps_exact and compact.scored_tiers == [tier]
    assert all(coded_bits(f) == int(tier[-1]) for f in compact.store.catalog.segment_files())
    for b in BACKENDS:
        got = scores(compact, b)[0]
        assert got.keys() == before[b].keys()
        for p, s in got.items():
            assert s == pytest.approx(before[b][p], abs=1e-5)
    with pytest.raises(ValueError, match="--keep-exact keeps both"):
        compact.search(QUERY, exhaustive_search_plan(), tier="exact")


def test_growth_merges_and_conversions_keep_both_tiers(tmp_path, encoder, new_collection):
    from workbench.collection import Collection

    coll = keep_exact_collection(tmp_path, encoder)
    assert coll.ingest(write(tmp_path, MORE)).ok
    with coll.store.writer():
        coll.store.compact()  # a full merge carries the derived codes and residuals along
    (merged,) = coll.store.catalog.segment_files()
    assert coded_bits(merged) == 0
    version = coll.store.centroids.version
    assert (coll.store.root / "centroids" / version / f"residuals-{merged}").exists()
    ocean = coll.search("spring tides and the moon", exhaustive_search_plan(final_k=1))
    assert ocean.hits[0].path.endswith("ocean.txt") and ocean.stages[0].name == "exact_maxsim_compressed"
    exact = coll.search("spring tides and the moon", exhaustive_search_plan(final_k=1), tier="exact")
    assert exact.hits[0].path.endswith("ocean.txt") and exact.stages[0].name == "exact_maxsim"

    # an exact index converted to keep both: its segments stay as they are, codes of the tier's bits are derived
    plain = new_collection("plain.kayak", tier="exact")
    plain.ingest(write(tmp_path, TOPICS))
    files = plain.store.catalog.segment_files()
    reference = scores(plain)[0]
    with plain.store.writer():
        assert convert_tier(plain.store, "compact-4", keep_exact=True) == 0
    both = Collection.open(plain.store.root, encoder=encoder)
    assert both.store.tier == "compact-4" and both.store.keeps_exact
    assert both.store.catalog.segment_files() == files
    assert both.store.centroids.coding(both.dim)[1].nbits == 4
    assert scores(both, tier="exact")[0] == reference
    assert scores(both)[1] == ["exact_maxsim_compressed"]
    with both.store.writer():  # and back to exact: nothing to rewrite, the flag goes
        assert convert_tier(both.store, "exact") == 0
    back = Collection.open(plain.store.root, encoder=encoder)
    assert back.store.tier == "exact" and not back.store.keeps_exact and scores(back)[0] == reference


def test_a_compact_index_converted_to_keep_its_exact_vectors_decodes_them_once(tmp_path, encoder, new_collection):
    from workbench.collection import Collection

    coll = new_collection(tier="compact-4")
    coll.ingest(write(tmp_path, TOPICS))
    coded = scores(coll)[0]
    with coll.store.writer():
        assert convert_tier(coll.store, "compact-4", keep_exact=True) == 1
    both = Collection.open(coll.store.root, encoder=encoder)
    assert both.store.keeps_exact and all(coded_bits(f) == 0 for f in both.store.catalog.segment_files())
    # the float16 vectors are the decoded ones (the originals were never kept), coded again to the same rows
    got = scores(both)[0]
    assert got.keys() == coded.keys()
    assert all(abs(got[p] - coded[p]) < 2e-3 for p in got)


def test_the_command_line_keeps_both_tiers_and_searches_either(tmp_path):
    from test_cli import run

    (tmp_path / "a.txt").write_text(TOPICS["volcano.txt"])
    idx = tmp_path / "idx"
    bad = run("ingest", tmp_path / "a.txt", "--index", idx, "--tier", "exact", "--keep-exact", "--quiet", check_rc=2)
    assert "--keep-exact goes with a compact tier" in bad.stderr
    run("ingest", tmp_path / "a.txt", "--index", idx, "--tier", "compact-2", "--keep-exact", "--quiet", check_rc=0)
    info = json.loads(run("info", "--index", idx, "--json", check_rc=0).stdout)
    assert info["storage_tier"] == "compact-2" and info["keeps_exact_vectors"] is True
    assert info["bytes_per_vector"] == 256 and info["bytes_per_token"]["residual_2bit"] == 32
    for tier, stage in (
        ("exact", "exact_maxsim"),
        ("compact-2", "exact_maxsim_compressed"),
        (None, "exact_maxsim_compressed"),
    ):
        out = run(
            "search",
            "magma",
            "--index",
            idx,
            "--json",
            "--plan",
            "exhaustive",
            *(["--tier", tier] if tier else []),
            check_rc=0,
        )
        result = json.loads(out.stdout)
        assert result["hits"][0]["path"].endswith("a.txt") and result["stages"][0]["name"] == stage
    wrong = run("search", "magma", "--index", idx, "--tier", "compact-4", check_rc=2)
    assert "keeps its vectors in the compact-2 and exact tier only" in wrong.stderr
    out = run("compact", "--index", idx, "--tier", "compact-2", check_rc=0).stdout
    assert "compact-2 (+ exact vectors) → compact-2; 1 segments rewritten" in out
    wrong = run("search", "magma", "--index", idx, "--tier", "exact", check_rc=2)
    assert "created with --keep-exact keeps both" in wrong.stderr
    out = run("compact", "--index", idx, "--tier", "compact-2", "--keep-exact", check_rc=0).stdout
    assert "compact-2 → compact-2 (+ exact vectors)" in out
    again = run("ingest", tmp_path / "a.txt", "--index", idx, "--keep-exact", "--quiet", check_rc=0)
    assert again.returncode == 0
