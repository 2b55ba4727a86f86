"""Compressed residuals: bit packing, fidelity by bit width, and a plan that reranks on them."""

import numpy as np
import pytest
from test_centroids import clustered_index

from workbench.core import LateQuery, centroid_search_plan, exhaustive_search_plan, search_with_plan
from workbench.core.centroids import build_centroid_index
from workbench.core.residuals import ResidualCodec, build_residual_index


def test_buckets_survive_packing_and_fidelity_grows_with_bits(rng):
    index, _ = clustered_index(rng)
    ci = build_centroid_index(index, n_centroids=32)
    live = np.flatnonzero(ci.codes >= 0)
    x = index.vectors[live].astype(np.float32)
    codes = ci.codes[live]
    fidelity = []
    for nbits in (1, 2, 4, 8):
        codec = ResidualCodec.fit(x - ci.centroids[codes], nbits)
        packed = codec.encode(x, ci.centroids, codes)
        assert packed.shape == (len(live), 128 * nbits // 8) and packed.dtype == np.uint8
        assert codec.bytes_per_vector(128) == 4 + 16 * nbits
        y = codec.decode(packed, ci.centroids, codes)
        # Decoding gives the dimension's shift + scale × the weight of the bucket its standardised residual
        # value fell in, added to the centroid and renormalised.
        assert codec.cutoffs.shape == ((1 << nbits) - 1,) and codec.shift.shape == codec.scale.shape == (128,)
        r = x - ci.centroids[codes]
        buckets = np.searchsorted(codec.cutoffs, (r - codec.shift) / codec.scale)
        np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1, atol=1e-5)
        unnorm = ci.centroids[codes] + codec.shift + codec.scale * codec.weights[buckets]
        np.testing.assert_allclose(y, unnorm / np.linalg.norm(unnorm, axis=1, keepdims=True), atol=1e-6)
        fidelity.append(float((x * y).sum(axis=1).mean()))
    assert fidelity == sorted(fidelity) and fidelity[1] > 0.9 and fidelity[3] > 0.999
    with pytest.raises(ValueError, match="nbits"):
        ResidualCodec.fit(x, 3)


def test_buckets_follow_each_dimension_and_weigh_their_mean(rng):
    # Dimensions of very different spread and centre: unscaled buckets would put nearly all of the narrow
    # dimension's values in one or two buckets; scaled per dimension, each dimension uses all four equally.
    spread = np.array([0.01, 1, 1, 1, 1, 1, 1, 0.2], np.float32)
    r = rng.standard_normal((4000, 8)).astype(np.float32) * spread + np.arange(8, dtype=np.float32)
    codec = ResidualCodec.fit(r, 2)
    np.testing.assert_allclose(codec.shift, np.arange(8), atol=0.05)
    np.testing.assert_allclose(codec.scale, spread, rtol=0.05)
    z = (r - codec.shift) / codec.scale
    buckets = np.searchsorted(codec.cutoffs, z)
    for d in (0, 1, 7):
        np.testing.assert_allclose(np.bincount(buckets[:, d], minlength=4) / 4000, 0.25, atol=0.03)
    for b in range(4):  # the weight is the mean of the standardised values that fall in the bucket
        assert codec.weights[b] == pytest.approx(z[buckets == b].mean(), rel=1e-4)
    back = ResidualCodec.from_table(2, codec.table(), 8)
    for name in ("cutoffs", "weights", "shift", "scale"):
        np.testing.assert_array_equal(getattr(back, name), getattr(codec, name))
    old = ResidualCodec.from_table(2, codec.table()[:7], 8)  # written before per-dimension scaling
    assert (old.shift == 0).all() and (old.scale == 1).all()
    with pytest.raises(ValueError, match="not stored as shape"):
        ResidualCodec.from_table(4, codec.table(), 8)
    for at, damage in ((1, np.nan), (2, -9.0), (7 + 8 + 3, 0.0)):  # not finite; cut-offs out of order; scale 0
        table = codec.table()
        table[at] = damage
        with pytest.raises(ValueError, match="out of order"):
            ResidualCodec.from_table(2, table, 8)


def test_residual_rerank_scores_the_decompressed_vectors(rng):
    index, topics = clustered_index(rng)
    q = LateQuery.from_vectors(topics[[2, 5]] + 0.3 * rng.standard_normal((2, 128)))
    plan = centroid_search_plan(final_k=5, candidate_k=40, n_probe=8, query_vector_budget=0, rerank_vectors="residual")
    result = search_with_plan(q, index, plan)
    assert result.stages[-1].name == "stage2:exact_maxsim_residual" and result.stages[-1].setup_ms > 0
    assert index.residual_index.packed.shape == (index.vectors.shape[0], 32)
    for hit in result.hits:
        d = index.passage_vectors(hit.row, decompressed=True)
        assert hit.score == pytest.approx(float((q.matrix() @ d.T).max(axis=1).sum()), abs=1e-4)
        assert result.alignment(hit).score == pytest.approx(hit.score, abs=1e-4)
    exact = search_with_plan(q, index, exhaustive_search_plan(final_k=5))
    overlap = {h.passage_id for h in result.hits} & {h.passage_id for h in exact.hits}
    assert len(overlap) >= 4  # 2-bit residuals keep the ranking close to exact
    again = search_with_plan(q, index, plan)
    assert again.stages[-1].setup_ms == 0.0  # built once, kept on the index
    with pytest.raises(ValueError, match="rerank_vectors"):
        centroid_search_plan(rerank_vectors="int8")


def test_rows_without_a_live_passage_stay_zero(rng):
    index, _ = clustered_index(rng, n_passages=20)
    ci = build_centroid_index(index, n_centroids=16)
    ci.codes[:3] = -1  # as if those rows belonged to a removed passage
    ri = build_residual_index(index.vectors, ci)
    assert not ri.packed[:3].any() and ri.packed[3:].any()
