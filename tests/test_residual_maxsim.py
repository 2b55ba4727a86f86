"""Exact MaxSim over residual-coded vectors: the Mojo kernel that scores packed codes against the NumPy
reference that decodes them, on every kernel variant this CPU runs; the same through a LateIndex whose
vectors are :class:`ResidualVectors`, segmented or not; and hostile codes refused, never read past."""

from __future__ import annotations

import numpy as np
import pytest
from test_centroids import clustered_index
from test_mojo_kernel import variant  # noqa: F401 — autouse: every test runs on every kernel variant

from workbench.core import LateIndex, LateQuery, exhaustive_search_plan, search_with_plan
from workbench.core.backends import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND, get_backend
from workbench.core.backends.mojo_residual import residual_maxsim_scores
from workbench.core.centroids import build_centroid_index
from workbench.core.residual_vectors import ResidualVectors
from workbench.core.residuals import ResidualCodec, coded_rows
from workbench.core.segmented import SegmentedVectors, segmented_maxsim

TOLERANCE = 1e-5  # unit query vectors, scores up to nq


def coded_index(rng, nbits, n_passages=300):
    """A clustered index, its centroids, and its vectors coded with an ``nbits`` per-dimension codec."""
    index, topics = clustered_index(rng, n_passages=n_passages)
    ci = build_centroid_index(index, n_centroids=48)
    x = np.asarray(index.vectors, dtype=np.float32)
    codec = ResidualCodec.fit(x - ci.centroids[ci.codes], nbits)
    packed = codec.encode(x, ci.centroids, ci.codes)
    return index, topics, ResidualVectors(coded_rows(ci.codes, packed), ci.centroids, codec)


def unit_query(rng, nq):
    q = rng.standard_normal((nq, 128)).astype(np.float32)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


@pytest.mark.parametrize("nbits", [2, 4])
@pytest.mark.parametrize("nq", [1, 5, 8, 13, 32, 64])
def test_the_kernel_scores_what_the_decoded_vectors_score(rng, nbits, nq):
    index, _, rv = coded_index(rng, nbits)
    decoded = np.asarray(rv)  # the reference: every row decoded, then exact MaxSim in NumPy
    np.testing.assert_allclose(np.linalg.norm(decoded, axis=1), 1, atol=1e-5)
    q = unit_query(rng, nq)
    rows = rng.permutation(index.n_passages)[:200]  # random order, as candidates come
    for budget in (0, 7):
        got, arg = residual_maxsim_scores(
            q, rv.coded, rv.centroids, rv.codec, index.starts, index.lengths, rows, budget, True
        )
        want, want_arg = get_backend(NUMPY_REFERENCE_BACKEND).maxsim(
            q, decoded, index.starts, index.lengths, rows, budget, True
        )
        assert got.dtype == np.float32 and arg.shape == (200, nq)
        np.testing.assert_allclose(got, want, atol=TOLERANCE)
        assert (arg == want_arg).mean() > 0.999  # a near tie may go the other way by float rounding


def test_an_empty_passage_scores_zero_and_bad_input_is_refused(rng):
    index, _, rv = coded_index(rng, 4, n_passages=20)
    q = unit_query(rng, 4)
    lengths = index.lengths.copy()
    lengths[3] = 0
    scores, arg = residual_maxsim_scores(q, rv.coded, rv.centroids, rv.codec, index.starts, lengths, [3, 4], 0, True)
    assert scores[0] == 0 and (arg[0] == -1).all() and scores[1] > 0
    coded = rv.coded.copy()
    coded[int(index.starts[5]), :4] = np.array([rv.centroids.shape[0]], "<i4").view(np.uint8)  # one past the table
    with pytest.raises(ValueError, match="centroid code"):  # never read past it
        residual_maxsim_scores(q, coded, rv.centroids, rv.codec, index.starts, index.lengths, [5])
    with pytest.raises(ValueError, match="centroid code"):
        ResidualVectors(coded, rv.centroids, rv.codec)[int(index.starts[5])]
    with pytest.raises(ValueError, match="coded"):
        residual_maxsim_scores(q, rv.coded[:, :10], rv.centroids, rv.codec, index.starts, index.lengths, [1])
    with pytest.raises(ValueError, match="outside"):
        residual_maxsim_scores(q, rv.coded, rv.centroids, rv.codec, index.starts + 10**6, index.lengths, [1])
    with pytest.raises(ValueError, match="2 or 4-bit"):
        one_bit = ResidualCodec.fit(np.zeros((10, 128), np.float32), 1)
        residual_maxsim_scores(q, rv.coded[:, :20], rv.centroids, one_bit, index.starts, index.lengths, [1])


@pytest.mark.parametrize("nbits", [1, 2, 4])
def test_an_index_of_residual_vectors_searches_alike_on_both_backends(rng, nbits):
    index, topics, rv = coded_index(rng, nbits)
    compact = LateIndex(rv, index.starts, index.lengths, index.passage_ids)
    q = LateQuery.from_vectors(topics[[3, 9]] + 0.3 * rng.standard_normal((2, 128)))
    plan = exhaustive_search_plan(final_k=10)
    mojo = search_with_plan(q, compact, plan, MOJO_EXACT_CPU_BACKEND)
    ref = search_with_plan(q, compact, plan, NUMPY_REFERENCE_BACKEND)
    assert [h.passage_id for h in mojo.hits] == [h.passage_id for h in ref.hits]
    np.testing.assert_allclose([h.score for h in mojo.hits], [h.score for h in ref.hits], atol=TOLERANCE)
    top = mojo.hits[0]  # a hit's token view reads its decoded vectors
    d = compact.passage_vectors(top.row)
    assert d.shape == (index.lengths[top.row], 128)
    assert top.score == pytest.approx(float((q.matrix() @ d.T).max(axis=1).sum()), abs=TOLERANCE)
    exact = search_with_plan(q, index, plan, NUMPY_REFERENCE_BACKEND)
    overlap = {h.passage_id for h in mojo.hits} & {h.passage_id for h in exact.hits}
    assert len(overlap) >= {1: 6, 2: 8, 4: 9}[nbits]  # more bits, closer to the float vectors' ranking


def test_segments_of_residual_vectors_score_as_one_array(rng):
    index, _, rv = coded_index(rng, 2)
    cut = int(index.starts[150])  # passages never span segments
    parts = [ResidualVectors(rv.coded[a:b], rv.centroids, rv.codec) for a, b in ((0, cut), (cut, None))]
    segmented = SegmentedVectors(parts)
    assert segmented.shape == rv.shape and segmented.dtype == np.float32
    np.testing.assert_array_equal(segmented[[3, cut + 2]], rv[[3, cut + 2]])
    q = unit_query(rng, 16)
    rows = rng.permutation(index.n_passages)
    for backend in (MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND):
        whole, _ = segmented_maxsim(get_backend(backend), q, rv, index.starts, index.lengths, rows)
        split, _ = segmented_maxsim(get_backend(backend), q, segmented, index.starts, index.lengths, rows)
        np.testing.assert_allclose(split, whole, atol=TOLERANCE)
