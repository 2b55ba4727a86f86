"""NumPy reference and Mojo exact CPU: same scores, same rankings, same argmax; clear errors."""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import make_pdf, random_packed

from workbench.core import (
    MOJO_EXACT_CPU_BACKEND,
    NUMPY_REFERENCE_BACKEND,
    LateIndex,
    LateQuery,
    available_backends,
    document_proxy_search_plan,
    exhaustive_search_plan,
    get_backend,
    search_with_plan,
)

LENGTHS = [1, 7, 8, 9, 300, 2, 17, 64, 65, 127, 128, 129]


@pytest.fixture(scope="module")
def both():
    return get_backend(NUMPY_REFERENCE_BACKEND), get_backend(MOJO_EXACT_CPU_BACKEND)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("nq", [1, 3, 8, 16, 31, 32, 33, 64])
@pytest.mark.parametrize("budget", [0, 1, 8, 100])
def test_scores_and_argmax_agree(both, dtype, nq, budget):
    ref, mojo = both
    rng = np.random.default_rng(nq * 1000 + budget)
    vectors, starts, lengths = random_packed(rng, LENGTHS * 3, dtype=dtype)
    q = rng.standard_normal((nq, 128)).astype(np.float32)
    rows = rng.permutation(len(lengths))[: len(lengths) - 3].astype(np.int64)
    s_ref, a_ref = ref.maxsim(q, vectors, starts, lengths, rows, budget, want_argmax=True)
    s_mojo, a_mojo = mojo.maxsim(q, vectors, starts, lengths, rows, budget, want_argmax=True)
    assert np.abs(s_ref - s_mojo).max() <= 1e-4
    assert a_mojo.shape == (rows.shape[0], nq)
    # argmax may differ only where two document vectors tie for a query vector
    for k, r in enumerate(rows):
        d = vectors[starts[r] : starts[r] + (min(lengths[r], budget) if budget else lengths[r])].astype(np.float32)
        sims = q @ d.T
        picked = sims[np.arange(nq), a_mojo[k]]
        np.testing.assert_allclose(picked, sims.max(axis=1), atol=1e-5)


def test_empty_candidates(both):
    vectors, starts, lengths = random_packed(np.random.default_rng(0), [4, 5])
    q = np.ones((2, 128), np.float32)
    for backend in both:
        scores, argmax = backend.maxsim(q, vectors, starts, lengths, np.empty(0, np.int64), want_argmax=True)
        assert scores.shape == (0,) and argmax.shape == (0, 2)


@pytest.mark.parametrize(
    "plan", [exhaustive_search_plan(final_k=20), document_proxy_search_plan(final_k=10, candidate_k=40)]
)
def test_same_rankings_on_a_large_random_index(plan):
    rng = np.random.default_rng(5)
    vectors, starts, lengths = random_packed(rng, rng.integers(1, 200, 600), dtype=np.float16)
    index = LateIndex(vectors, starts, lengths, np.arange(600) + 1)
    q = LateQuery.from_vectors(rng.standard_normal((32, 128)))
    a = search_with_plan(q, index, plan, NUMPY_REFERENCE_BACKEND)
    b = search_with_plan(q, index, plan, MOJO_EXACT_CPU_BACKEND)
    assert [h.passage_id for h in a.hits] == [h.passage_id for h in b.hits]
    assert max(abs(x.score - y.score) for x, y in zip(a.hits, b.hits)) <= 1e-4
    assert b.stages[-1].backend == MOJO_EXACT_CPU_BACKEND
    assert [s.pairwise_similarities for s in a.stages] == [s.pairwise_similarities for s in b.stages]


def test_same_hits_on_really_encoded_pdfs(tmp_path, new_collection):
    pages = [
        f"Chapter {i}: " + text
        for i, text in enumerate(
            [
                "rivers carry sediment to deltas where it settles",
                "comets are icy bodies with glowing tails",
                "bees pollinate flowers while collecting nectar",
                "compilers translate source code to machine code",
                "tides follow the pull of the moon on the oceans",
                "violins have four strings tuned in fifths",
            ]
        )
    ]
    coll = new_collection()
    coll.ingest([make_pdf(tmp_path / "mixed.pdf", pages)])
    for query in ("why do tides happen", "insects and flowers", "translating programs"):
        for plan in (exhaustive_search_plan(final_k=6), document_proxy_search_plan(final_k=3, candidate_k=6)):
            a = coll.search(query, plan, NUMPY_REFERENCE_BACKEND)
            b = coll.search(query, plan, MOJO_EXACT_CPU_BACKEND)
            assert [(h.passage_id, h.page) for h in a.hits] == [(h.passage_id, h.page) for h in b.hits]
            assert max(abs(x.score - y.score) for x, y in zip(a.hits, b.hits)) <= 1e-4


def test_missing_kernel_says_why_and_how(tmp_path):
    code = (
        "import workbench as wb\n"
        "print(wb.available_backends()[wb.MOJO_EXACT_CPU_BACKEND])\n"
        "try:\n    wb.core.get_backend('mojo')\nexcept wb.BackendUnavailable as e:\n    print('ERR', e)\n"
        "print(wb.core.get_backend('numpy').name)\n"
    )
    env = dict(os.environ, KAYAK_MAXSIM_LIB=str(tmp_path / "absent.so"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert "(False," in out
    err = next(line for line in out.splitlines() if line.startswith("ERR"))
    assert "mojo_kernels/build.py" in err and "not available" in err
    assert out.strip().endswith("numpy-reference")


def test_both_backends_listed_available_here():
    status = available_backends()
    assert status[NUMPY_REFERENCE_BACKEND][0]
    assert status[MOJO_EXACT_CPU_BACKEND][0], status[MOJO_EXACT_CPU_BACKEND][1]
