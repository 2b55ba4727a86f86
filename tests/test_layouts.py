"""LateQuery / LateIndex layouts and their conversions."""

import numpy as np
import pytest
from conftest import random_packed

from workbench.core import LateIndex, LateQuery, LayoutError
from workbench.core.layouts import build_proxies


def test_query_nested_and_flat_round_trip(rng):
    vecs = rng.standard_normal((5, 128)).astype(np.float32)
    q = LateQuery.from_vectors(vecs.tolist(), tokens=list("abcde"), text="x")
    flat = q.to_flat_dim128()
    assert flat.layout == "flat_dim128" and flat.data.shape == (640,) and flat.data.flags.c_contiguous
    assert flat.n_vectors == 5 and flat.tokens == q.tokens
    np.testing.assert_array_equal(flat.matrix(), vecs)
    np.testing.assert_array_equal(flat.to_nested().matrix(), vecs)


def test_flat_layout_refuses_other_dims(rng):
    q = LateQuery.from_vectors(rng.standard_normal((3, 96)))
    with pytest.raises(LayoutError, match="96-dimensional.*exactly 128"):
        q.to_flat_dim128()
    with pytest.raises(LayoutError, match="multiple of 128"):
        LateQuery(np.zeros(100, np.float32), layout="flat_dim128")
    with pytest.raises(LayoutError, match="token strings"):
        LateQuery.from_vectors(np.zeros((2, 128)), tokens=["a"])


def test_index_validates_ranges(rng):
    vectors, starts, lengths = random_packed(rng, [3, 4])
    with pytest.raises(LayoutError, match="outside"):
        LateIndex(vectors, starts, lengths + 1, np.array([1, 2]))
    with pytest.raises(LayoutError, match="float16 or float32"):
        LateIndex(vectors.astype(np.float64), starts, lengths, np.array([1, 2]))


def test_proxies_are_means_of_the_budgeted_prefix(rng):
    vectors, starts, lengths = random_packed(rng, [1, 7, 8, 9, 300], dtype=np.float16)
    index = LateIndex(vectors, starts, lengths, np.arange(5) + 10)
    for budget in (0, 1, 8, 64):
        got = build_proxies(index, budget, chunk_tokens=16)
        for r in range(5):
            n = lengths[r] if budget == 0 else min(lengths[r], budget)
            want = vectors[starts[r] : starts[r] + n].astype(np.float32).mean(axis=0)
            np.testing.assert_allclose(got[r], want, atol=1e-5)
    assert index.layout == "packed"
    hybrid = index.to_hybrid_flat_dim128(document_vector_budget=8)
    assert hybrid.layout == "hybrid_flat_dim128" and 8 in hybrid.proxies
    assert hybrid.to_packed().layout == "packed"


def test_hybrid_layout_refuses_other_dims(rng):
    vectors, starts, lengths = random_packed(rng, [2, 2], dim=64)
    with pytest.raises(LayoutError, match="64-dimensional"):
        LateIndex(vectors, starts, lengths, np.array([1, 2])).to_hybrid_flat_dim128()
