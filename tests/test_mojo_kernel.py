"""Tests for the Mojo MaxSim kernels (workbench.core.backends.mojo_kernel).

Nothing is skipped: the project's set-up builds the library (python
mojo_kernels/build.py), so a missing library fails here with the loader's message.
Each test runs against every kernel variant this CPU can execute.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import workbench.core.backends.mojo_kernel as mk

DIM = 128


def _cpu_has_avx512() -> bool:
    flags = mk._cpu_flags() or set()
    return mk._V4_FLAGS <= flags


VARIANTS = ["v3"] + (["native"] if _cpu_has_avx512() else [])


@pytest.fixture(params=VARIANTS, autouse=True)
def variant(request, monkeypatch):
    """Reload the kernel with KAYAK_MAXSIM_VARIANT forced to each usable variant."""
    monkeypatch.setenv("KAYAK_MAXSIM_VARIANT", request.param)
    monkeypatch.setattr(mk, "_kernel", None)
    ok, why = mk.kernel_status()
    if not ok:
        pytest.fail(f"MaxSim kernel unavailable: {why}")
    yield request.param
    monkeypatch.setattr(mk, "_kernel", None)  # next load sees the restored env


def reference(query, vectors, starts, lengths, rows, budget=0):
    """Straightforward float64 loop: scores [m] and the full per-passage sim matrices."""
    q = query.astype(np.float64)
    scores, sims = [], []
    for p in rows:
        n = int(lengths[p])
        if budget > 0:
            n = min(n, budget)
        d = vectors[starts[p] : starts[p] + n].astype(np.float64)
        s = q @ d.T  # [nq, n]
        sims.append(s)
        scores.append(s.max(axis=1).sum() if n > 0 else 0.0)
    return np.array(scores), sims


def make_corpus(rng, lengths, dtype, gap=0):
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths + gap)[:-1]]).astype(np.int64)
    total = int(starts[-1] + lengths[-1]) if len(lengths) else 0
    v = rng.standard_normal((total, DIM)).astype(np.float32)
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-6)
    return v.astype(dtype), starts, lengths


def check(query, vectors, starts, lengths, rows, budget=0, threads=None):
    scores, argmax = mk.maxsim_scores(
        query, vectors, starts, lengths, rows, doc_budget=budget, want_argmax=True, threads=threads
    )
    ref, sims = reference(query, vectors, starts, lengths, rows, budget)
    assert scores.dtype == np.float32 and scores.shape == (len(rows),)
    assert argmax.dtype == np.int32 and argmax.shape == (len(rows), query.shape[0])
    if len(rows):
        assert np.abs(scores - ref).max() <= 1e-4
    for r, s in enumerate(sims):
        if s.shape[1] == 0:
            assert scores[r] == 0.0 and (argmax[r] == -1).all()
            continue
        a = argmax[r]
        assert ((a >= 0) & (a < s.shape[1])).all()
        picked = s[np.arange(s.shape[0]), a]
        best = s.max(axis=1)
        # Exact argmax except where float32 rounding makes near-ties ambiguous.
        assert np.abs(picked - best).max() <= 1e-5
        exact = a == s.argmax(axis=1)
        assert exact.mean() >= 0.95
    # Scores alone (no argmax) are the same numbers.
    plain, none = mk.maxsim_scores(query, vectors, starts, lengths, rows, doc_budget=budget, threads=threads)
    assert none is None and np.array_equal(plain, scores)
    return scores, argmax


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("nq", [1, 5, 8, 9, 16, 17, 31, 32, 33, 63, 64])
def test_matches_reference_all_query_lengths(dtype, nq):
    rng = np.random.default_rng(nq)
    lens = [1, 7, 8, 9, 300, 2, 3, 4, 5, 6, 15, 16, 17, 31, 33, 128]
    vectors, starts, lengths = make_corpus(rng, lens, dtype)
    q = rng.standard_normal((nq, DIM)).astype(np.float32) * 0.3
    rows = np.arange(len(lens))
    for budget in (0, 1, 5, 8, 1000):
        check(q, vectors, starts, lengths, rows, budget)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_random_mix_unsorted_duplicates_threads(dtype):
    rng = np.random.default_rng(7)
    lens = rng.integers(1, 60, 400)
    vectors, starts, lengths = make_corpus(rng, lens, dtype, gap=3)
    q = rng.standard_normal((32, DIM)).astype(np.float32) * 0.3
    rows = rng.integers(0, len(lens), 700)  # unsorted, with duplicates
    s1, a1 = check(q, vectors, starts, lengths, rows, threads=1)
    s2, a2 = check(q, vectors, starts, lengths, rows, threads=2)
    s3, a3 = check(q, vectors, starts, lengths, rows, threads=5)
    assert np.array_equal(s1, s2) and np.array_equal(s1, s3)
    assert np.array_equal(a1, a2) and np.array_equal(a1, a3)
    dup = rows == rows[0]
    assert np.all(s1[dup] == s1[0])


def test_argmax_ties_pick_first():
    rng = np.random.default_rng(3)
    tok = rng.standard_normal(DIM).astype(np.float32)
    # Same token repeated (so every position ties) with a distinct one in the middle.
    vectors = np.tile(tok, (20, 1))
    vectors[10] = -tok
    starts, lengths = np.array([0, 5]), np.array([20, 15])
    q = np.stack([tok, -tok]).astype(np.float32)
    scores, argmax = mk.maxsim_scores(q, vectors, starts, lengths, np.array([0, 1]), want_argmax=True)
    assert argmax.tolist() == [[0, 10], [0, 5]]


def test_empty_rows_and_empty_passages():
    rng = np.random.default_rng(0)
    vectors, starts, lengths = make_corpus(rng, [4, 0, 9], np.float32)
    q = rng.standard_normal((5, DIM)).astype(np.float32)
    s, a = mk.maxsim_scores(q, vectors, starts, lengths, np.array([], dtype=np.int64), want_argmax=True)
    assert s.shape == (0,) and s.dtype == np.float32
    assert a.shape == (0, 5) and a.dtype == np.int32
    s, a = mk.maxsim_scores(q, vectors, starts, lengths, [], want_argmax=False)
    assert s.shape == (0,) and a is None
    s, a = check(q, vectors, starts, lengths, np.array([1, 0, 1, 2]))
    assert s[0] == 0.0 and (a[0] == -1).all()


def test_memmap_storage_not_copied(tmp_path):
    rng = np.random.default_rng(1)
    vectors, starts, lengths = make_corpus(rng, [3, 40, 9], np.float16)
    mm = np.lib.format.open_memmap(tmp_path / "v.npy", mode="w+", dtype=np.float16, shape=vectors.shape)
    mm[:] = vectors
    mm.flush()
    ro = np.load(tmp_path / "v.npy", mmap_mode="r")
    q = rng.standard_normal((8, DIM)).astype(np.float32)
    check(q, ro, starts, lengths, np.array([2, 1, 0]))


def test_large_batch_threads_agree():
    rng = np.random.default_rng(5)
    lens = np.full(600, 64)
    vectors, starts, lengths = make_corpus(rng, lens, np.float16)
    q = rng.standard_normal((32, DIM)).astype(np.float32)
    rows = rng.permutation(600)
    one, _ = mk.maxsim_scores(q, vectors, starts, lengths, rows, threads=1)
    two, _ = mk.maxsim_scores(q, vectors, starts, lengths, rows, threads=2)
    assert np.array_equal(one, two)
    ref, _ = reference(q, vectors, starts, lengths, rows[:50])
    assert np.abs(one[:50] - ref).max() <= 1e-4


def test_validation_errors():
    rng = np.random.default_rng(2)
    vectors, starts, lengths = make_corpus(rng, [4, 5], np.float32)
    q = rng.standard_normal((4, DIM)).astype(np.float32)
    rows = np.array([0, 1])
    bad = [
        dict(query=np.zeros((0, DIM), np.float32)),  # nq 0
        dict(query=np.zeros((65, DIM), np.float32)),  # nq 65
        dict(query=np.zeros((4, 64), np.float32)),  # bad query dim
        dict(query=np.zeros(DIM, np.float32)),  # 1-D query
        dict(vectors=vectors[:, :64].copy()),  # bad dim
        dict(vectors=vectors.astype(np.float64)),  # bad dtype
        dict(vectors=vectors.astype(np.int8)),  # bad dtype
        dict(vectors=np.asfortranarray(vectors)),  # not C-contiguous
        dict(vectors=vectors[::2]),  # strided view
        dict(vectors=vectors.tolist()),  # not an array
        dict(rows=np.array([0, 2])),  # out of range
        dict(rows=np.array([-1])),  # negative
        dict(rows=np.array([0.5])),  # not integers
        dict(starts=np.array([0, 6])),  # span beyond the vectors array
        dict(starts=np.array([-1, 4])),  # negative start
        dict(lengths=np.array([4, -1])),  # negative length
        dict(lengths=np.array([4])),  # size mismatch
        dict(doc_budget=-1),
        dict(threads=0),
    ]
    for override in bad:
        kw = dict(query=q, vectors=vectors, starts=starts, lengths=lengths, rows=rows)
        kw.update(override)
        with pytest.raises(ValueError):
            mk.maxsim_scores(**kw)
    # The span check honours the budget: a too-long passage is fine when cut short.
    s, _ = mk.maxsim_scores(q, vectors, starts, np.array([4, 50]), rows, doc_budget=5)
    ref, _ = reference(q, vectors, starts, np.array([4, 5]), rows)
    assert np.abs(s - ref).max() <= 1e-4


def test_native_checks_reject_bad_spans():
    """The C entry points validate too (defence in depth), returning error codes."""
    kern = mk._load()
    vectors = np.zeros((10, DIM), np.float32)
    q = np.ones((3, DIM), np.float32)
    starts, lengths = np.array([0, 8], np.int64), np.array([4, 4], np.int64)
    out = np.zeros(1, np.float32)
    fn = kern.fns[np.dtype(np.float32)]
    for rows, nq, expect in (
        (np.array([1]), 3, -3),
        (np.array([2]), 3, -2),
        (np.array([0]), 65, -1),
        (np.array([0]), 0, -1),
    ):
        rc = fn(
            q.ctypes.data,
            nq,
            vectors.ctypes.data,
            10,
            starts.ctypes.data,
            lengths.ctypes.data,
            2,
            rows.ctypes.data,
            1,
            0,
            out.ctypes.data,
            None,
        )
        assert rc == expect


def test_status_and_missing_library(monkeypatch, tmp_path, variant):
    ok, desc = mk.kernel_status()
    assert ok and "libkayak_maxsim.so" in desc and variant in desc
    monkeypatch.setattr(mk, "_kernel", None)
    monkeypatch.setenv("KAYAK_MAXSIM_LIB", str(tmp_path / "nope.so"))
    ok, why = mk.kernel_status()
    assert not ok and "mojo_kernels/build.py" in why
    with pytest.raises(mk.KernelUnavailable, match="mojo_kernels/build.py"):
        mk.maxsim_scores(
            np.ones((1, DIM), np.float32), np.ones((1, DIM), np.float32), np.array([0]), np.array([1]), np.array([0])
        )
    monkeypatch.setenv("KAYAK_MAXSIM_LIB", "")
    monkeypatch.setenv("KAYAK_MAXSIM_VARIANT", "bogus")
    assert not mk.kernel_status()[0]


def test_module_is_torch_and_qt_free():
    """Imported in a fresh interpreter, the kernel loader (and the input checks it shares with the residual
    kernel) pulls in no torch/Qt/sqlite3."""
    code = (
        "import sys; import workbench.core.backends.mojo_kernel as m; "
        "assert m.kernel_status()[0], m.kernel_status()[1]; "
        "bad = [n for n in ('torch', 'PyQt5', 'PyQt6', 'PySide6', 'sqlite3') if n in sys.modules]; "
        "sys.exit('imported: ' + ' '.join(bad) if bad else 0)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
