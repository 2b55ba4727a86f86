"""The token-centroid stage 1: k-means, codes, inverted lists, centroid interaction, recall."""

import numpy as np
import pytest

from workbench.core import LateIndex, LateQuery, centroid_search_plan, exhaustive_search_plan, search_with_plan
from workbench.core.centroids import build_centroid_index, centroid_scores, default_centroid_count, probe
from workbench.core.metrics import overlap_recall


def clustered_index(rng, n_passages=400, n_topics=40, dim=128):
    """Passages whose tokens sit near one of a few topic directions (like real token vectors do)."""
    topics = rng.standard_normal((n_topics, dim))
    lengths = rng.integers(5, 60, n_passages)
    vecs = []
    for n in lengths:
        picks = rng.choice(n_topics, 3)
        v = topics[rng.choice(picks, n)] + 0.35 * rng.standard_normal((n, dim))
        vecs.append(v / np.linalg.norm(v, axis=1, keepdims=True))
    vectors = np.concatenate(vecs).astype(np.float16)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return LateIndex(vectors, starts, lengths, np.arange(n_passages) + 1), topics


def test_codes_lists_and_centroid_interaction_are_consistent(rng):
    index, _ = clustered_index(rng)
    ci = build_centroid_index(index, n_centroids=64)
    assert ci.centroids.shape == (64, 128)
    np.testing.assert_allclose(np.linalg.norm(ci.centroids, axis=1), 1, atol=1e-5)
    live = np.concatenate([np.arange(s, s + n) for s, n in zip(index.starts, index.lengths)])
    x = index.vectors[live].astype(np.float32)
    assert (ci.codes[live] == (x @ ci.centroids.T).argmax(axis=1)).all()  # nearest centroid
    for c in range(64):  # list c holds exactly the passages with a token coded c
        holders = {r for r in range(index.n_passages)
                   if (ci.codes[index.starts[r]:index.starts[r] + index.lengths[r]] == c).any()}
        assert set(ci.list_rows[ci.list_offsets[c]:ci.list_offsets[c + 1]].tolist()) == holders
    q = rng.standard_normal((6, 128)).astype(np.float32)
    sims, rows = probe(ci, q, 4)
    scores, looked = centroid_scores(ci, index, sims, rows, doc_budget=3)
    for k, r in enumerate(rows[:20]):
        codes = ci.codes[index.starts[r]:index.starts[r] + min(index.lengths[r], 3)]
        assert scores[k] == pytest.approx(sims[:, codes].max(axis=1).sum(), abs=1e-5)
    assert looked == int(np.minimum(index.lengths[rows], 3).sum())


def test_centroid_plan_keeps_recall_and_counts_its_work(rng):
    index, topics = clustered_index(rng)
    recalls = []
    for t in range(10):
        qv = topics[[t, t + 1, t + 2]] + 0.3 * rng.standard_normal((3, 128))
        q = LateQuery.from_vectors(np.repeat(qv, 3, axis=0))
        plan = centroid_search_plan(final_k=10, candidate_k=50, n_probe=4, query_vector_budget=0)
        result = search_with_plan(q, index, plan)
        truth = search_with_plan(q, index, exhaustive_search_plan(final_k=10))
        recalls.append(overlap_recall(index.passage_ids[result.stage1_candidates].tolist(),
                                      [h.passage_id for h in truth.hits]))
        s1, s2 = result.stages
        k = index.centroid_index.n_centroids
        assert (s1.name, s1.query_vectors, s1.document_vectors, s1.pairwise_similarities) == (
            "stage1:centroid_interaction", 9, k, 9 * k)
        assert s1.candidates_out == 50 <= s1.probed <= index.n_passages and s1.lookups >= 9 * s1.probed
        assert s2.candidates_in == 50
    assert np.mean(recalls) >= 0.95
    assert default_centroid_count(10_000_000) == 16384 and default_centroid_count(100) == 32


def test_centroid_plan_validation():
    with pytest.raises(ValueError, match="n_probe"):
        centroid_search_plan(n_probe=0)
