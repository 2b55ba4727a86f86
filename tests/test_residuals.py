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
        # Decoding is exact in bucket space: re-encoding the decoded residual lands in the same bucket
        # wherever the bucket's weight lies strictly inside it.
        buckets = np.searchsorted(codec.cutoffs, x - ci.centroids[codes])
        np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1, atol=1e-5)
        unnorm = ci.centroids[codes] + codec.weights[buckets]
        np.testing.assert_allclose(y, unnorm / np.linalg.norm(unnorm, axis=1, keepdims=True), atol=1e-6)
        fidelity.append(float((x * y).sum(axis=1).mean()))
    assert fidelity == sorted(fidelity) and fidelity[1] > 0.9 and fidelity[3] > 0.999
    with pytest.raises(ValueError, match="nbits"):
        ResidualCodec.fit(x, 3)


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
