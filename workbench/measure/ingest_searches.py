"""``workbench bench-ingest``'s search measurements: cold and warm latency in a fresh process, and searches
while another process merges every segment into one. Each runs the auto plan on Mojo where it runs
(NumPy otherwise), query encoding not timed."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ..core.backends import fastest_backend
from .percentiles import latency_percentiles, percentile

RECALL_QUERIES = 20  # exhaustive MaxSim, the reference, takes ≈3 s a query at 10⁶ passages (Mojo)

CHILD_MODULE = "workbench.measure.ingest_bench"  # whose ``main`` runs the child processes


def status_mb(field: str) -> float | None:
    """One memory figure of this process from ``/proc/self/status`` in MB (``VmHWM``: peak resident;
    ``RssAnon``: its own allocations, without the mapped index files the page cache holds for it);
    ``None`` where there is no such file (not Linux)."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith(f"{field}:")), None)


def drop_page_cache() -> bool:
    """Write back and drop the kernel's page cache (Linux, root only); False where that is not allowed."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def run_child(argv: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-m", CHILD_MODULE, *argv], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench child {argv[0]} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _timed_search(coll, backend: str):
    """``run(q) -> (milliseconds, [(passage_id, score)])``: the auto plan on ``coll``, retried across a
    writer's commit as every reader does; query encoding is not timed."""
    from ..core import auto_search_plan, search_with_plan

    plan = auto_search_plan()

    def run(q) -> tuple[float, list]:
        t = time.perf_counter()
        result = coll.retrying(lambda ix: search_with_plan(q, ix, plan, backend))
        return (time.perf_counter() - t) * 1000, [(h.passage_id, round(h.score, 4)) for h in result.hits]

    return run


def save_queries(path: Path, queries: list) -> None:
    """Encoded queries (:class:`~workbench.core.LateQuery`, nested ``(n_i, dim)`` float32) as one ``.npz``
    of rows, lengths and texts, no pickles."""
    np.savez(
        path,
        rows=np.concatenate([q.data for q in queries]),
        lengths=np.array([len(q.data) for q in queries], np.int64),
        texts=np.array([q.text for q in queries]),
    )


def load_queries(path: Path) -> list:
    from ..core import LateQuery

    with np.load(path, allow_pickle=False) as z:
        rows = np.split(z["rows"], np.cumsum(z["lengths"])[:-1])
        return [LateQuery(r, text=str(t)) for r, t in zip(rows, z["texts"])]


def cold_and_warm(index: Path, queries_path: Path, drop_caches: bool) -> dict:
    """In a fresh process: open ``index`` read-only and run each query once (cold: the page cache dropped
    first where ``drop_caches`` and the system allow it), then every query twice more (warm: the second
    pass is timed). Returns the opening time, both latency distributions and the anonymous memory held."""
    from ..collection import Collection

    queries = load_queries(queries_path)
    dropped = drop_page_cache() if drop_caches else False
    t = time.perf_counter()
    coll = Collection.open(index, read_only=True)
    coll.late_index()  # the layout, codes and centroid lists are read here, before the first query
    opened = time.perf_counter() - t
    backend = fastest_backend()
    run = _timed_search(coll, backend)
    cold = [run(q)[0] for q in queries]
    for q in queries:
        run(q)
    warm = [run(q)[0] for q in queries]
    return {
        "recall": auto_recall(coll.late_index(), queries[:RECALL_QUERIES], backend),
        "page_cache_dropped": dropped,
        "open_s": round(opened, 2),
        "cold": latency_percentiles(cold),
        "warm": latency_percentiles(warm),
        "queries": len(queries),
        "anon_rss_mb": round(status_mb("RssAnon") or float("nan")),
    }


def auto_recall(index, queries: list, backend: str) -> dict:
    """recall@10 of the auto plan against exhaustive MaxSim on the same vectors, over ``queries``
    (:func:`~.plan_recall.plan_recall`, its per-query list left out)."""
    from ..core import auto_search_plan
    from .plan_recall import exhaustive_top, plan_recall

    truth, _ = exhaustive_top(index, queries, backend)
    found = plan_recall(index, queries, truth, auto_search_plan(), backend)
    return {k: found[k] for k in ("recall_at_k", "min_recall", "candidate_k", "ran")} | {"queries": len(queries)}


def searches_during_merge(args: argparse.Namespace, work: Path, index: Path) -> dict:
    from ..collection import Collection
    from .scale_data import docstring_passages

    backend = fastest_backend()
    coll = Collection.open(index, read_only=True)
    rng = np.random.default_rng(5)
    texts = [" ".join(p.split()[:8]) for p in rng.choice(docstring_passages(), args.queries, replace=False)]
    queries = [coll.encode_query(t) for t in texts]
    queries_path = work / "queries.npz"
    save_queries(queries_path, queries)
    fresh = run_child(["--search", str(index), str(queries_path), "drop" if args.drop_caches else "keep"])
    run = _timed_search(coll, backend)
    for q in queries:  # warm the page cache and the opened index
        run(q)
    idle = [run(q) for q in queries]
    child = subprocess.Popen(
        [sys.executable, "-m", CHILD_MODULE, "--merge-all", str(index)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    child.stdout.readline()  # the child has started and holds the writer lock
    during, reopened, same, i = [], [], 0, 0
    while child.poll() is None:
        generation = coll.store.catalog.generation()
        ms, hits = run(queries[i % len(queries)])
        (during if coll.late_index().catalog.generation == generation else reopened).append(ms)
        same += hits == idle[i % len(queries)][1]
        i += 1
    stdout, stderr = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the merging process failed: {stderr.strip()[-2000:]}")
    idle_ms = [ms for ms, _ in idle]
    return {
        "backend": backend,
        "plan": "auto",
        "fresh_process": fresh,
        "idle_p50_ms": round(percentile(idle_ms, 50), 1),
        "idle_p95_ms": round(percentile(idle_ms, 95), 1),
        "idle_p99_ms": round(percentile(idle_ms, 99), 1),
        "during_merge_n": len(during),
        "during_merge_p50_ms": round(percentile(during, 50), 1),
        "during_merge_p95_ms": round(percentile(during, 95), 1),
        "reopened_ms": [round(ms, 1) for ms in reopened],
        "identical_results": f"{same}/{len(during) + len(reopened)}",
        "merge": json.loads(stdout.strip().splitlines()[-1]),
    }
