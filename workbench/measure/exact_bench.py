"""`workbench bench`: the same exact MaxSim, side by side in one process, on every executor at hand.

Executors: the Mojo kernel (multi-threaded), the NumPy reference, and as peers torch ``einsum`` and
PyLate's ``colbert_scores`` (padded batches). Each runs on identical data — the packed layout for the
first two, padded tensors for the torch peers (their padding costs are theirs) — and is timed as the
median of several repeats. GFLOP/s counts 2·nq·dim per document vector, the useful work only. The same
vectors are also scored coded as the compact tiers (centroid code + 4- or 2-bit residuals): the Mojo
kernel on the coded rows against the NumPy reference decoding them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from statistics import median

import numpy as np

from ..core import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND, BackendUnavailable, LateIndex, get_backend
from ..core.centroids import assign, train_centroids
from ..core.residual_vectors import ResidualVectors
from ..core.residuals import ResidualCodec, coded_rows


@dataclass
class Timing:
    name: str
    ms: float
    scores: np.ndarray


def synthetic_index(n_passages: int, tokens: int = 128, dim: int = 128, seed: int = 7) -> LateIndex:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n_passages * tokens, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    starts = np.arange(n_passages, dtype=np.int64) * tokens
    return LateIndex(vectors, starts, np.full(n_passages, tokens, np.int64), np.arange(n_passages))


def _time(fn: Callable[[], np.ndarray], repeats: int) -> tuple[float, np.ndarray]:
    out = fn()  # warm-up (thread pools, caches, lazy imports)
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        samples.append((time.perf_counter() - t) * 1e3)
    return median(samples), np.asarray(out, dtype=np.float32)


def _torch_peers(q: np.ndarray, index: LateIndex, rows: np.ndarray) -> dict[str, Callable[[], np.ndarray]]:
    import torch
    from pylate.scores import colbert_scores

    lengths = index.lengths[rows]
    width = int(lengths.max())
    padded = np.zeros((rows.shape[0], width, index.dim), np.float32)
    mask = np.zeros((rows.shape[0], width), np.float32)
    for k, (s, n) in enumerate(zip(index.starts[rows], lengths)):
        padded[k, :n] = index.vectors[s : s + n]
        mask[k, :n] = 1
    docs, qt, mt = torch.from_numpy(padded), torch.from_numpy(q), torch.from_numpy(mask).bool()

    def einsum() -> np.ndarray:
        with torch.inference_mode():
            sims = torch.einsum("qd,btd->bqt", qt, docs).masked_fill(~mt[:, None, :], float("-inf"))
            return sims.max(dim=2).values.sum(dim=1).numpy()

    def pylate() -> np.ndarray:
        with torch.inference_mode():
            return colbert_scores(qt[None], docs, documents_mask=mt.float(), backend="torch")[0].numpy()

    return {"torch einsum": einsum, "pylate colbert_scores": pylate}


def run_bench(index: LateIndex, n_query: int = 32, repeats: int = 5, peers: bool = True, seed: int = 11) -> dict:
    """Benchmark every executor on ``index`` stored as float32, as float16 and coded as the compact tiers
    (:func:`_storages`; the torch peers score float vectors only)."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((n_query, index.dim)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    rows = np.arange(index.n_passages, dtype=np.int64)
    n_vectors = int(index.lengths.sum())
    gflop = 2.0 * n_query * n_vectors * index.dim / 1e9
    report: dict = {
        "passages": index.n_passages,
        "document_vectors": n_vectors,
        "query_vectors": n_query,
        "dim": index.dim,
        "gflop_per_search": round(gflop, 4),
        "storage": {},
    }
    for storage, vectors in _storages(index):
        # float64 truth on the vectors as stored (as decoded, for a compact tier): differences then measure
        # the executor, not the storage
        stored = np.asarray(vectors, dtype=np.float64)
        reference = np.array(
            [(q.astype(np.float64) @ stored[s : s + n].T).max(1).sum() for s, n in zip(index.starts, index.lengths)]
        )
        del stored
        runs: dict[str, Callable[[], np.ndarray]] = {}
        try:
            mojo = get_backend(MOJO_EXACT_CPU_BACKEND)
            runs["mojo"] = lambda v=vectors: mojo.maxsim(q, v, index.starts, index.lengths, rows)[0]
            runs["mojo (1 thread)"] = _one_thread(q, vectors, index, rows)
        except BackendUnavailable as exc:
            report["mojo_unavailable"] = str(exc)
        numpy_ref = get_backend(NUMPY_REFERENCE_BACKEND)
        runs["numpy"] = lambda v=vectors: numpy_ref.maxsim(q, v, index.starts, index.lengths, rows)[0]
        if peers and isinstance(vectors, np.ndarray):
            runs.update(_torch_peers(q, LateIndex(vectors, index.starts, index.lengths, index.passage_ids), rows))
        results = {}
        for name, fn in runs.items():
            ms, scores = _time(fn, repeats)
            results[name] = {
                "ms": round(ms, 3),
                "docs_per_s": round(index.n_passages / ms * 1e3, 1),
                "gflops": round(gflop / ms * 1e3, 1),
                "max_abs_diff": float(np.abs(scores - reference).max()),
            }
        if "mojo" in results:
            for r in results.values():
                r["ratio_to_mojo"] = round(r["ms"] / results["mojo"]["ms"], 2)
        entry: dict = {"executors": results}
        if "mojo" in results:
            entry["speedup_mojo_vs_numpy"] = round(results["numpy"]["ms"] / results["mojo"]["ms"], 2)
            entry["max_abs_diff"] = max(results["mojo"]["max_abs_diff"], results["numpy"]["max_abs_diff"])
            entry["mojo_thread_scaling"] = round(results["mojo (1 thread)"]["ms"] / results["mojo"]["ms"], 2)
        report["storage"][storage] = entry
    return report


def _storages(index: LateIndex) -> list[tuple[str, np.ndarray | ResidualVectors]]:
    """``index``'s vectors as float32, as float16, and coded as the compact tiers (4- and 2-bit residuals
    against 1,024 centroids trained on them, one coded row per token)."""
    x = np.ascontiguousarray(index.vectors, dtype=np.float32)
    out: list[tuple[str, np.ndarray | ResidualVectors]] = [("float32", x), ("float16", x.astype(np.float16))]
    pick = np.random.default_rng(0).choice(x.shape[0], min(x.shape[0], 1 << 15), replace=False)
    centroids = train_centroids(x[pick], 1024)
    codes = assign(x, centroids)
    for nbits in (4, 2):
        codec = ResidualCodec.fit(x[pick] - centroids[codes[pick]], nbits)
        rows = coded_rows(codes, codec.encode(x, centroids, codes))
        out.append((f"compact-{nbits} (residuals)", ResidualVectors(rows, centroids, codec)))
    return out


def _one_thread(
    q: np.ndarray, vectors: np.ndarray | ResidualVectors, index: LateIndex, rows: np.ndarray
) -> Callable[[], np.ndarray]:
    """The Mojo kernel for ``vectors`` (float or coded rows) on the calling thread alone."""
    from ..core.backends.mojo_kernel import maxsim_scores
    from ..core.backends.mojo_residual import residual_maxsim_scores

    if isinstance(vectors, ResidualVectors):
        v = vectors
        return lambda: residual_maxsim_scores(
            q, v.coded, v.centroids, v.codec, index.starts, index.lengths, rows, threads=1
        )[0]
    return lambda: maxsim_scores(q, vectors, index.starts, index.lengths, rows, threads=1)[0]


def format_report(report: dict) -> str:
    lines = [
        f"{report['passages']} passages, {report['document_vectors']} document vectors, "
        f"{report['query_vectors']} query vectors, dim {report['dim']} "
        f"({report['gflop_per_search']} GFLOP per search)"
    ]
    if "mojo_unavailable" in report:
        lines.append(f"mojo: {report['mojo_unavailable']}")
    for storage, entry in report["storage"].items():
        lines.append(f"\nstorage {storage}")
        lines.append(f"  {'executor':<24}{'ms':>10}{'docs/s':>12}{'GFLOP/s':>10}{'max |diff|':>12}{'× mojo':>9}")
        for name, r in entry["executors"].items():
            ratio = f"{r['ratio_to_mojo']:.2f}" if "ratio_to_mojo" in r else "—"
            lines.append(
                f"  {name:<24}{r['ms']:>10.2f}{r['docs_per_s']:>12.0f}{r['gflops']:>10.1f}"
                f"{r['max_abs_diff']:>12.2e}{ratio:>9}"
            )
        if "speedup_mojo_vs_numpy" in entry:
            lines.append(
                f"  mojo vs numpy: {entry['speedup_mojo_vs_numpy']:.2f}× faster; mojo all threads vs 1: "
                f"{entry['mojo_thread_scaling']:.2f}×"
            )
    return "\n".join(lines)
