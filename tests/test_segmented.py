"""Search across several segments without copying them: the same scores as one packed array."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_pdf, random_packed

from workbench.core import (
    MOJO_EXACT_CPU_BACKEND,
    NUMPY_REFERENCE_BACKEND,
    LateIndex,
    LateQuery,
    available_backends,
    centroid_search_plan,
    document_proxy_search_plan,
    exhaustive_search_plan,
    search_with_plan,
)
from workbench.core.segmented import SegmentedVectors

LENGTHS = [3, 40, 7, 128, 1, 65, 12, 30, 9, 90, 2, 50] * 4
BACKENDS = [NUMPY_REFERENCE_BACKEND] + (
    [MOJO_EXACT_CPU_BACKEND] if available_backends()[MOJO_EXACT_CPU_BACKEND][0] else []
)


def split_at_passages(vectors: np.ndarray, starts: np.ndarray, lengths: np.ndarray, cuts: list[int]):
    """The packed array cut into segments at passage boundaries ``cuts`` (passage rows)."""
    bounds = [0] + [int(starts[c]) for c in cuts] + [vectors.shape[0]]
    return SegmentedVectors([vectors[a:b].copy() for a, b in zip(bounds[:-1], bounds[1:])])


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(7)
    vectors, starts, lengths = random_packed(rng, LENGTHS, dtype=np.float16)
    ids = np.arange(100, 100 + len(LENGTHS), dtype=np.int64)
    whole = LateIndex(vectors, starts, lengths, ids)
    parts = LateIndex(split_at_passages(vectors, starts, lengths, [5, 6, 30]), starts, lengths, ids)
    return whole, parts, rng


def test_reads_match_the_packed_array(pair):
    whole, parts, rng = pair
    v, s = whole.vectors, parts.vectors
    assert s.shape == v.shape and s.dtype == v.dtype and len(s.segments) == 4
    rows = rng.integers(0, v.shape[0], 500)
    np.testing.assert_array_equal(s[rows], v[rows])
    np.testing.assert_array_equal(s[rows.reshape(20, 25)], v[rows.reshape(20, 25)])
    for a, b in ((0, 3), (5, 900), (int(s.bases[1]) - 2, int(s.bases[2]) + 3), (0, v.shape[0])):
        np.testing.assert_array_equal(s[a:b], v[a:b])
    inside = s[int(s.bases[2]) : int(s.bases[2]) + 10]
    assert np.shares_memory(inside, s.segments[2])  # a range inside one segment is a view, not a copy
    np.testing.assert_array_equal(s[7], v[7])
    np.testing.assert_array_equal(np.asarray(s), v)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "plan",
    [
        exhaustive_search_plan(10),
        exhaustive_search_plan(10, 4, 16),
        document_proxy_search_plan(10, 12),
        centroid_search_plan(10, 12, 4),
    ],
    ids=["exhaustive", "budgets", "proxy", "centroid"],
)
def test_every_plan_scores_identically_across_segments(pair, backend, plan):
    whole, parts, rng = pair
    for _ in range(5):
        q = LateQuery.from_vectors(rng.standard_normal((9, 128)).astype(np.float32))
        a = search_with_plan(q, whole, plan, backend)
        b = search_with_plan(q, parts, plan, backend)
        assert [h.passage_id for h in a.hits] == [h.passage_id for h in b.hits]
        if backend == MOJO_EXACT_CPU_BACKEND:  # the kernel scores each passage alone: bit for bit
            np.testing.assert_array_equal([h.score for h in a.hits], [h.score for h in b.hits])
        else:  # BLAS sums a dot product in an order that depends on the block's shape: float32 rounding
            np.testing.assert_allclose([h.score for h in a.hits], [h.score for h in b.hits], rtol=1e-6)
        hit = a.hits[0]
        np.testing.assert_array_equal(a.alignment(hit).similarities, b.alignment(b.hits[0]).similarities)


def test_an_index_of_several_segments_is_read_in_place(tmp_path, new_collection):
    """Two ingests are two segments (the merge policy waits for ten of a size): the collection searches
    their memory maps laid end to end, with the scores it gives once they are merged into one."""
    coll = new_collection(tier="exact")  # float16 segments, memory-mapped
    coll.ingest([make_pdf(tmp_path / "a.pdf", ["Volcanoes erupt when magma rises.", "Glaciers carve valleys."])])
    coll.ingest([make_pdf(tmp_path / "b.pdf", ["Lava flows from the vent.", "Bees pollinate flowers."])])
    index = coll.late_index()
    assert isinstance(index.vectors, SegmentedVectors) and len(index.vectors.segments) == 2
    assert all(isinstance(s, np.memmap) for s in index.vectors.segments)
    query = coll.encode_query("where does lava come from")
    before = search_with_plan(query, index, exhaustive_search_plan(4), NUMPY_REFERENCE_BACKEND)
    residual = centroid_search_plan(4, 4, 8, rerank_vectors="residual")
    before_residual = search_with_plan(query, index, residual, NUMPY_REFERENCE_BACKEND)
    assert isinstance(index.residual_index.packed, SegmentedVectors)  # 2-bit residuals read in place too
    with coll.store.writer():
        coll.store.compact()
    coll._index = None
    compacted = coll.late_index()
    assert not isinstance(compacted.vectors, SegmentedVectors)
    after = search_with_plan(query, compacted, exhaustive_search_plan(4), NUMPY_REFERENCE_BACKEND)
    assert [h.passage_id for h in before.hits] == [h.passage_id for h in after.hits]
    assert [h.score for h in before.hits] == pytest.approx([h.score for h in after.hits], rel=1e-6)
    after_residual = search_with_plan(query, compacted, residual, NUMPY_REFERENCE_BACKEND)
    assert [h.passage_id for h in before_residual.hits] == [h.passage_id for h in after_residual.hits]
    assert [h.score for h in before_residual.hits] == pytest.approx([h.score for h in after_residual.hits], rel=1e-6)
