"""Inverted lists stored per segment: joining them equals listing the live layout from its codes, for
any tombstones; an index opens from its stored lists, each writer step (ingest, merge, retraining,
conversion) leaves every segment listed, and lists that are missing, stale or damaged are listed again
in memory — the same lists, the same results."""

import numpy as np
import pytest
from test_centroid_store import MORE, TOPICS, write

from workbench.core import centroid_search_plan
from workbench.core.inverted_lists import inverted_lists, join_lists
from workbench.core.packed import gather_indices
from workbench.store.compaction import convert_tier
from workbench.store.segment_lists import HEADER

K = 40


def _segment(rng, n_passages, k):
    lengths = rng.integers(1, 7, n_passages).astype(np.int64)
    starts = np.cumsum(lengths) - lengths
    return starts, lengths, rng.integers(0, k, int(lengths.sum())).astype(np.int32)


@pytest.mark.parametrize("seed", range(40))
def test_joined_segment_lists_equal_the_live_layout_listed_from_its_codes(seed):
    rng = np.random.default_rng(seed)
    parts, codes, live_starts, live_lengths = [], [], [], []
    base = row = 0
    for _ in range(int(rng.integers(1, 5))):
        starts, lengths, seg_codes = _segment(rng, int(rng.integers(0, 25)), K)
        # lists written before the table grew know fewer centroids; their codes lie below that count
        k = K if rng.random() < 0.7 else int(seg_codes.max(initial=0)) + 1
        offsets, entries = inverted_lists(seg_codes, starts, lengths, k)
        live = rng.random(starts.shape[0]) < 0.7  # the rest were tombstoned after the lists were written
        row_of = np.full(starts.shape[0], -1, np.int64)
        row_of[live] = row + np.arange(int(live.sum()))
        parts.append((offsets, entries, row_of))
        codes.append(seg_codes)
        live_starts.append(starts[live] + base)
        live_lengths.append(lengths[live])
        base += seg_codes.shape[0]
        row += int(live.sum())
    expected = inverted_lists(np.concatenate(codes), np.concatenate(live_starts), np.concatenate(live_lengths), K)
    joined = join_lists(parts, K)
    np.testing.assert_array_equal(joined[0], expected[0])
    np.testing.assert_array_equal(joined[1], expected[1])


def _lists_from_codes(index):
    """The index's lists built from scratch: its coded rows' codes over its live layout."""
    parts = index.vectors.segments if hasattr(index.vectors, "segments") else (index.vectors,)
    codes = np.concatenate([np.asarray(p.codes) for p in parts])
    return inverted_lists(codes, index.starts, index.lengths, index.centroid_index.n_centroids)


def _lists_files(store):
    return sorted((store.root / "centroids" / store.centroids.version).glob("lists-*"))


def _assert_listed(coll):
    """Every segment has a stored lists file, and the lists the index opened with equal lists built anew."""
    store = coll.store
    assert {p.name[len("lists-") :] for p in _lists_files(store)} == set(store.catalog.segment_files())
    index = coll.late_index()
    offsets, rows = _lists_from_codes(index)
    np.testing.assert_array_equal(index.centroid_index.list_offsets, offsets)
    np.testing.assert_array_equal(index.centroid_index.list_rows, rows)


def _compact(tmp_path, new_collection):
    coll = new_collection(tier="exact")
    assert coll.ingest(write(tmp_path, TOPICS)).ok
    with coll.store.writer():
        convert_tier(coll.store, "compact-4")
    return coll


def test_every_writer_step_leaves_each_segment_listed_and_a_reopen_joins_the_lists(
    tmp_path, new_collection, encoder, monkeypatch
):
    import workbench.store.merge as merge
    from workbench.collection import Collection

    coll = _compact(tmp_path, new_collection)
    _assert_listed(Collection.open(coll.store.root, encoder=encoder))  # a conversion lists its segments
    coll = Collection.open(coll.store.root, encoder=encoder)
    assert coll.ingest(write(tmp_path, MORE)).ok  # a new coded segment is listed after its commit
    assert len(coll.store.catalog.segment_files()) == 2
    _assert_listed(coll)
    coll.remove([str(tmp_path / "plants.txt")])  # a tombstone: its passages leave every list on the reopen
    _assert_listed(Collection.open(coll.store.root, encoder=encoder))
    monkeypatch.setattr(merge, "write_lists", lambda *a: pytest.fail("the merge listed its codes, not joined"))
    with coll.store.writer():
        coll.store.compact()  # a merge joins its segments' lists, no code read
    (merged,) = coll.store.catalog.segment_files()
    _assert_listed(Collection.open(coll.store.root, encoder=encoder))
    hits = coll.search("spring tides and the moon", centroid_search_plan(final_k=1, candidate_k=4, n_probe=4)).hits
    assert hits[0].path.endswith("ocean.txt")


def test_a_merge_lists_from_codes_when_an_old_segment_has_no_lists(tmp_path, new_collection, encoder):
    from workbench.collection import Collection

    coll = _compact(tmp_path, new_collection)
    assert coll.ingest(write(tmp_path, MORE)).ok
    _lists_files(coll.store)[0].unlink()  # an index written before lists were stored
    with coll.store.writer():
        coll.store.compact()
    _assert_listed(Collection.open(coll.store.root, encoder=encoder))


def test_a_compact_index_retrained_after_growth_keeps_its_lists(tmp_path, new_collection, encoder, monkeypatch):
    import workbench.store.segment_listing as listing
    from workbench.collection import Collection
    from workbench.collection.ingest_times import IngestTimes
    from workbench.collection.maintenance import retrain_centroids_if_needed
    from workbench.store.centroid_meta import TrainingReason

    coll = _compact(tmp_path, new_collection)
    before = coll.store.centroids.version
    store = coll.store
    store.centroids.needs_training = lambda *a: TrainingReason("grown", "a test")  # type: ignore[method-assign]

    def never(*args):
        raise AssertionError("a segment was listed again: its lists were not kept")

    monkeypatch.setattr(listing, "write_lists", never)
    with store.writer():
        list(retrain_centroids_if_needed(store, 0, 0, IngestTimes()))
    assert store.centroids.version != before  # a new table around the old one: the codes, and lists, stay
    _assert_listed(Collection.open(store.root, encoder=encoder))


def _garble(path, how):
    a = np.load(path)
    k, p = int(a[0]), int(a[1])
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:-9])
        return
    if how == "entry past the passages":
        a[-1] = p + 5
    elif how == "offsets out of order":
        a[HEADER + p + 1] = a[HEADER + p + k]
    elif how == "a header that lies":
        a[2] += 1
    elif how == "float values":
        a = a.astype(np.float32)
    elif how == "stale":  # the segment's first passage was never listed
        a[HEADER] += 1
    np.save(path, a)


@pytest.mark.parametrize(
    "how",
    ["truncated", "entry past the passages", "offsets out of order", "a header that lies", "float values", "stale"],
)
def test_damaged_or_stale_lists_are_listed_again_in_memory(tmp_path, new_collection, encoder, how):
    from workbench.collection import Collection

    coll = _compact(tmp_path, new_collection)
    plan = centroid_search_plan(final_k=3, candidate_k=3, n_probe=2)
    before = [(h.passage_id, round(h.score, 5)) for h in coll.search("magma and lava", plan).hits]
    (path,) = _lists_files(coll.store)
    _garble(path, how)
    again = Collection.open(coll.store.root, encoder=encoder)
    index = again.late_index()
    offsets, rows = _lists_from_codes(index)
    np.testing.assert_array_equal(index.centroid_index.list_offsets, offsets)
    np.testing.assert_array_equal(index.centroid_index.list_rows, rows)
    assert [(h.passage_id, round(h.score, 5)) for h in again.search("magma and lava", plan).hits] == before


def test_stage_one_reads_only_live_passages_from_joined_lists(tmp_path, new_collection, encoder):
    from workbench.collection import Collection

    coll = _compact(tmp_path, new_collection)
    coll.remove([str(tmp_path / "volcano.txt")])
    index = Collection.open(coll.store.root, encoder=encoder).late_index()
    ci = index.centroid_index
    assert ci.list_rows.shape[0] and int(ci.list_rows.max()) < index.n_passages
    every = gather_indices(ci.list_offsets[:-1], np.diff(ci.list_offsets))
    assert np.unique(ci.list_rows[every]).shape[0] == index.n_passages  # each live passage is on some list
