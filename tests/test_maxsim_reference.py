"""The NumPy reference MaxSim against a naive loop and against PyLate's own scoring."""

import numpy as np
import pytest
from conftest import random_packed

from workbench.core.backends import NUMPY_REFERENCE_BACKEND, get_backend

LENGTHS = [1, 7, 8, 9, 300, 3, 128]


def naive(q, vectors, starts, lengths, rows, budget):
    out = []
    for r in rows:
        n = lengths[r] if budget == 0 else min(lengths[r], budget)
        d = vectors[starts[r] : starts[r] + n].astype(np.float64)
        out.append(sum(max(float(qi @ dj) for dj in d) for qi in q.astype(np.float64)))
    return np.array(out)


@pytest.mark.parametrize("budget", [0, 1, 5, 8, 1000])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_reference_matches_naive_loop(rng, budget, dtype):
    vectors, starts, lengths = random_packed(rng, LENGTHS, dtype=dtype)
    q = rng.standard_normal((5, 128)).astype(np.float32)
    rows = np.array([4, 0, 2, 1, 3, 6, 5, 2], dtype=np.int64)  # unsorted, with a repeat
    scores, argmax = get_backend(NUMPY_REFERENCE_BACKEND).maxsim(
        q, vectors, starts, lengths, rows, budget, want_argmax=True
    )
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, naive(q, vectors, starts, lengths, rows, budget), atol=1e-4)
    for k, r in enumerate(rows):
        n = lengths[r] if budget == 0 else min(lengths[r], budget)
        d = vectors[starts[r] : starts[r] + n].astype(np.float32)
        assert (argmax[k] == (q @ d.T).argmax(axis=1)).all()


def test_reference_handles_empty_candidates_and_chunking(rng, monkeypatch):
    from workbench.core.backends import numpy_reference

    vectors, starts, lengths = random_packed(rng, [50] * 40)
    q = rng.standard_normal((3, 128)).astype(np.float32)
    backend = get_backend(NUMPY_REFERENCE_BACKEND)
    empty, _ = backend.maxsim(q, vectors, starts, lengths, np.empty(0, np.int64))
    assert empty.shape == (0,)
    whole, _ = backend.maxsim(q, vectors, starts, lengths, np.arange(40))
    monkeypatch.setattr(numpy_reference, "CHUNK_TOKENS", 120)  # forces many small chunks
    chunked, _ = backend.maxsim(q, vectors, starts, lengths, np.arange(40))
    np.testing.assert_allclose(whole, chunked, rtol=1e-6, atol=1e-6)  # other BLAS blocking: a few float32 ulps


def test_reference_matches_pylate_colbert_scores(rng):
    torch = pytest.importorskip("torch")
    from pylate.scores import colbert_scores

    vectors, starts, lengths = random_packed(rng, [7, 12, 1, 30])
    # PyLate zeroes masked (padding) similarities instead of excluding them, so a padded zero beats a
    # negative similarity; with non-negative vectors every real similarity is ≥ 0 and the two agree.
    vectors = np.abs(vectors)
    q = np.abs(rng.standard_normal((6, 128))).astype(np.float32)
    ours, _ = get_backend(NUMPY_REFERENCE_BACKEND).maxsim(q, vectors, starts, lengths, np.arange(4))
    docs = torch.nn.utils.rnn.pad_sequence(
        [torch.from_numpy(vectors[s : s + n]) for s, n in zip(starts, lengths)], batch_first=True
    )
    mask = torch.nn.utils.rnn.pad_sequence([torch.ones(int(n)) for n in lengths], batch_first=True)
    theirs = colbert_scores(torch.from_numpy(q)[None], docs, documents_mask=mask, backend="torch")[0].numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
