"""The token-centroid stage 1: k-means, codes, inverted lists, centroid interaction, recall."""

import numpy as np
import pytest

from workbench.core import LateIndex, LateQuery, centroid_search_plan, exhaustive_search_plan, search_with_plan
from workbench.core.centroids import (
    assign,
    build_centroid_index,
    default_centroid_count,
    probe_candidates,
    train_centroids,
    widened_probe,
)
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


def brute_force_scores(ci, index, q, n_probe):
    """The approximate score by its definition: per query vector, the best probed centroid among the
    passage's codes above the best unprobed centroid's similarity (0 when none is probed)."""
    sims = q @ ci.centroids.T
    order = np.argsort(-sims, axis=1, kind="stable")
    out = np.zeros(index.n_passages)
    for r in range(index.n_passages):
        codes = set(ci.codes[index.starts[r] : index.starts[r] + index.lengths[r]].tolist())
        for i in range(q.shape[0]):
            probed = [c for c in order[i, :n_probe] if c in codes]
            out[r] += max(sims[i, probed].max() - sims[i, order[i, n_probe]], 0) if probed else 0.0
    return out


def test_codes_lists_and_centroid_interaction_are_consistent(rng):
    index, _ = clustered_index(rng)
    ci = build_centroid_index(index, n_centroids=64)
    assert ci.centroids.shape == (64, 128)
    np.testing.assert_allclose(np.linalg.norm(ci.centroids, axis=1), 1, atol=1e-5)
    live = np.concatenate([np.arange(s, s + n) for s, n in zip(index.starts, index.lengths)])
    x = index.vectors[live].astype(np.float32)
    sims = x @ ci.centroids.T
    chosen = sims[np.arange(len(live)), ci.codes[live]]
    assert (chosen >= sims.max(axis=1) - 1e-5).all()  # nearest centroid (kernel or NumPy, up to fp ties)
    for c in range(64):  # list c holds exactly the passages with a token coded c
        holders = {
            r
            for r in range(index.n_passages)
            if (ci.codes[index.starts[r] : index.starts[r] + index.lengths[r]] == c).any()
        }
        assert set(ci.list_of(c).tolist()) == holders
    q = rng.standard_normal((6, 128)).astype(np.float32)
    found = probe_candidates(ci, q, 4, 30, index.passage_ids)
    expected = brute_force_scores(ci, index, q, 4)
    np.testing.assert_allclose(found.scores, expected[found.rows], atol=1e-4)
    assert found.rows.shape == (30,) and found.scores[0] == pytest.approx(expected.max(), abs=1e-4)
    assert found.touched == int((expected > 0).sum())
    sims_q = q @ ci.centroids.T
    assert found.lookups == sum(ci.list_of(c).size for i in range(6) for c in np.argsort(-sims_q[i])[:4])


def test_assignment_kernel_matches_numpy(rng):
    from workbench.core.backends.mojo_exact import status

    if not status()[0]:
        pytest.fail("the Mojo kernel must be built for this test (./dev.sh setup builds it)")
    x = rng.standard_normal((300, 128)).astype(np.float16)
    c = rng.standard_normal((100, 128)).astype(np.float32)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    codes = assign(x, c)
    sims = x.astype(np.float32) @ c.T
    assert (sims[np.arange(300), codes] >= sims.max(axis=1) - 1e-5).all()


def test_nearest_centroid_kernel_edges(rng):
    from workbench.core.backends.mojo_kernel import nearest_centroids

    c = rng.standard_normal((70, 128)).astype(np.float32)
    c[41] = c[7]  # a tie: the first of equal centroids wins
    x = np.concatenate([c[[7, 69, 0]], rng.standard_normal((1000, 128)).astype(np.float32)])
    codes = nearest_centroids(x, c)
    assert codes[:3].tolist() == [7, 69, 0] and codes.shape == (1003,) and codes.dtype == np.int32
    sims = x[3:] @ c.T  # BLAS may order the tied pair either way
    assert (sims[np.arange(1000), codes[3:]] >= sims.max(axis=1) - 1e-4).all()
    assert not (codes == 41).any()
    assert nearest_centroids(x[:0], c).shape == (0,)
    with pytest.raises(ValueError):
        nearest_centroids(x[:, :64], c)
    with pytest.raises(ValueError):
        nearest_centroids(x, c[:0])


@pytest.mark.parametrize("n_probe", [1, 4, 64])
def test_the_native_probe_scores_exactly_as_numpy(rng, n_probe):
    index, _ = clustered_index(rng)
    ci = build_centroid_index(index, n_centroids=64)
    q = rng.standard_normal((33, 128)).astype(np.float32)
    eligible = rng.random(index.n_passages) < 0.3
    for where in (None, eligible):
        numpy = probe_candidates(ci, q, n_probe, 40, index.passage_ids, where)
        native = probe_candidates(ci, q, n_probe, 40, index.passage_ids, where, native=True)
        np.testing.assert_array_equal(native.rows, numpy.rows)
        np.testing.assert_array_equal(native.scores, numpy.scores)  # the same additions: equal to the bit
        assert (native.touched, native.lookups, native.n_probe) == (numpy.touched, numpy.lookups, numpy.n_probe)
    expected = brute_force_scores(ci, index, q[:5], 4)
    found = probe_candidates(ci, q[:5], 4, 30, index.passage_ids, native=True)
    np.testing.assert_allclose(found.scores, expected[found.rows], atol=1e-4)


def test_the_native_probe_refuses_lists_it_would_read_past(rng):
    from workbench.core.backends.mojo_probe import probe_lists

    offsets = np.array([0, 2, 5], np.int64)
    rows = np.array([0, 3, 1, 2, 3], np.int32)
    order, gains = np.array([[1, 0]]), np.array([[0.5, 0.25]], np.float32)
    total, lookups = probe_lists(offsets, rows, order, gains, 4)
    assert lookups == 5 and total.tolist() == [0.25, 0.5, 0.5, 0.5]  # row 3 counts its best list once
    with pytest.raises(ValueError, match="row index"):
        probe_lists(offsets, rows, order, gains, 3)  # row 3 of 3 passages
    with pytest.raises(ValueError, match="centroid code"):
        probe_lists(offsets, rows, np.array([[2, 0]]), gains, 4)  # centroid 2 of 2
    with pytest.raises(ValueError, match="centroid code"):
        probe_lists(np.array([0, 6, 5], np.int64), rows, order, gains, 4)  # a list past the entries
    with pytest.raises(ValueError, match="nq, n_probe"):
        probe_lists(offsets, rows, order, gains[:, :1], 4)


def test_a_search_on_the_mojo_backend_probes_natively_with_the_numpy_ranking(rng):
    from workbench.core.backends import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND

    index, _ = clustered_index(rng)
    index.centroid_index = build_centroid_index(index, n_centroids=64)
    query = LateQuery(rng.standard_normal((12, 128)).astype(np.float32))
    plan = centroid_search_plan(final_k=10, candidate_k=40, n_probe=4)
    numpy = search_with_plan(query, index, plan, NUMPY_REFERENCE_BACKEND)
    mojo = search_with_plan(query, index, plan, MOJO_EXACT_CPU_BACKEND)
    assert mojo.stages[0].backend == MOJO_EXACT_CPU_BACKEND and numpy.stages[0].backend == NUMPY_REFERENCE_BACKEND
    assert [h.passage_id for h in mojo.hits] == [h.passage_id for h in numpy.hits]
    np.testing.assert_array_equal(mojo.stage1_candidates, numpy.stage1_candidates)


def test_filter_restricts_candidates_and_widens_probes(rng):
    index, _ = clustered_index(rng)
    ci = build_centroid_index(index, n_centroids=64)
    q = rng.standard_normal((5, 128)).astype(np.float32)
    eligible = np.zeros(index.n_passages, bool)
    eligible[::10] = True
    found = probe_candidates(ci, q, 4, 25, index.passage_ids, eligible)
    assert eligible[found.rows].all() and found.rows.shape == (25,)
    tiny = np.zeros(index.n_passages, bool)
    tiny[[3, 7]] = True  # fewer eligible than k: all of them, nothing else
    assert sorted(probe_candidates(ci, q, 1, 25, index.passage_ids, tiny).rows.tolist()) == [3, 7]
    assert widened_probe(8, 1.0, 64) == 8 and widened_probe(8, 0.1, 1024) == 26
    assert widened_probe(8, 0.01, 1024) == 80 and widened_probe(8, 0.0001, 64) == 64


def test_centroid_plan_keeps_recall_and_counts_its_work(rng):
    index, topics = clustered_index(rng)
    recalls = []
    for t in range(10):
        qv = topics[[t, t + 1, t + 2]] + 0.3 * rng.standard_normal((3, 128))
        q = LateQuery.from_vectors(np.repeat(qv, 3, axis=0))
        plan = centroid_search_plan(final_k=10, candidate_k=100, n_probe=4, query_vector_budget=0)
        result = search_with_plan(q, index, plan)
        truth = search_with_plan(q, index, exhaustive_search_plan(final_k=10))
        recalls.append(
            overlap_recall(index.passage_ids[result.stage1_candidates].tolist(), [h.passage_id for h in truth.hits])
        )
        s1, s2 = result.stages
        k = index.centroid_index.n_centroids
        assert (s1.name, s1.query_vectors, s1.document_vectors, s1.pairwise_similarities) == (
            "stage1:centroid_interaction",
            9,
            k,
            9 * k,
        )
        assert s1.candidates_out == 100 and 0 < s1.probed <= index.n_passages and s1.lookups >= s1.probed
        assert s1.n_probe == 4
        assert s2.candidates_in == 100
    assert np.mean(recalls) >= 0.95
    assert default_centroid_count(10_000_000) == 16384 and default_centroid_count(100) == 32


def test_centroid_plan_validation():
    with pytest.raises(ValueError, match="n_probe"):
        centroid_search_plan(n_probe=0)


class FolderCatalog:
    """Passage ids whose id mod 10 is listed in the filter's 'folders' (names '0'…'9')."""

    def passage_ids_where(self, where):
        return np.array([p for p in range(1, 401) if str(p % 10) in where.folders], dtype=np.int64)

    def describe(self, ids):
        return [None] * len(ids)


def test_filtered_centroid_search_matches_exhaustive_within_the_filter(rng):
    from workbench.core import PassageFilter

    index, topics = clustered_index(rng)
    index.catalog = FolderCatalog()
    for folders, probed in ((("3",), False), (("1", "2", "5", "7"), True)):
        where = PassageFilter(folders=folders)
        for t in range(5):
            q = LateQuery.from_vectors(topics[[t, t + 3]] + 0.3 * rng.standard_normal((2, 128)))
            plan = centroid_search_plan(final_k=5, candidate_k=10, n_probe=4, query_vector_budget=0)
            result = search_with_plan(q, index, plan, where=where)
            truth = search_with_plan(q, index, exhaustive_search_plan(final_k=5), where=where)
            assert all(str(h.passage_id % 10) in folders for h in result.hits)
            assert result.eligible == 40 * len(folders) and result.where == where
            s1 = result.stages[0]
            assert s1.candidates_in == 40 * len(folders)
            if probed:  # 160 eligible > 4·candidate_k: probed, with n_probe widened by √(400/160)
                assert s1.n_probe == 7 and s1.candidates_out == 10 and s1.lookups > 0
                assert s1.name == "stage1:centroid_interaction"
            else:  # 40 eligible ≤ 4·candidate_k: all go to the exact stage, nothing probed
                assert s1.candidates_out == 40 and s1.lookups == 0 and s1.name == "stage1:filter_all_eligible"
                assert [h.passage_id for h in result.hits] == [h.passage_id for h in truth.hits]
    # Many probes for few eligible passages: exact on all of them is estimated cheaper, and chosen.
    wide = centroid_search_plan(final_k=5, candidate_k=10, n_probe=64, query_vector_budget=0)
    result = search_with_plan(q, index, wide, where=PassageFilter(folders=("1", "2", "5", "7")))
    s1 = result.stages[0]
    assert s1.name == "stage1:filter_all_eligible" and s1.candidates_out == 160 and "costs less" in s1.budget_rule


def test_growing_centroids_keeps_the_old_ones_and_covers_new_topics(rng):
    """Fixed centroids never move (a compact index's codes refer to them); the new ones go where the fixed
    ones serve the sample worst."""
    topics = rng.standard_normal((12, 128))
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)

    def near(which, n):
        v = topics[rng.choice(which, n)] + 0.15 * rng.standard_normal((n, 128))
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    old = train_centroids(near(range(6), 3000), 6)
    sample = np.concatenate((near(range(6), 3000), near(range(6, 12), 3000)))  # six topics the old set never saw
    grown = train_centroids(sample, 12, fixed=old)
    np.testing.assert_array_equal(grown[:6], old)
    np.testing.assert_allclose(np.linalg.norm(grown, axis=1), 1, atol=1e-5)
    best_old = (topics[6:] @ old.T).max(axis=1)
    best_new = (topics[6:] @ grown[6:].T).max(axis=1)
    assert best_new.min() > 0.95 > best_old.max()  # each new topic got a centroid of its own
