"""Staged search: rankings, exact vector counts per stage, budgets, alignments, errors."""

import numpy as np
import pytest
from conftest import random_packed

from workbench.core import (
    NUMPY_REFERENCE_BACKEND,
    LateIndex,
    LateQuery,
    document_proxy_search_plan,
    exhaustive_search_plan,
    iter_search,
    search_with_plan,
)
from workbench.core.metrics import mrr_at, ndcg_at, overlap_recall, recall_at
from workbench.core.ranking import top_k

LENGTHS = [5, 40, 12, 1, 90, 33, 7, 64, 20, 8]


@pytest.fixture
def index(rng):
    vectors, starts, lengths = random_packed(rng, LENGTHS, dtype=np.float16)
    return LateIndex(vectors, starts, lengths, np.arange(len(LENGTHS)) * 3 + 100)


@pytest.fixture
def query(rng):
    return LateQuery.from_vectors(rng.standard_normal((40, 128)), tokens=[f"t{i}" for i in range(40)])


def brute(query, index, q_budget=0, d_budget=0):
    q = query.matrix()[: q_budget or None].astype(np.float64)
    out = []
    for s, n in zip(index.starts, index.lengths):
        d = index.vectors[s : s + (min(n, d_budget) if d_budget else n)].astype(np.float64)
        out.append((q @ d.T).max(axis=1).sum())
    return np.array(out)


def test_exhaustive_ranks_like_brute_force_with_exact_counts(index, query):
    result = search_with_plan(query, index, exhaustive_search_plan(final_k=4))
    want = np.argsort(-brute(query, index))[:4]
    assert [h.row for h in result.hits] == want.tolist()
    assert [h.rank for h in result.hits] == [1, 2, 3, 4]
    assert [h.passage_id for h in result.hits] == (want * 3 + 100).tolist()
    (stage,) = result.stages
    assert (stage.candidates_in, stage.candidates_out) == (10, 4)
    assert stage.query_vectors == 40
    assert stage.document_vectors == sum(LENGTHS) == 280
    assert stage.pairwise_similarities == 40 * 280


def test_proxy_plan_counts_and_budgets(index, query):
    plan = document_proxy_search_plan(final_k=3, candidate_k=6, query_vector_budget=32, document_vector_budget=10)
    result = search_with_plan(query, index, plan)
    s1, s2 = result.stages
    assert (s1.candidates_in, s1.candidates_out, s1.query_vectors, s1.document_vectors, s1.pairwise_similarities) == (
        10,
        6,
        1,
        10,
        10,
    )
    cand = result.stage1_candidates
    kept = np.minimum(np.asarray(LENGTHS)[cand], 10).sum()
    assert (s2.candidates_in, s2.candidates_out, s2.query_vectors) == (6, 3, 32)
    assert s2.document_vectors == kept and s2.pairwise_similarities == 32 * kept
    # stage 1 kept the passages with the best proxy scores, computed independently here
    proxies = np.stack(
        [index.vectors[s : s + min(n, 10)].astype(np.float64).mean(0) for s, n in zip(index.starts, index.lengths)]
    )
    proxy_scores = proxies @ query.matrix()[:32].astype(np.float64).mean(0)
    assert set(cand.tolist()) == set(np.argsort(-proxy_scores)[:6].tolist())
    # stage 2 is exact within the budgets, among the candidates
    exact = brute(query, index, 32, 10)
    best = sorted(cand.tolist(), key=lambda r: -exact[r])[:3]
    assert [h.row for h in result.hits] == best
    np.testing.assert_allclose([h.score for h in result.hits], exact[best], atol=1e-3)


def test_iter_search_yields_each_stage_before_returning(index, query):
    gen = iter_search(query, index, document_proxy_search_plan(final_k=2, candidate_k=5))
    first = next(gen)
    assert first.name.startswith("stage1")
    second = next(gen)
    assert second.name.startswith("stage2")
    with pytest.raises(StopIteration) as done:
        next(gen)
    assert [s.name for s in done.value.value.stages] == [first.name, second.name]


def test_alignment_reproduces_the_hit_score(index, query):
    plan = exhaustive_search_plan(final_k=3, query_vector_budget=16, document_vector_budget=20)
    result = search_with_plan(query, index, plan)
    for hit in result.hits:
        al = result.alignment(hit)
        assert al.similarities.shape == (16, min(LENGTHS[hit.row], 20))
        assert len(al.query_tokens) == 16 and al.query_tokens[0] == "t0"
        assert al.score == pytest.approx(hit.score, abs=1e-3)
        assert (al.best == al.similarities.argmax(axis=1)).all()


def test_ties_resolve_by_passage_id():
    scores = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    ids = np.array([50, 40, 30, 20, 10])
    assert top_k(scores, ids, 2).tolist() == [4, 2]
    assert top_k(scores, ids, 10).tolist() == [4, 2, 1, 3, 0]


def test_plan_and_query_errors(index, query):
    with pytest.raises(ValueError, match="candidate_k"):
        document_proxy_search_plan(final_k=10, candidate_k=5)
    with pytest.raises(ValueError, match="final_k"):
        exhaustive_search_plan(final_k=0)
    with pytest.raises(ValueError, match="negative"):
        exhaustive_search_plan(query_vector_budget=-1)
    with pytest.raises(ValueError, match="96-d"):
        search_with_plan(LateQuery.from_vectors(np.ones((2, 96))), index, exhaustive_search_plan())
    with pytest.raises(ValueError, match="unknown backend"):
        search_with_plan(query, index, exhaustive_search_plan(), backend="gpu")


def test_metrics_by_hand():
    qrels = {"a": 3.0, "b": 1.0, "z": 2.0}
    ranked = ["x", "a", "b"]
    dcg = 3 / np.log2(3) + 1 / np.log2(4)
    idcg = 3 + 2 / np.log2(3) + 1 / np.log2(4)
    assert ndcg_at(ranked, qrels) == pytest.approx(dcg / idcg)
    assert recall_at(ranked, qrels, 10) == pytest.approx(2 / 3)
    assert mrr_at(ranked, qrels) == 0.5
    assert overlap_recall([1, 2, 3], [2, 9]) == 0.5


class FakeCatalog:
    """A lexical stage that returns fixed passage ids (one unknown), to test the hybrid wiring."""

    def __init__(self, ids):
        self.ids = np.array(ids, dtype=np.int64)

    def lexical_search(self, text, k, where=None):
        return self.ids[:k], np.arange(len(self.ids[:k]), 0, -1).astype(np.float32)

    def describe(self, ids):
        return [None] * len(ids)


def test_hybrid_plan_unites_proxy_and_lexical_candidates(index, query):
    from workbench.core import hybrid_search_plan

    index.catalog = FakeCatalog([127, 100, 999])  # rows 9 and 0, and an id that is not in the index
    plan = hybrid_search_plan(
        final_k=3, candidate_k=3, lexical_k=3, query_vector_budget=0, document_vector_budget=0, fusion="none"
    )
    result = search_with_plan(query, index, plan)
    proxy, lexical, exact = result.stages
    assert (lexical.name, lexical.candidates_out, lexical.pairwise_similarities) == ("stage1:lexical_bm25", 2, 0)
    proxy_rows = np.argsort(
        -(np.stack([index.passage_vectors(r).mean(0) for r in range(10)]) @ query.matrix().mean(0))
    )[:3]
    union = set(proxy_rows.tolist()) | {9, 0}
    assert set(result.stage1_candidates.tolist()) == union and exact.candidates_in == len(union)
    best = sorted(union, key=lambda r: -brute(query, index)[r])[:3]
    assert [h.row for h in result.hits] == best
    with pytest.raises(ValueError, match="lexical_k"):
        hybrid_search_plan(lexical_k=0)


@pytest.mark.parametrize("fusion, weight", [("rrf", 0.5), ("rrf", 0.2), ("linear", 0.3)])
def test_fused_hybrid_ranks_the_union_by_maxsim_and_bm25_together(index, query, fusion, weight):
    from workbench.core import hybrid_search_plan

    index.catalog = FakeCatalog([127, 100, 999])  # BM25 3 for row 9, 2 for row 0; 999 is not indexed
    plan = hybrid_search_plan(
        final_k=4,
        candidate_k=4,
        lexical_k=3,
        query_vector_budget=0,
        document_vector_budget=0,
        fusion=fusion,
        fusion_weight=weight,
    )
    result = search_with_plan(query, index, plan)
    exact, fusion_stage = result.stages[-2:]
    union = result.stage1_candidates.tolist()
    assert exact.candidates_out == len(union) == fusion_stage.candidates_in  # every candidate scored
    assert fusion_stage.name == f"fusion:{fusion}(w={weight:g})"
    assert fusion_stage.budget_rule.startswith("w = BM25 share" + (", k = 60" if fusion == "rrf" else ";"))
    assert fusion_stage.pairwise_similarities == 0
    maxsim = brute(query, index)
    by_maxsim = sorted(union, key=lambda r: -maxsim[r])
    bm25 = {9: 3.0, 0: 2.0}
    lo, hi = min(maxsim[union]), max(maxsim[union])

    def fused(r):
        if fusion == "rrf":
            return (1 - weight) / (60 + by_maxsim.index(r) + 1) + (weight / (60 + (r != 9) + 1) if r in bm25 else 0)
        return (1 - weight) * (maxsim[r] - lo) / (hi - lo) + weight * bm25.get(r, 0.0) / 3.0

    want = sorted(union, key=lambda r: (-fused(r), index.passage_ids[r]))[:4]
    assert [h.row for h in result.hits] == want
    np.testing.assert_allclose([h.score for h in result.hits], [fused(r) for r in want], rtol=1e-5)
    for h in result.hits:
        assert h.parts.maxsim == pytest.approx(maxsim[h.row], rel=1e-4)
        assert h.parts.maxsim_rank == by_maxsim.index(h.row) + 1
        assert (h.parts.lexical, h.parts.lexical_rank) == (
            (bm25[h.row], 1 + (h.row != 9)) if h.row in bm25 else (None, None)
        )
    assert result.to_dict()["hits"][0]["parts"]["maxsim_rank"] == result.hits[0].parts.maxsim_rank


def test_fusion_weights_at_their_ends_and_plan_checks(index, query):
    from workbench.core import centroid_search_plan, hybrid_search_plan

    index.catalog = FakeCatalog([127, 100, 999])
    common = dict(final_k=4, candidate_k=4, lexical_k=3, query_vector_budget=0, document_vector_budget=0)
    plain = search_with_plan(query, index, hybrid_search_plan(**common, fusion="none"))
    maxsim_only = search_with_plan(query, index, hybrid_search_plan(**common, fusion="linear", fusion_weight=0))
    assert [h.row for h in maxsim_only.hits] == [h.row for h in plain.hits]
    assert plain.hits[0].parts is None and "parts" not in plain.to_dict()["hits"][0]
    bm25_only = search_with_plan(query, index, hybrid_search_plan(**common, fusion="rrf", fusion_weight=1))
    assert [h.row for h in bm25_only.hits][:2] == [9, 0]
    with pytest.raises(ValueError, match="only a hybrid plan"):
        centroid_search_plan().__class__("exhaustive", fusion="rrf")
    with pytest.raises(ValueError, match="BM25 share"):
        hybrid_search_plan(fusion_weight=1.5)
    with pytest.raises(ValueError, match="fusion must be one of"):
        hybrid_search_plan(fusion="max")


def test_auto_plan_is_exact_while_cheap_and_says_why(rng):
    from workbench.core import auto_search_plan
    from workbench.core.search import AUTO_EXACT_PAIRS

    vectors, starts, lengths = random_packed(rng, [40] * 200)
    index = LateIndex(vectors, starts, lengths, np.arange(200))
    q = LateQuery.from_vectors(vectors[:8])
    small = search_with_plan(q, index, auto_search_plan(final_k=5, candidate_k=20, n_probe=4))
    assert small.plan.kind == "exhaustive" and small.requested.kind == "auto"
    assert small.stages[0].note.startswith("auto chose exact MaxSim: 64,000 products")
    exact = search_with_plan(q, index, exhaustive_search_plan(final_k=5))
    assert [h.passage_id for h in small.hits] == [h.passage_id for h in exact.hits]
    big = AUTO_EXACT_PAIRS[NUMPY_REFERENCE_BACKEND] // 8 // 40 + 1  # passages that push it over the budget
    vectors, starts, lengths = random_packed(rng, [40] * big)
    large = search_with_plan(
        q, LateIndex(vectors, starts, lengths, np.arange(big)), auto_search_plan(final_k=5, candidate_k=20, n_probe=4)
    )
    assert large.plan.kind == "centroid" and "auto chose the centroid plan" in large.stages[0].note


def test_bootstrap_intervals_tell_a_real_gain_from_noise():
    from workbench.core.metrics import bootstrap_interval, paired_difference

    rng = np.random.default_rng(7)
    base = rng.uniform(0, 1, 225)  # per-query nDCG of plan B over 225 queries
    lo, hi = bootstrap_interval(base)
    assert lo < base.mean() < hi and hi - lo < 0.1  # ~±1.96·σ/√n = ±0.038 for a uniform
    assert bootstrap_interval(base) == (lo, hi)  # seeded: the same report twice
    ids = [str(i) for i in range(225)]
    b = dict(zip(ids, base))
    gain = paired_difference(dict(zip(ids, base + 0.02 + rng.normal(0, 0.05, 225))), b)
    assert gain["low"] > 0 and gain["wins"] > gain["losses"]  # a small, consistent gain shows
    scatter = rng.normal(0, 0.2, 225)
    noise = paired_difference(dict(zip(ids, base + scatter - scatter.mean())), b)
    assert noise["low"] < 0 < noise["high"]  # a large, unbiased scatter does not
    same = paired_difference(b, b)
    assert (same["mean"], same["low"], same["high"], same["ties"]) == (0.0, 0.0, 0.0, 225)
    assert paired_difference({"1": 1.0, "x": 0.0}, {"1": 0.5, "y": 1.0})["queries"] == 1  # pairs only
    with pytest.raises(ValueError, match="share no evaluated query"):
        paired_difference({"1": 1.0}, {"2": 1.0})
    with pytest.raises(ValueError, match="no per-query values"):
        bootstrap_interval([])
