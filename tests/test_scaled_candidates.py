"""candidate_k 0: stage 1 passes on ⌈2·√N⌉ of the N passages searched (at least 100), for every staged
plan and the auto plan, and every result says how many it used."""

import math

import numpy as np
import pytest
from conftest import random_packed

from workbench.core import (
    NUMPY_REFERENCE_BACKEND,
    LateIndex,
    LateQuery,
    PassageFilter,
    auto_search_plan,
    centroid_search_plan,
    document_proxy_search_plan,
    scaled_candidate_k,
    search_with_plan,
)
from workbench.core.search import AUTO_EXACT_PAIRS
from workbench.measure.evaluation import describe_plan


def test_scaled_candidate_k_is_twice_the_root_never_under_100_or_stage_2():
    assert scaled_candidate_k(0, 10) == 100
    assert scaled_candidate_k(2_500, 10) == 100
    assert scaled_candidate_k(2_501, 10) == 101  # ⌈2·50.01⌉
    assert scaled_candidate_k(100_000, 10) == 633
    assert scaled_candidate_k(1_000_000, 10) == 2_000
    assert scaled_candidate_k(1_000_000, 5_000) == 5_000  # stage 2 passes on verify_k = 5,000


def test_zero_is_a_plan_value_and_negative_is_refused():
    assert document_proxy_search_plan(candidate_k=0).candidate_k == 0
    assert auto_search_plan().candidate_k == 0  # auto scales by default
    with pytest.raises(ValueError, match="negative"):
        centroid_search_plan(candidate_k=-1)
    with pytest.raises(ValueError, match="candidate_k"):
        centroid_search_plan(final_k=10, candidate_k=5)  # a named candidate_k still has to cover final_k
    assert "candidate_k=2√N" in describe_plan(centroid_search_plan(candidate_k=0).to_dict())
    assert "candidate_k=300" in describe_plan(centroid_search_plan(candidate_k=300).to_dict())


@pytest.fixture
def big(rng):
    """10,000 passages of 4 tokens: 2√N = 200 candidates."""
    vectors, starts, lengths = random_packed(rng, [4] * 10_000)
    return LateIndex(vectors, starts, lengths, np.arange(10_000) * 2 + 1)


def test_a_staged_plan_asking_for_0_runs_with_the_scaled_count_and_says_so(big, rng):
    q = LateQuery.from_vectors(rng.standard_normal((6, 128)))
    scaled = search_with_plan(q, big, document_proxy_search_plan(candidate_k=0))
    assert scaled.plan.candidate_k == 200 and scaled.requested.candidate_k == 0
    assert scaled.stages[0].candidates_out == 200
    assert scaled.stages[0].note == "200 candidates (2√N of 10,000 passages)"
    named = search_with_plan(q, big, document_proxy_search_plan(candidate_k=200))
    assert [h.passage_id for h in scaled.hits] == [h.passage_id for h in named.hits]
    assert named.requested is None and named.stages[0].note == ""


class _EvenDocuments:
    """The catalog's one question a filter asks, answered for an index without one: the passages of
    even row (ids 1, 5, 9, …)."""

    def passage_ids_where(self, where):
        return np.arange(0, 10_000, 2) * 2 + 1

    def describe(self, passage_ids):
        return [None] * len(passage_ids)


def test_a_filter_scales_to_the_passages_it_admits(big, rng):
    big.catalog = _EvenDocuments()
    q = LateQuery.from_vectors(rng.standard_normal((6, 128)))
    result = search_with_plan(
        q, big, document_proxy_search_plan(candidate_k=0), where=PassageFilter(file_types=("pdf",))
    )
    assert result.plan.candidate_k == math.ceil(2 * math.sqrt(5_000)) == 142
    assert result.stages[0].note == "142 candidates (2√N of 5,000 passages)"
    assert all(h.row % 2 == 0 for h in result.hits)


def test_auto_scales_its_centroid_plan_and_names_the_count_in_its_choice(rng):
    n = AUTO_EXACT_PAIRS[NUMPY_REFERENCE_BACKEND] // 8 // 40 + 1  # passages that push exact MaxSim over budget
    vectors, starts, lengths = random_packed(rng, [40] * n)
    index = LateIndex(vectors, starts, lengths, np.arange(n))
    q = LateQuery.from_vectors(vectors[:8])
    result = search_with_plan(q, index, auto_search_plan(final_k=5, n_probe=4))
    assert result.plan.kind == "centroid" and result.requested.candidate_k == 0
    assert result.plan.candidate_k == math.ceil(2 * math.sqrt(n)) == 159
    assert result.stages[0].candidates_out == 159
    # The count comes first, where a narrow status line still shows it.
    assert result.stages[0].note.startswith(
        "auto chose the centroid plan with 159 candidates (2√N of 6,251 passages): "
    )
    named = search_with_plan(q, index, auto_search_plan(final_k=5, candidate_k=20, n_probe=4))
    assert named.plan.candidate_k == 20 and "2√N" not in named.stages[0].note


def test_plan_recall_counts_what_stage_1_lets_through(big, rng):
    from workbench.core import exhaustive_search_plan
    from workbench.measure.plan_recall import exhaustive_top, plan_recall

    queries = [LateQuery.from_vectors(rng.standard_normal((6, 128))) for _ in range(4)]
    truth, ms = exhaustive_top(big, queries, NUMPY_REFERENCE_BACKEND)
    assert len(truth) == len(ms) == 4 and all(len(t) == 10 for t in truth)
    exact = plan_recall(big, queries, truth, exhaustive_search_plan(), NUMPY_REFERENCE_BACKEND)
    assert exact["recall_at_k"] == 1.0 and exact["per_query"] == [1.0] * 4 and exact["ran"] == "exhaustive"
    narrow = plan_recall(big, queries, truth, document_proxy_search_plan(candidate_k=10), NUMPY_REFERENCE_BACKEND)
    by_hand = [
        len(set(t) & {h.passage_id for h in search_with_plan(q, big, document_proxy_search_plan(candidate_k=10)).hits})
        / 10
        for q, t in zip(queries, truth)
    ]
    assert narrow["per_query"] == by_hand and narrow["recall_at_k"] == pytest.approx(np.mean(by_hand), abs=1e-3)
    assert narrow["recall_at_k"] < 1.0 and narrow["candidate_k"] == 10  # random vectors: the proxy misses some
    assert (
        plan_recall(big, queries, truth, document_proxy_search_plan(candidate_k=0), NUMPY_REFERENCE_BACKEND)[
            "candidate_k"
        ]
        == 200
    )


def test_a_small_collection_is_raised_to_100_and_the_note_says_so(rng):
    vectors, starts, lengths = random_packed(rng, [4] * 900)
    small = LateIndex(vectors, starts, lengths, np.arange(900))
    result = search_with_plan(
        LateQuery.from_vectors(rng.standard_normal((3, 128))), small, centroid_search_plan(candidate_k=0)
    )
    assert result.plan.candidate_k == 100
    assert result.stages[0].note == "100 candidates (2√N of 900 passages is 60, raised to 100)"
