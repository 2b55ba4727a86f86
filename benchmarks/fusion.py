"""Fused hybrid ranking on Cranfield: MaxSim and BM25 fused by reciprocal rank or linearly, across weights.

    .venv/bin/python benchmarks/fusion.py [--out out/cranfield] [--backend numpy]

Uses the index and BEIR files that ``benchmarks/cranfield.py`` writes (and runs it first if they are
missing). Every plan is evaluated in one process on the same 225 queries, each query encoded once.
It prints nDCG@10 (95 % bootstrap interval), recall@100 and MRR@10 per plan; then the chosen plan
against exhaustive MaxSim, BM25 and single-vector MiniLM as paired differences with their intervals.

The weights are chosen on these same queries (there is no held-out Cranfield split), so the chosen
point is optimistic by the spread of its neighbours: the table shows them all.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from baselines import bm25_ndcg, single_vector_ndcg  # noqa: E402

from workbench.collection import Collection  # noqa: E402
from workbench.core import exhaustive_search_plan, hybrid_search_plan  # noqa: E402
from workbench.core.metrics import paired_difference  # noqa: E402
from workbench.measure.evaluation import evaluate, load_qrels, load_queries  # noqa: E402

WEIGHTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
ALL = dict(query_vector_budget=0, document_vector_budget=0)


def plans() -> dict:
    out = {
        "exhaustive MaxSim": exhaustive_search_plan(**ALL),
        "hybrid, MaxSim only (union ranked by MaxSim)": hybrid_search_plan(**ALL, fusion="none"),
    }
    for fusion in ("rrf", "linear"):
        for w in WEIGHTS:
            out[f"hybrid {fusion} w_bm25={w:g}"] = hybrid_search_plan(**ALL, fusion=fusion, fusion_weight=w)
    out["hybrid default plan (budgets 32/64)"] = hybrid_search_plan()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE.parent / "out" / "cranfield")
    ap.add_argument("--backend", default="numpy")
    ap.add_argument("--no-baselines", action="store_true", help="skip single-vector MiniLM (≈1 min)")
    args = ap.parse_args()
    beir, index = args.out / "beir", args.out / "cranfield.kayak"
    if not index.exists():
        subprocess.run(
            [sys.executable, str(HERE / "cranfield.py"), "--out", str(args.out), "--backends", "numpy"], check=True
        )
    coll = Collection.open(index, read_only=True)
    coll.encode_query = lru_cache(maxsize=None)(coll.encode_query)  # each query encoded once for all plans
    queries, qrels = load_queries(beir / "queries.jsonl"), load_qrels(beir / "qrels.tsv")
    runs = {}
    print(f"{'plan':<48}{'nDCG@10':>9}  {'95% CI':<17}{'R@100':>7}{'MRR@10':>8}{'ms/q':>8}")
    for name, plan in plans().items():
        r = runs[name] = evaluate(coll, queries, qrels, plan, args.backend)
        lo, hi = r["ci95"]["ndcg@10"]
        print(
            f"{name:<48}{r['ndcg@10']:>9.4f}  [{lo:.4f}, {hi:.4f}] {r['recall@100']:>7.4f}{r['mrr@10']:>8.4f}"
            f"{r['mean_ms']:>8.1f}",
            flush=True,
        )
    fused = {k: v for k, v in runs.items() if k.startswith("hybrid rrf") or k.startswith("hybrid weighted")}
    best = max(fused, key=lambda k: fused[k]["ndcg@10"])
    per_best = {q: m["ndcg@10"] for q, m in runs[best]["per_query"].items()}
    others = {
        "exhaustive MaxSim": {q: m["ndcg@10"] for q, m in runs["exhaustive MaxSim"]["per_query"].items()},
        "BM25 (same harness)": bm25_ndcg(beir),
    }
    if not args.no_baselines:
        others["single-vector MiniLM (same harness)"] = single_vector_ndcg(beir)
    print(f"\nbest fused plan: {best}; nDCG@10 differences, paired over queries (95% bootstrap interval):")
    report = {
        "runs": {k: {m: v for m, v in r.items() if m != "per_query"} for k, r in runs.items()},
        "best": best,
        "differences": {},
    }
    for name, per in others.items():
        d = paired_difference(per_best, per)
        report["differences"][name] = d
        print(
            f"  − {name:<38} mean {sum(per.values()) / len(per):.4f}:  {d['mean']:+.4f} "
            f"[{d['low']:+.4f}, {d['high']:+.4f}]  wins/losses/ties {d['wins']}/{d['losses']}/{d['ties']}"
        )
    (args.out / "fusion.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
