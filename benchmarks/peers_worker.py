"""One engine, one job, one process: the child that ``benchmarks/peers.py`` starts to build an index or to
time queries on it, so that each build's peak RSS is its own and each query run is pinned to its cores.

    python peers_worker.py build --engine E --data DATA --index DIR
    python peers_worker.py query --engine E --data DATA --index DIR --threads N --k K --queries M --out F.json

Runs under either interpreter: engines ``kayak-*`` import this project (our venv), the others import
only their own package (the peers' venv: fast-plaid, xtr-warp-rs, maxsim-cpu) — standard library, NumPy
and the engine, nothing else. ``DATA`` holds what the parent exported (never pickled):
``vectors.npy`` float32 ``[T, 128]`` (every passage's token vectors, passages end to end),
``doclens.npy`` int64 ``[n]`` (tokens per passage, in row order), ``qvecs.npy`` float32 ``[Q, 128]`` and
``qlens.npy`` int64 ``[q]`` (the query matrices end to end). A result names passages by row (0 … n−1).

The parent sets OMP/MKL/OpenBLAS/Rayon thread counts in the environment before this starts; a query run
also pins itself to ``--threads`` CPUs (``sched_setaffinity``) and tells torch and the engine the same.
``query`` writes ``{"rows": [[row, …] per query], "seconds": [per query]}``: each query searched alone
(batch of one), timed around the engine's search call only, after ``WARMUP`` untimed queries.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

WARMUP = 5  # queries run before timing: first-call costs (page faults, lazy loads, thread pools)
Search = Callable[[np.ndarray, int], list[int]]  # query float32 [nq, 128], k -> best k passage rows


def layout(data: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(vectors float32 [T, 128] memory map, starts int64 [n], lengths int64 [n])`` of the export."""
    vectors = np.load(data / "vectors.npy", mmap_mode="r")
    lengths = np.load(data / "doclens.npy").astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return vectors, starts, lengths


def query_matrices(data: Path) -> list[np.ndarray]:
    """The exported queries, each float32 ``[nq, 128]``."""
    qvecs = np.load(data / "qvecs.npy")
    ends = np.cumsum(np.load(data / "qlens.npy"))
    return [np.ascontiguousarray(qvecs[a:b]) for a, b in zip(np.concatenate(([0], ends[:-1])), ends)]


def passages(data: Path) -> list[np.ndarray]:
    """Every passage's float32 ``[len, 128]`` token vectors, read into memory (what the peers are handed)."""
    vectors, starts, lengths = layout(data)
    return [np.array(vectors[s : s + n]) for s, n in zip(starts, lengths)]


# ---- this project ---------------------------------------------------------------------------------------


def kayak_build(engine: str, data: Path, index: Path) -> None:
    """Train centroids (the ingest's defaults: 4·√T, 32 sample vectors each), code every token, build the
    inverted lists; then keep float16 vectors (``kayak-exact``) or fit and apply an n-bit residual codec
    (``kayak-compact-N``). Every array the search reads is written as ``.npy``."""
    from workbench.core import LateIndex
    from workbench.core.centroids import build_centroid_index
    from workbench.core.residuals import build_residual_index, coded_rows

    vectors, starts, lengths = layout(data)
    f16 = np.asarray(vectors, dtype=np.float16)  # what the index stores (the export came from these)
    late = LateIndex(f16, starts, lengths, np.arange(lengths.shape[0], dtype=np.int64))
    ci = build_centroid_index(late)
    index.mkdir(parents=True, exist_ok=True)
    arrays = {
        "doclens": lengths,
        "centroids": ci.centroids,
        "list_offsets": ci.list_offsets,
        "list_rows": ci.list_rows,
    }
    if engine == "kayak-exact":
        arrays["vectors"], arrays["codes"] = f16, ci.codes
    else:  # one row per token, its code then its residual: how a compact segment holds it
        ri = build_residual_index(f16, ci, int(engine.rsplit("-", 1)[1]))
        arrays["coded"] = coded_rows(ci.codes, np.asarray(ri.packed))
        arrays["codec"] = ri.codec.table()
    for name, array in arrays.items():
        np.save(index / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)


def kayak_open(engine: str, plan: str, index: Path, backend: str) -> Search:
    from workbench.core import LateIndex, LateQuery, centroid_search_plan, exhaustive_search_plan, search_with_plan
    from workbench.core.centroids import CentroidIndex
    from workbench.core.residual_vectors import ResidualVectors
    from workbench.core.residuals import ResidualCodec

    def load(name: str) -> np.ndarray:
        return np.load(index / f"{name}.npy", mmap_mode="r")

    lengths = np.asarray(load("doclens"))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    centroids = np.asarray(load("centroids"))
    vectors: np.ndarray | ResidualVectors
    if engine == "kayak-exact":
        vectors, codes = load("vectors"), load("codes")
    else:
        codec = ResidualCodec.from_table(int(engine.rsplit("-", 1)[1]), np.asarray(load("codec")), centroids.shape[1])
        vectors = ResidualVectors(load("coded"), centroids, codec)
        codes = vectors.codes
    ci = CentroidIndex(centroids, codes, np.asarray(load("list_offsets")), np.asarray(load("list_rows")))
    late = LateIndex(vectors, starts, lengths, np.arange(lengths.shape[0], dtype=np.int64), centroid_index=ci)

    def search(q: np.ndarray, k: int) -> list[int]:
        chosen = exhaustive_search_plan(final_k=k) if plan == "exhaustive" else centroid_search_plan(final_k=k)
        return [h.row for h in search_with_plan(LateQuery(q), late, chosen, backend).hits]

    return search


# ---- peers ----------------------------------------------------------------------------------------------


def peer_build(engine: str, data: Path, index: Path) -> None:
    """Each peer's documented create call with its defaults, on CPU; only ``nbits`` is set (fast-plaid)."""
    import torch

    docs = [torch.from_numpy(p) for p in passages(data)]
    if engine.startswith("fast-plaid"):
        from fast_plaid import search as fp

        fp.FastPlaid(index=str(index), device="cpu").create(
            documents_embeddings=docs, nbits=int(engine.rsplit("-", 1)[1])
        )
    elif engine == "xtr-warp":
        from xtr_warp import XTRWarp

        XTRWarp(index=str(index)).create(docs, device="cpu", show_progress=False)
    else:
        raise SystemExit(f"no build for engine {engine!r}")


def peer_open(engine: str, data: Path, index: Path, threads: int) -> Search:
    import torch

    torch.set_num_threads(threads)
    if engine.startswith("fast-plaid"):
        from fast_plaid import search as fp

        plaid = fp.FastPlaid(index=str(index), device="cpu")

        def plaid_search(q: np.ndarray, k: int) -> list[int]:
            hits = plaid.search(queries_embeddings=torch.from_numpy(q)[None], top_k=k, show_progress=False)
            return [int(pid) for pid, _ in hits[0]]

        return plaid_search
    if engine == "xtr-warp":
        from xtr_warp import XTRWarp

        warp = XTRWarp(index=str(index)).load(device="cpu")

        def warp_search(q: np.ndarray, k: int) -> list[int]:
            hits = warp.search(torch.from_numpy(q), top_k=k, num_threads=threads, show_progress=False)
            return [int(pid) for pid, _ in hits[0]]

        return warp_search
    if engine == "maxsim-cpu":
        import maxsim_cpu

        docs = passages(data)

        def exhaustive(q: np.ndarray, k: int) -> list[int]:
            # maxsim-cpu 0.1.0 scores wrongly past 32 query vectors (|error| 9 to 18 at 33 to 64 on unit
            # vectors, exact to 2e-6 up to 32): MaxSim is a sum over query vectors, so score ≤ 32 at a time.
            scores = sum(maxsim_cpu.maxsim_scores_variable(q[i : i + 32], docs) for i in range(0, len(q), 32))
            best = np.argpartition(-scores, min(k, len(docs) - 1))[:k]
            return [int(r) for r in best[np.lexsort((best, -scores[best]))]]

        return exhaustive
    raise SystemExit(f"no engine {engine!r}")


# ---- the two jobs ---------------------------------------------------------------------------------------


def run_queries(search: Search, queries: list[np.ndarray], k: int) -> dict[str, list]:
    """Every query alone through ``search``, timed; the first ``WARMUP`` also run once untimed before."""
    for q in queries[:WARMUP]:
        search(q, k)
    rows, seconds = [], []
    for q in queries:
        t0 = time.perf_counter()
        found = search(q, k)
        seconds.append(time.perf_counter() - t0)
        rows.append(found)
    return {"rows": rows, "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("job", choices=("build", "query"))
    ap.add_argument("--engine", required=True)
    ap.add_argument("--plan", default="", help="kayak-*: exhaustive or centroid")
    ap.add_argument("--backend", default="mojo-exact-cpu", help="kayak-*: the search backend")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--queries", type=int, default=0, help="the first M queries only (0: all)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.job == "build":
        (kayak_build if args.engine.startswith("kayak-") else peer_build)(args.engine, args.data, args.index)
        return
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.threads])
    if args.engine.startswith("kayak-"):
        search = kayak_open(args.engine, args.plan, args.index, args.backend)
    else:
        search = peer_open(args.engine, args.data, args.index, args.threads)
    queries = query_matrices(args.data)
    result = run_queries(search, queries[: args.queries or None], args.k)
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
