#!/usr/bin/env python3
"""Stage-1 recall as a collection grows: how much of exhaustive MaxSim's top 10 the centroid plan finds
with a fixed candidate_k and with the scaled one (⌈2·√N⌉, the auto plan's default), side by side in one
run on one index.

    .venv/bin/python benchmarks/stage1_recall.py --index DIR --queries FILE [--n 60] [--candidate-k 100,300,1000]

``--queries``: a ``queries.npz`` written by ``workbench bench-ingest`` (encoded queries), or a BEIR
``queries.jsonl`` (encoded here with the index's encoder). The reference is exhaustive MaxSim over the
same vectors stage 2 scores (a compact index's coded rows), so every miss is stage 1's. Each plan runs
on the Mojo backend where it is built (NumPy otherwise), warm: one untimed search first.

It prints per plan: candidate_k (a scaled one resolved), recall@10 mean and lowest, p50/p95/p99
milliseconds, and the p50 against the auto plan at candidate_k 100 (the default before 2·√N).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.collection import Collection  # noqa: E402
from workbench.core import auto_search_plan, centroid_search_plan  # noqa: E402
from workbench.core.backends import fastest_backend  # noqa: E402
from workbench.measure.ingest_searches import load_queries  # noqa: E402
from workbench.measure.plan_recall import exhaustive_top, plan_recall  # noqa: E402


def read_queries(path: Path, coll: Collection, n: int) -> list:
    if path.suffix == ".npz":
        return load_queries(path)[:n]
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [coll.encode_query(t) for t in texts[:n]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--queries", required=True, type=Path)
    ap.add_argument("--n", type=int, default=60, help="queries (exhaustive MaxSim of 10⁶ passages: ≈3 s each)")
    ap.add_argument("--n-probe", type=int, default=8)
    ap.add_argument("--candidate-k", default="300,1000", help="fixed candidate_k values to run beside 100 and 2√N")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    coll = Collection.open(args.index, read_only=True)
    index = coll.late_index()
    backend = fastest_backend(index.dim)
    queries = read_queries(args.queries, coll, args.n)
    t = time.perf_counter()
    truth, exhaustive_ms = exhaustive_top(index, queries, backend)
    print(
        f"{index.n_passages:,} passages, {int(index.lengths.sum()):,} token vectors, {len(queries)} queries, "
        f"{backend}; exhaustive MaxSim (the reference) took {time.perf_counter() - t:.0f} s",
        file=sys.stderr,
    )
    plans = {"auto, candidate_k 100 (before)": auto_search_plan(candidate_k=100, n_probe=args.n_probe)}
    plans["auto, candidate_k 2√N (default)"] = auto_search_plan(n_probe=args.n_probe)
    for k in (int(v) for v in args.candidate_k.split(",") if v.strip()):
        plans[f"centroid, candidate_k {k}"] = centroid_search_plan(
            candidate_k=k, n_probe=args.n_probe, query_vector_budget=0
        )
    rows = {}
    for name, plan in plans.items():
        rows[name] = plan_recall(index, queries, truth, plan, backend)
        print(f"  {name}: recall@10 {rows[name]['recall_at_k']}", file=sys.stderr)
    report = {
        "passages": index.n_passages,
        "token_vectors": int(index.lengths.sum()),
        "queries": len(queries),
        "backend": backend,
        "n_probe": args.n_probe,
        "exhaustive_p50_ms": round(sorted(exhaustive_ms)[len(exhaustive_ms) // 2], 1),
        "plans": rows,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    base = rows["auto, candidate_k 100 (before)"]["p50_ms"]
    print(
        f"{report['passages']:,} passages ({report['token_vectors']:,} vectors), {report['queries']} queries, "
        f"{backend}, n_probe {args.n_probe}; reference: exhaustive MaxSim on the same vectors "
        f"(p50 {report['exhaustive_p50_ms']:,} ms)"
    )
    print(f"{'plan':<34} {'candidate_k':>11} {'recall@10':>9} {'lowest':>6} {'p50/p95/p99 ms':>20} {'p50 ×':>6}")
    for name, r in rows.items():
        lat = f"{r['p50_ms']}/{r['p95_ms']}/{r['p99_ms']}"
        print(
            f"{name:<34} {r['candidate_k']:>11,} {r['recall_at_k']:>9.3f} {r['min_recall']:>6.2f} {lat:>20} "
            f"{r['p50_ms'] / base:>6.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
