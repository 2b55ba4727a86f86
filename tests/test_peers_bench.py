"""benchmarks/peers.py without the peers' environment: the export every engine reads round-trips, the
exhaustive float reference is MaxSim, this project's worker builds and searches what it exported, and
the scores (nDCG@10 over documents, overlap@10, latency percentiles) are computed as documented."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.core import NUMPY_REFERENCE_BACKEND, LateIndex
from workbench.core.metrics import ndcg_at
from workbench.measure.peers_data import (
    documents_in_order,
    export_queries,
    export_vectors,
    folder_bytes,
    percentiles_ms,
    quality,
    reference_rows,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import peers_worker  # noqa: E402


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, 128)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def index() -> LateIndex:
    """60 passages of 5..24 float16 vectors, stored out of order with unused rows between them (as
    segments and removals leave a packed array)."""
    rng = np.random.default_rng(3)
    lengths = rng.integers(5, 25, 60).astype(np.int64)
    order = rng.permutation(60)
    starts = np.empty(60, np.int64)
    at = 7  # rows 0..6 belong to no passage
    for row in order:
        starts[row] = at
        at += int(lengths[row]) + 3
    vectors = unit(rng, at).astype(np.float16)
    return LateIndex(vectors, starts, lengths, np.arange(100, 160, dtype=np.int64))


def test_export_round_trips_through_the_worker(index: LateIndex, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    queries = [unit(rng, n) for n in (3, 9, 1)]
    export_vectors(index, tmp_path)
    export_queries(queries, tmp_path)
    vectors, starts, lengths = peers_worker.layout(tmp_path)
    assert vectors.dtype == np.float32 and vectors.shape == (int(index.lengths.sum()), 128)
    for row, got in enumerate(peers_worker.passages(tmp_path)):
        s, n = int(index.starts[row]), int(index.lengths[row])
        np.testing.assert_array_equal(got, np.asarray(index.vectors[s : s + n], dtype=np.float32))
        np.testing.assert_array_equal(vectors[starts[row] : starts[row] + lengths[row]], got)
    for want, got in zip(queries, peers_worker.query_matrices(tmp_path)):
        np.testing.assert_array_equal(got, want)
    assert not list(tmp_path.glob("*.pkl")) and all(np.load(p, allow_pickle=False).size for p in tmp_path.glob("*.npy"))


def test_reference_is_exhaustive_maxsim(index: LateIndex, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    queries = [unit(rng, n) for n in (4, 11)]
    export_vectors(index, tmp_path)
    got = reference_rows(tmp_path, queries, 8)
    for q, rows in zip(queries, got):
        scores = [
            (q @ np.asarray(index.vectors[s : s + n], dtype=np.float32).T).max(axis=1).sum()
            for s, n in zip(index.starts, index.lengths)
        ]
        assert rows == list(np.argsort(-np.array(scores), kind="stable")[:8])


@pytest.mark.parametrize("engine", ["kayak-exact", "kayak-compact-4"])
def test_worker_builds_and_searches_this_project(engine: str, index: LateIndex, tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    queries = [unit(rng, 6) for _ in range(4)]
    data, built = tmp_path / "data", tmp_path / engine
    export_vectors(index, data)
    peers_worker.kayak_build(engine, data, built)
    assert folder_bytes(built) > 0
    exhaustive = peers_worker.kayak_open(engine, "exhaustive", built, NUMPY_REFERENCE_BACKEND)
    centroid = peers_worker.kayak_open(engine, "centroid", built, NUMPY_REFERENCE_BACKEND)
    reference = reference_rows(data, queries, 10)
    overlaps = []
    for q, ref in zip(queries, reference):
        rows = exhaustive(q, 10)
        assert len(rows) == 10 and set(rows) <= set(range(60))
        if engine == "kayak-exact":  # float16 vectors exported as float32: the same products
            assert rows == ref
        overlaps.append(len(set(rows) & set(ref)) / 10)
        assert len(centroid(q, 10)) == 10
    assert np.mean(overlaps) >= 0.7  # 4-bit residuals keep most of the exact top 10


def test_quality_counts_documents_and_overlap() -> None:
    docs = ["a", "a", "b", "c", "d"]  # rows 0 and 1 are two passages of document a
    assert documents_in_order([1, 0, 3, 2], docs) == ["a", "c", "b"]
    qrels = {"q1": {"a": 1.0, "b": 2.0}, "q2": {"d": 1.0}}
    runs = [[0, 1, 2, 3], [4, 3, 2, 1]]
    reference = [[2, 0, 1, 3], [3, 2, 1, 0]]
    q = quality(runs, reference, ["q1", "q2"], docs, qrels)
    assert q.per_query == {"q1": ndcg_at(["a", "b", "c"], qrels["q1"], 10), "q2": 1.0}
    assert q.ndcg10 == pytest.approx((q.per_query["q1"] + 1.0) / 2)
    assert q.overlap10 == pytest.approx((4 / 4 + 3 / 4) / 2)


def test_percentiles_in_milliseconds() -> None:
    p50, p95 = percentiles_ms([i / 1000 for i in range(1, 101)])
    assert p50 == pytest.approx(50.5) and p95 == pytest.approx(95.05)
