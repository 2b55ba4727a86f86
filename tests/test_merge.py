"""The tiered merge policy and the streaming merge: ingests add segments, merges combine similar sizes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from conftest import kill_child_after, make_pdf, synthetic_store, train_now

from workbench.collection import Collection
from workbench.core import exhaustive_search_plan
from workbench.store import IndexStore
from workbench.store.merge_policy import FACTOR, FLOOR_VECTORS, MAX_MERGED_VECTORS, SegmentStats, next_merge, tier


def stats(*sizes: int, deleted: dict[int, int] | None = None) -> list[SegmentStats]:
    deleted = deleted or {}
    return [SegmentStats(f"s{i}", n, n - deleted.get(i, 0)) for i, n in enumerate(sizes)]


def test_tiers_and_what_merges_next():
    assert tier(1) == tier(FLOOR_VECTORS) == tier(FACTOR * FLOOR_VECTORS - 1) == 0
    assert tier(FACTOR * FLOOR_VECTORS) == 1 and tier(FACTOR**2 * FLOOR_VECTORS) == 2
    assert next_merge(stats(*[1000] * (FACTOR - 1))) == []  # a tier not yet full
    small = stats(*([1000] * (FACTOR + 2)))
    assert next_merge(small) == [f"s{i}" for i in range(FACTOR)]  # the tier's FACTOR smallest
    big = FACTOR * FLOOR_VECTORS * 3
    mixed = stats(big, *[500] * FACTOR, big)
    assert next_merge(mixed) == [f"s{i}" for i in range(1, FACTOR + 1)]  # big segments are left alone
    heavy = stats(big, 100, deleted={0: big // 2})
    assert next_merge(heavy) == ["s0"]  # tombstones first, alone
    assert next_merge(stats(100, deleted={0: 100})) == ["s0"]  # nothing live: dropped
    full = MAX_MERGED_VECTORS // FACTOR
    assert next_merge(stats(*[full] * FACTOR)) == []  # full-sized: never merged by size
    below = stats(*[full - 1] * FACTOR, full)
    assert next_merge(below) == [f"s{i}" for i in range(FACTOR)]  # writes < MAX_MERGED_VECTORS
    assert next_merge(stats(full, 100, deleted={0: full // 2})) == ["s0"]  # but still rewritten for tombstones


def simulate(batches: int, batch_vectors: int = 80_000, max_merged: int = MAX_MERGED_VECTORS) -> tuple[float, int, int]:
    """Write amplification (vectors written / vectors ingested), segments left and the largest merge
    (vectors) after ``batches`` equal ingests, each followed by every merge the policy asks for."""
    segments, written, serial, largest = [], 0, 0, 0
    for _ in range(batches):
        segments.append(SegmentStats(f"s{serial}", batch_vectors, batch_vectors))
        serial += 1
        written += batch_vectors
        while files := next_merge(segments, max_merged=max_merged):
            merged = sum(s.live_vectors for s in segments if s.file in files)
            largest = max(largest, merged)
            segments = [s for s in segments if s.file not in files] + [SegmentStats(f"s{serial}", merged, merged)]
            serial += 1
            written += merged
    return written / (batches * batch_vectors), len(segments), largest


def test_write_amplification_is_logarithmic_not_linear():
    """10⁶ passages in 1,000 ingests of 1,000 passages (≈80 vectors each): uncapped, each vector is
    written about 1 + log10(1000) = 4 times (a full rewrite per ingest would be ≈500 times), and the
    1,000th ingest rewrites everything; with the cap no merge exceeds it and amplification stops growing."""
    uncapped = {n: simulate(n, max_merged=1 << 62) for n in (10, 100, 1000)}
    assert uncapped[1000][0] <= 4.0
    assert uncapped[100][0] - uncapped[10][0] == pytest.approx(uncapped[1000][0] - uncapped[100][0])
    assert uncapped[1000][2] == 1000 * 80_000  # the whole index in one merge
    capped = {n: simulate(n) for n in (10, 100, 1000, 3000)}
    assert capped[1000][0] <= 3.0 and capped[3000][0] == pytest.approx(capped[1000][0])
    assert max(largest for _, _, largest in capped.values()) < MAX_MERGED_VECTORS
    assert all(left <= FACTOR * 4 for _, left, _ in uncapped.values())  # few segments to search
    assert capped[3000][1] <= 3000 * 80_000 // (MAX_MERGED_VECTORS // FACTOR) + 2 * FACTOR


def test_ingests_merge_ten_segments_into_one_and_carry_their_codes(tmp_path, new_collection):
    coll = new_collection(tier="exact")  # the codes it carries are derived files beside float16 segments
    texts = [
        "Volcanoes erupt when magma rises.",
        "Glaciers carve valleys.",
        "Bees pollinate flowers.",
        "Tides follow the moon.",
        "Lava cools into basalt.",
        "Rivers carry silt to the sea.",
    ]
    for i in range(FACTOR - 1):
        coll.ingest([make_pdf(tmp_path / f"d{i}.pdf", [texts[i % len(texts)], f"note {i} about rocks"])])
    assert coll.store.catalog.counts()["segments"] == FACTOR - 1
    query = "molten rock from a volcano"
    before = coll.search(query, exhaustive_search_plan(5))
    seen_at_merge = []
    for ev in coll.iter_ingest(
        [make_pdf(tmp_path / "last.pdf", ["Magma chambers feed eruptions.", "note about rocks"])]
    ):
        if ev.status == "merging":  # committed first: another reader finds the new document already
            reader = Collection.open(coll.store.root, encoder=coll.encoder, read_only=True)
            seen_at_merge.append(reader.search("magma chambers", exhaustive_search_plan(1)).hits[0].path)
            assert reader.store.catalog.counts()["segments"] == FACTOR
    assert [Path(p).name for p in seen_at_merge] == ["last.pdf"]
    assert coll.store.catalog.counts()["segments"] == 1  # the tenth made a tier: merged
    assert coll.store.catalog.counts()["tombstones"] == 0
    after = coll.search(query, exhaustive_search_plan(5))
    kept = {h.passage_id: h.score for h in after.hits}
    for h in before.hits:  # passage ids and their scores survive the merge
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
    assert coll.store.catalog.counts()["tombstones"] == 1  # below the share: kept for now
    coll.remove(docs[1:3])
    counts = coll.store.catalog.counts()
    assert counts["tombstones"] == 0 and counts["segments"] == 1 and counts["passages"] == 3
    hits = coll.search("lava", exhaustive_search_plan(10)).hits
    assert sorted(h.path for h in hits) == sorted(str(d) for d in docs[3:])


MERGE_CHILD = """
import sys, time
import workbench.store.merge as merge
from workbench.store import IndexStore
real = merge.gather_indices
merge.gather_indices = lambda *a: (time.sleep(0.01), real(*a))[1]     # a merge long enough to be killed in
merge.CHUNK_VECTORS = 2048
store = IndexStore.open(__import__("pathlib").Path(sys.argv[1]))
with store.writer():
    print("merging", flush=True)
    store.compact()
print("done", flush=True)
"""


def top_hits(store, query):
    from workbench.core import LateIndex, search_with_plan

    packed = store.packed_segments()
    index = LateIndex(packed.vectors, packed.starts, packed.lengths, packed.passage_ids)
    return [(h.passage_id, round(h.score, 5)) for h in search_with_plan(query, index, exhaustive_search_plan(10)).hits]


def test_kill_9_at_any_moment_of_a_merge_keeps_every_committed_document(tmp_path):
    """A merging writer killed at moments spread over its run: each time the index opens with all of
    its documents and the same search results; the next merge finishes the job."""
    import subprocess
    import sys

    from workbench.core import LateQuery
    from workbench.store import IndexStore

    root = tmp_path / "ix"
    store = synthetic_store(root, 300, 200, segments=6)
    with store.writer():
        train_now(store)  # codes and residuals are carried by the merge too
    rng = np.random.default_rng(3)
    query = LateQuery(rng.standard_normal((8, 128)).astype(np.float32), tuple("q" * 8), "q", "nested")
    before = top_hits(store, query)
    killed_during = 0
    for delay in (0.0, 0.05, 0.15, 0.3, 0.5, 0.8):
        killed_during += kill_child_after(MERGE_CHILD, root, "merging", delay)
        again = IndexStore.open(root)
        with again.writer():  # the next writer tidies what the killed one left
            assert again.catalog.counts()["documents"] == 300 and again.catalog.counts()["passages"] == 300
        assert top_hits(again, query) == before
        if again.catalog.counts()["segments"] == 1:
            break
    assert killed_during >= 3, "the merge finished before it could be killed; make the test index larger"
    done = subprocess.run([sys.executable, "-c", MERGE_CHILD, str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    final = IndexStore.open(root)
    assert final.catalog.counts()["segments"] == 1 and top_hits(final, query) == before
    (name,) = final.catalog.segment_files()
    version = final.centroids.version
    codes = np.load(root / "centroids" / version / f"codes-{name}", allow_pickle=False)
    from workbench.core.centroids import assign

    np.testing.assert_array_equal(codes, assign(final.segments()[0][1], final.centroids.read_centroids(version, 128)))
    leftovers = [p.name for p in (root / "segments").iterdir() if p.name not in final.catalog.segment_files()]
    assert leftovers == []


def test_a_stopped_merge_leaves_the_old_segments_and_no_partial_file(tmp_path, monkeypatch):
    import workbench.store.merge as merge

    store = synthetic_store(tmp_path / "ix", 60, 100, segments=3)
    files = set(store.catalog.segment_files())
    calls = []

    def interrupting(*args):  # Ctrl+C arrives while the merge copies its third chunk
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    real = merge.gather_indices
    monkeypatch.setattr(merge, "CHUNK_VECTORS", 1000)
    monkeypatch.setattr(merge, "gather_indices", interrupting)
    with pytest.raises(KeyboardInterrupt), store.writer():
        store.compact()
    assert set(store.catalog.segment_files()) == files
    assert sorted(p.name for p in (tmp_path / "ix" / "segments").iterdir()) == sorted(files)


def test_background_maintenance_lets_the_next_ingest_commit_while_a_merge_runs(tmp_path, new_collection, monkeypatch):
    """GUI and ``watch`` mode: an ingest ends at its commit; coding, merges and retraining run on a
    maintenance thread sharing the writer lock, and an ingest committing meanwhile loses nothing."""
    import threading
    import time

    import workbench.store.merge as merge

    coll = new_collection(tier="exact")  # codes files beside float16 segments
    coll.merge_in_background = True
    merging = threading.Event()
    real = merge.gather_indices

    def slow(*args):  # a merge that takes a few seconds
        merging.set()
        time.sleep(0.05)
        return real(*args)

    monkeypatch.setattr(merge, "gather_indices", slow)
    monkeypatch.setattr(merge, "CHUNK_VECTORS", 16)
    topics = [
        "volcano lava magma",
        "glacier ice valley",
        "bee pollen hive",
        "tide moon ocean",
        "desert sand dune",
        "forest tree canopy",
        "river delta silt",
        "storm thunder rain",
        "comet orbit tail",
        "coral reef fish",
    ]
    for i, topic in enumerate(topics):
        (tmp_path / f"d{i}.txt").write_text(f"Notes {i} about the {topic} and what a {topic.split()[0]} is.")
        assert coll.ingest([tmp_path / f"d{i}.txt"]).ok
        if i < FACTOR - 1:
            coll.wait_for_maintenance()
    assert merging.wait(20) and coll.maintaining  # the tenth segment started a merge
    (tmp_path / "late.txt").write_text("A late note about auroras and the solar wind.")
    statuses = []
    for ev in coll.iter_ingest([tmp_path / "late.txt"]):
        statuses.append((ev.status, coll.maintaining))
    assert ("committed", True) in statuses  # committed while the merge still ran
    assert coll.search("solar wind aurora", exhaustive_search_plan(1)).hits[0].path.endswith("late.txt")
    coll.wait_for_maintenance()
    assert coll.maintenance_error is None
    counts = coll.store.catalog.counts()
    assert counts["documents"] == 11 and counts["segments"] == 2 and counts["tombstones"] == 0
    referenced = coll.store.catalog.segment_files()
    assert sorted(p.name for p in (coll.store.root / "segments").iterdir()) == sorted(referenced)
    version = coll.store.centroids.version  # every segment coded by the maintenance thread
    assert all((coll.store.root / "centroids" / version / f"codes-{name}").is_file() for name in referenced)
    assert coll.search("pollen hive", exhaustive_search_plan(1)).hits[0].path.endswith("d2.txt")


def test_live_vectors_per_segment_are_read_from_a_covering_index_a_writer_adds_to_older_indexes(tmp_path):
    store = synthetic_store(tmp_path / "idx", n_docs=30, tokens=4, segments=3)
    with store.writer():
        for i in (0, 1, 12):
            store.catalog.remove_document(f"/d/{i}.txt".encode())
    expected = [(s.n_vectors, s.live_vectors) for s in store.segment_stats()]
    assert expected == [(40, 32), (40, 36), (40, 40)]
    query = "EXPLAIN QUERY PLAN SELECT segment_id, SUM(n_tokens) FROM passages WHERE deleted = 0 GROUP BY segment_id"
    assert "COVERING INDEX passages_tokens" in str(store.catalog.db.execute(query).fetchall())
    store.catalog.close()
    with sqlite3.connect(tmp_path / "idx" / "catalog.sqlite") as db:  # an index written before the index existed
        db.execute("DROP INDEX passages_tokens")
    old = IndexStore.open(tmp_path / "idx", read_only=True)
    assert [(s.n_vectors, s.live_vectors) for s in old.segment_stats()] == expected  # same answer, slower
    assert "passages_tokens" not in str(old.catalog.db.execute(query).fetchall())
    writer = IndexStore.open(tmp_path / "idx")
    assert "COVERING INDEX passages_tokens" in str(writer.catalog.db.execute(query).fetchall())
    assert [(s.n_vectors, s.live_vectors) for s in writer.segment_stats()] == expected
