"""Stage 3 on Cranfield: what a cross-encoder reranking the top ``verify_k`` adds, and what it costs.

    .venv/bin/python benchmarks/verify.py [--out out/cranfield] [--verify-k 10,20,50] [--verifier MODEL]

Uses the index and BEIR files that ``benchmarks/cranfield.py`` writes (and runs it first if they are
missing). For each base plan — exhaustive MaxSim (what the default ``auto`` plan runs on an index this
small) and the fused hybrid default — it evaluates the plan without stage 3 and with each ``verify_k``,
in one process on the same 225 queries, and prints nDCG@10 with its 95 % bootstrap interval, the paired
difference to the same plan without stage 3, and stage 3's cost: milliseconds per query and per pair,
and tokens per pair. Run it on an idle machine: the cost is the cross-encoder's CPU time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workbench.collection import Collection  # noqa: E402
from workbench.core import exhaustive_search_plan, hybrid_search_plan  # noqa: E402
from workbench.measure.evaluation import compare_runs, evaluate, load_qrels, load_queries  # noqa: E402

ALL = dict(query_vector_budget=0, document_vector_budget=0)
STAGE3 = "stage3:cross_encoder"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE.parent / "out" / "cranfield")
    ap.add_argument("--backend", default="numpy")
    ap.add_argument("--verify-k", default="10,20,50", help="depths to measure, separated by commas")
    ap.add_argument("--verifier", default=None, help="cross-encoder (default: the bundled INT8 ms-marco-MiniLM-L-12)")
    args = ap.parse_args()
    depths = [int(k) for k in args.verify_k.split(",")]
    beir, index = args.out / "beir", args.out / "cranfield.kayak"
    if not index.exists():
        subprocess.run(
            [sys.executable, str(HERE / "cranfield.py"), "--out", str(args.out), "--backends", "numpy"], check=True
        )
    coll = Collection.open(index, read_only=True)
    coll.verifier_model = args.verifier
    coll.encode_query = lru_cache(maxsize=None)(coll.encode_query)  # each query encoded once for all plans
    queries, qrels = load_queries(beir / "queries.jsonl"), load_qrels(beir / "qrels.tsv")
    coll.verifier().score("warm-up", ["one pass so that the first query does not pay for loading"])
    read = _count_tokens(coll.verifier())
    bases = {"exhaustive MaxSim": exhaustive_search_plan(**ALL), "hybrid rrf(w=0.3)": hybrid_search_plan(**ALL)}
    print(f"cross-encoder: {coll.verifier().name} on {coll.verifier().backend}; {len(queries)} queries\n")
    print(
        f"{'plan':<44}{'nDCG@10':>8}  {'95% CI':<17}{'Δ vs no stage 3':>16}  {'95% CI of Δ':<19}"
        f"{'ms/query':>9}{'ms/pair':>8}{'tok/pair':>9}"
    )
    report: dict = {"verifier": coll.verifier().name, "runs": {}}
    for base_name, base in bases.items():
        plain = evaluate(coll, queries, qrels, base, args.backend)
        _row(base_name, plain, None, None)
        report["runs"][base_name] = _summary(plain, None, None)
        for k in depths:
            tokens_before = read[0]
            run = evaluate(coll, queries, qrels, replace(base, verify_k=k), args.backend)
            diff = compare_runs(run, plain)["ndcg@10"]
            per_pair_tokens = (read[0] - tokens_before) / (k * run["queries"])
            name = f"{base_name} + stage 3 (verify_k={k})"
            _row(name, run, diff, per_pair_tokens)
            report["runs"][name] = _summary(run, diff, per_pair_tokens)
    (args.out / "verify.json").write_text(json.dumps(report, indent=2))
    return 0


def _count_tokens(verifier) -> list[int]:
    """Wrap ``verifier.score`` to add up the tokens it reads; returns the one-element running total."""
    total, score = [0], verifier.score

    def counted(query, passages):
        scores, tokens = score(query, passages)
        total[0] += tokens
        return scores, tokens

    verifier.score = counted
    return total


def _row(name: str, run: dict, diff: dict | None, tokens_per_pair: float | None) -> None:
    lo, hi = run["ci95"]["ndcg@10"]
    stage3 = run["mean_stage_ms"].get(STAGE3)
    k = run["plan"]["verify_k"]
    delta = f"{diff['mean']:>+16.4f}  [{diff['low']:+.4f}, {diff['high']:+.4f}]" if diff else f"{'':>16}  {'':<19}"
    cost = f"{stage3:>9.0f}{stage3 / k:>8.1f}{tokens_per_pair:>9.0f}" if stage3 else f"{run['mean_ms']:>9.1f}"
    print(f"{name:<44}{run['ndcg@10']:>8.4f}  [{lo:.4f}, {hi:.4f}]{delta}{cost}", flush=True)


def _summary(run: dict, diff: dict | None, tokens_per_pair: float | None) -> dict:
    out = {m: run[m] for m in ("ndcg@10", "recall@10", "recall@100", "mrr@10", "ci95", "mean_ms", "mean_stage_ms")}
    out["difference_to_no_stage3"] = diff
    out["tokens_per_pair"] = tokens_per_pair
    return out


if __name__ == "__main__":
    sys.exit(main())
