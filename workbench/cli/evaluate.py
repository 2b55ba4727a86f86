"""``workbench eval``: retrieval quality of a plan on BEIR-format queries and qrels, and with ``--compare``
the paired difference to a second plan on the same queries."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .plan_options import CLI_PLANS, add_plan_options, backend_from, filter_from, plan_from
from .terminal import UsageError, one_line

PLAN_OVERRIDES = (
    "final_k",
    "candidate_k",
    "lexical_k",
    "n_probe",
    "fusion",
    "fusion_weight",
    "query_vector_budget",
    "document_vector_budget",
    "rerank_vectors",
    "verify_k",
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``eval`` subcommand."""
    p = sub.add_parser("eval", help="retrieval quality on BEIR-format queries and qrels")
    p.add_argument("--index", required=True)
    p.add_argument("--queries", required=True, help="queries.jsonl (_id, text)")
    p.add_argument("--qrels", required=True, help="qrels TSV with header query-id, corpus-id, score")
    add_plan_options(p)
    p.add_argument(
        "--compare",
        metavar="PLAN[,name=value…]",
        default=None,
        help="also evaluate a second plan on the same queries and print A−B with its paired 95%% "
        "interval: a plan kind, then options that differ from this run's "
        "(e.g. exhaustive, or hybrid,fusion=none, or centroid,n_probe=4)",
    )
    p.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate the plan (and the ``--compare`` plan) and print the metrics, or them as JSON; skipped
    queries are named on stderr."""
    from ..collection import Collection
    from ..core.generators import run_to_end
    from ..measure.evaluation import iter_compare, load_qrels, load_queries

    plan = plan_from(args)
    other = plan_from(compared_args(args, args.compare)) if args.compare else None
    backend = backend_from(args)
    coll = Collection.open(args.index, model=args.model, read_only=True, trust_remote_code=args.trust_remote_code)
    coll.verifier_model = args.verifier
    queries, qrels, where = load_queries(Path(args.queries)), load_qrels(Path(args.qrels)), filter_from(args, coll)
    out, out_b, diff = run_to_end(iter_compare(coll, queries, qrels, plan, other, backend, where))
    if other is None:
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            _print_run(out)
    else:
        if args.json:
            print(json.dumps({"a": out, "b": out_b, "difference": diff}, indent=2))
        else:
            print_comparison(out, out_b, diff)
    for skip in out["skipped"]:
        print(f"skipped query {one_line(skip['id'])}: {one_line(skip['reason'])}", file=sys.stderr)
    return 0


def compared_args(args: argparse.Namespace, spec: str) -> argparse.Namespace:
    """The options of ``--compare KIND[,name=value…]``: this run's options with the plan kind and the
    named options replaced (``hybrid,fusion=none``, ``centroid,n_probe=4``)."""
    kind, *pairs = [p.strip() for p in spec.split(",")]
    if kind not in CLI_PLANS:
        raise UsageError(f"--compare starts with a plan ({', '.join(CLI_PLANS)}), got {kind!r}")
    out = argparse.Namespace(**vars(args))
    out.plan = kind
    if kind != "hybrid":
        out.fusion_weight = None  # A's fusion weight is not B's to refuse
    for pair in pairs:
        name, _, value = pair.partition("=")
        name = name.strip().replace("-", "_")
        if name not in PLAN_OVERRIDES or not value:
            raise UsageError(f"--compare: {pair!r} is not name=value with a name among {', '.join(PLAN_OVERRIDES)}")
        try:
            cast = str if name in ("fusion", "rerank_vectors") else float if name == "fusion_weight" else int
            setattr(out, name, cast(value))
        except ValueError:
            raise UsageError(f"--compare: {name} needs a number, got {value!r}") from None
    return out


def _print_run(out: dict) -> None:
    from ..measure.evaluation import describe_plan

    print(f"{'plan':<15}{describe_plan(out['plan'])} [{out['backend']}]")
    print(f"{'queries':<15}{out['queries']}")
    for key in ("ndcg@10", "recall@10", "recall@100", "mrr@10"):
        lo, hi = out["ci95"][key]
        print(f"{key:<15}{out[key]:.4f}  95% CI [{lo:.4f}, {hi:.4f}]")
    print(f"{'stage1_recall':<15}{out['stage1_recall']}")
    print(
        f"{'mean_ms':<15}{out['mean_ms']}  (" + ", ".join(f"{k} {v:.1f}" for k, v in out["mean_stage_ms"].items()) + ")"
    )


def print_comparison(a: dict, b: dict, diff: dict) -> None:
    """The text report of ``--compare``: each metric for A and B, A−B with its paired 95% interval and the
    per-query wins, losses and ties."""
    from ..measure.evaluation import describe_plan

    print(
        f"A: {describe_plan(a['plan'])}\nB: {describe_plan(b['plan'])}\n[{a['backend']}; "
        f"{diff['ndcg@10']['queries']} queries "
        "both evaluated; intervals: 95% percentile bootstrap over queries, paired for A−B]"
    )
    print(f"{'metric':<12}{'A':>8}{'B':>8}{'A−B':>9}  {'95% CI of A−B':<20}{'A wins/loses/ties':>18}")
    for key, d in diff.items():
        verdict = "" if d["low"] <= 0 <= d["high"] else ("  A better" if d["low"] > 0 else "  B better")
        print(
            f"{key:<12}{a[key]:>8.4f}{b[key]:>8.4f}{d['mean']:>+9.4f}  [{d['low']:+.4f}, {d['high']:+.4f}]"
            f"{d['wins']:>8}/{d['losses']}/{d['ties']}{verdict}"
        )
    print(f"{'mean_ms':<12}{a['mean_ms']:>8.2f}{b['mean_ms']:>8.2f}")
