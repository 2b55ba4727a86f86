"""The tiered merge policy and the streaming merge: ingests add segments, merges combine similar sizes."""

from __future__ import annotations

import numpy as np
import pytest

from pathlib import Path

from conftest import make_pdf
from workbench.collection import Collection
from workbench.core import exhaustive_search_plan
from workbench.store.merge_policy import FACTOR, FLOOR_VECTORS, SegmentStats, next_merge, tier


def stats(*sizes: int, deleted: dict[int, int] | None = None) -> list[SegmentStats]:
    deleted = deleted or {}
    return [SegmentStats(f"s{i}", n, n - deleted.get(i, 0)) for i, n in enumerate(sizes)]


def test_tiers_and_what_merges_next():
    assert tier(1) == tier(FLOOR_VECTORS) == tier(FACTOR * FLOOR_VECTORS - 1) == 0
    assert tier(FACTOR * FLOOR_VECTORS) == 1 and tier(FACTOR ** 2 * FLOOR_VECTORS) == 2
    assert next_merge(stats(*[1000] * (FACTOR - 1))) == []                    # a tier not yet full
    small = stats(*([1000] * (FACTOR + 2)))
    assert next_merge(small) == [f"s{i}" for i in range(FACTOR)]              # the tier's FACTOR smallest
    big = FACTOR * FLOOR_VECTORS * 3
    mixed = stats(big, *[500] * FACTOR, big)
    assert next_merge(mixed) == [f"s{i}" for i in range(1, FACTOR + 1)]       # big segments are left alone
    heavy = stats(big, 100, deleted={0: big // 2})
    assert next_merge(heavy) == ["s0"]                                        # tombstones first, alone
    assert next_merge(stats(100, deleted={0: 100})) == ["s0"]                 # nothing live: dropped


def simulate(batches: int, batch_vectors: int = 80_000) -> tuple[float, int]:
    """Write amplification (vectors written / vectors ingested) and segments left after ``batches``
    equal ingests, each followed by every merge the policy asks for."""
    segments, written, serial = [], 0, 0
    for _ in range(batches):
        segments.append(SegmentStats(f"s{serial}", batch_vectors, batch_vectors))
        serial += 1
        written += batch_vectors
        while files := next_merge(segments):
            merged = sum(s.live_vectors for s in segments if s.file in files)
            segments = [s for s in segments if s.file not in files] + [SegmentStats(f"s{serial}", merged, merged)]
            serial += 1
            written += merged
    return written / (batches * batch_vectors), len(segments)


def test_write_amplification_is_logarithmic_not_linear():
    """10⁶ passages in 1,000 ingests of 1,000 passages (≈80 vectors each): each vector is written about
    1 + log10(1000) = 4 times (a full rewrite per ingest would be ≈500 times)."""
    amplification = {n: simulate(n) for n in (10, 100, 1000)}
    assert amplification[1000][0] <= 4.0
    assert amplification[100][0] - amplification[10][0] == pytest.approx(amplification[1000][0] - amplification[100][0])
    assert all(left <= FACTOR * 4 for _, left in amplification.values())     # few segments to search


def test_ingests_merge_ten_segments_into_one_and_carry_their_codes(tmp_path, new_collection):
    coll = new_collection()
    texts = ["Volcanoes erupt when magma rises.", "Glaciers carve valleys.", "Bees pollinate flowers.",
             "Tides follow the moon.", "Lava cools into basalt.", "Rivers carry silt to the sea."]
    for i in range(FACTOR - 1):
        coll.ingest([make_pdf(tmp_path / f"d{i}.pdf", [texts[i % len(texts)], f"note {i} about rocks"])])
    assert coll.store.catalog.counts()["segments"] == FACTOR - 1
    query = "molten rock from a volcano"
    before = coll.search(query, exhaustive_search_plan(5))
    seen_at_merge = []
    for ev in coll.iter_ingest([make_pdf(tmp_path / "last.pdf", ["Magma chambers feed eruptions.", "note about rocks"])]):
        if ev.status == "merging":             # committed first: another reader finds the new document already
            reader = Collection.open(coll.store.root, encoder=coll.encoder, read_only=True)
            seen_at_merge.append(reader.search("magma chambers", exhaustive_search_plan(1)).hits[0].path)
            assert reader.store.catalog.counts()["segments"] == FACTOR
    assert [Path(p).name for p in seen_at_merge] == ["last.pdf"]
    assert coll.store.catalog.counts()["segments"] == 1                       # the tenth made a tier: merged
    assert coll.store.catalog.counts()["tombstones"] == 0
    after = coll.search(query, exhaustive_search_plan(5))
    kept = {h.passage_id: h.score for h in after.hits}
    for h in before.hits:                       # passage ids and their scores survive the merge
        if h.passage_id in kept:
            assert kept[h.passage_id] == pytest.approx(h.score, rel=1e-6)
    assert after.hits[0].path.endswith("last.pdf") or after.hits[0].passage_id == before.hits[0].passage_id
    # codes were carried by the merge, not recomputed: the stored ones equal a fresh assignment
    index = coll.late_index()
    (name,) = coll.store.catalog.segment_files()
    version = coll.store.centroids.version
    if version is not None:
        stored = np.load(coll.store.root / "centroids" / version / f"codes-{name}", allow_pickle=False)
        assert stored.shape == (index.vectors.shape[0],)
        np.testing.assert_array_equal(stored, index.centroid_index.codes)


def test_removing_most_of_a_segment_rewrites_it_without_tombstones(tmp_path, new_collection):
    coll = new_collection()
    docs = [make_pdf(tmp_path / f"d{i}.pdf", [f"page {i} about volcanoes and lava"]) for i in range(6)]
    coll.ingest(docs)
    assert coll.store.catalog.counts()["segments"] == 1
    coll.remove(docs[:1])
    assert coll.store.catalog.counts()["tombstones"] == 1                     # below the share: kept for now
    coll.remove(docs[1:3])
    counts = coll.store.catalog.counts()
    assert counts["tombstones"] == 0 and counts["segments"] == 1 and counts["passages"] == 3
    hits = coll.search("lava", exhaustive_search_plan(10)).hits
    assert sorted(h.path for h in hits) == sorted(str(d) for d in docs[3:])
