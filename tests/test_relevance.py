"""The relevance signal's math (workbench.core.relevance): the mean cosine of a hit under every kind of ranking —
exact, fused with BM25, reranked by a cross-encoder — is the mean of its alignment's row maxima, and the
judgement against a floor (good match, weak hits, the symbols-only rule, no floor yet)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_packed

from workbench.core import LateIndex, LateQuery, PassageInfo, exhaustive_search_plan, hybrid_search_plan
from workbench.core import search_with_plan as search
from workbench.core.plans import SearchPlan
from workbench.core.relevance import SYMBOLS_ONLY, Floor, judge, mean_cosine, symbols_only

LENGTHS = [5, 40, 12, 1, 90, 33, 7, 64, 20, 8, 17, 3, 25, 11, 6, 9]


class Catalog:
    """Passage text "passage <id>"; a lexical ranking of three fixed passages."""

    def describe(self, ids):
        return [PassageInfo(int(i), 0, "doc.txt", None, 0, f"passage {i}", ()) for i in ids]

    def lexical_search(self, text, k, where=None):
        ids = np.array([103, 130, 115], dtype=np.int64)[:k]
        return ids, np.arange(len(ids), 0, -1).astype(np.float32)


class ReverseVerifier:
    """A cross-encoder stand-in that prefers larger passage ids (its logits are no cosines)."""

    name, backend, max_tokens = "by-id", "test", 64

    def score(self, query, passages):
        return np.array([float(p.split()[1]) for p in passages], dtype=np.float32), len(passages)

    def estimate_ms(self, pairs, tokens_per_pair):
        return 0.0


@pytest.fixture
def index(rng):
    vectors, starts, lengths = random_packed(rng, LENGTHS, dtype=np.float16)
    return LateIndex(vectors, starts, lengths, np.arange(len(LENGTHS)) * 3 + 100, catalog=Catalog())


def query(rng, text="which passage", n=6):
    vectors = rng.standard_normal((n, 128))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # unit vectors, as an encoder's: dot = cosine
    return LateQuery.from_vectors(vectors, tokens=[f"t{i}" for i in range(n)], text=text)


def alignment_mean(result, hit) -> float:
    return float(result.alignment(hit).row_max.mean())


ALL = dict(query_vector_budget=0, document_vector_budget=0)


@pytest.mark.parametrize(
    "plan",
    [
        exhaustive_search_plan(final_k=8),
        hybrid_search_plan(final_k=6, candidate_k=8, lexical_k=3, **ALL),  # fused: score is no MaxSim
        SearchPlan("exhaustive", final_k=6, verify_k=4),  # stage 3 on the top 4, stage 2's order below
        SearchPlan("hybrid", 6, 8, 0, 0, 3, fusion="rrf", fusion_weight=0.3, verify_k=6),  # fused, then stage 3
    ],
    ids=["exact", "fused", "cross-encoder", "fused+cross-encoder"],
)
def test_the_mean_cosine_is_the_mean_best_cosine_under_every_ranking(rng, index, plan):
    result = search(query(rng), index, plan, verifier=ReverseVerifier() if plan.verify_k else None)
    assert result.hits
    for hit in result.hits:
        assert mean_cosine(result, hit) == pytest.approx(alignment_mean(result, hit), abs=2e-3)
        assert -1.0 <= mean_cosine(result, hit) <= 1.0
    if plan.verify_k:
        assert any(h.verified is not None and h.score != h.verified.stage2_score for h in result.hits)


def test_the_mean_cosine_divides_by_the_query_vectors_scored_not_all_of_them(rng, index):
    plan = exhaustive_search_plan(final_k=3, query_vector_budget=4)
    result = search(query(rng, n=10), index, plan)
    hit = result.hits[0]
    assert result.stages[0].query_vectors == 4
    assert mean_cosine(result, hit) == pytest.approx(hit.score / 4)


def test_a_result_without_an_exact_stage_has_no_mean_cosine(rng, index):
    result = search(query(rng), index, exhaustive_search_plan(final_k=3))
    result.stages = []  # what a ranking no exact stage scored would report
    assert mean_cosine(result, result.hits[0]) is None
    verdict = judge(result, Floor(0.2, "test", 10, 16))
    assert verdict.best is None and verdict.good_match is None and verdict.cosines == (None,) * 3


def test_the_judgement_against_a_floor(rng, index):
    result = search(query(rng), index, exhaustive_search_plan(final_k=8))
    cosines = [mean_cosine(result, h) for h in result.hits]
    middle = (cosines[0] + cosines[-1]) / 2
    good = judge(result, Floor(middle, "test rule", 120, 16))
    assert good.good_match is True and good.best == pytest.approx(max(cosines)) and good.floor == middle
    assert good.weak == tuple(c < middle for c in cosines) and any(good.weak) and not all(good.weak)
    assert good.method == "test rule" and f"{max(cosines):.3f} ≥" in good.why and "120 queries on 16" in good.why
    none = judge(result, Floor(max(cosines) + 0.01, "test rule", 120, 16))
    assert none.good_match is False and all(none.weak) and "<" in none.why
    assert none.to_dict() == {
        "floor": round(max(cosines) + 0.01, 6),
        "best": round(max(cosines), 6),
        "good_match": False,
        "method": "test rule",
        "why": none.why,
    }
    unknown = judge(result, None, "no floor yet: the index holds 16 passages")
    assert unknown.good_match is None and unknown.floor is None and not any(unknown.weak)
    assert unknown.why == "no floor yet: the index holds 16 passages" and unknown.best == pytest.approx(max(cosines))


def test_a_result_without_hits_is_not_judged(rng, index):
    result = search(query(rng, text="???"), index, exhaustive_search_plan(final_k=3))
    result.hits = []  # what a filter that admits no passage leaves
    verdict = judge(result, Floor(0.4, "test", 10, 16))
    assert (verdict.good_match, verdict.best, verdict.cosines, verdict.why) == (None, None, (), "no hits to judge")


def test_a_query_of_symbols_alone_is_never_a_good_match(rng, index):
    assert symbols_only("???") and symbols_only(" ... !! ") and not symbols_only("C++") and not symbols_only("3.14")
    result = search(query(rng, text="???", n=3), index, exhaustive_search_plan(final_k=4))
    for floor in (Floor(-1.0, "test", 10, 16), None):  # below every hit, or none learnt: symbols still fail
        verdict = judge(result, floor)
        assert verdict.good_match is False and all(verdict.weak) and verdict.method == SYMBOLS_ONLY
        assert "no letter or digit" in verdict.why
