"""Encoder runtimes on this machine, in one run: torch fp32 vs ONNX Runtime fp32 (and, with ``--int8``,
ONNX Runtime dynamic INT8, for the record), documents per second and query p50/p90, plus max |Δ| vs torch.

    .venv/bin/python benchmarks/encode.py [--scifact ../shared/eval/scifact] [--passages 300] [--queries 60]
                                          [--rounds 2] [--int8] [--out out/encode.json]

The ONNX export is built (once, ≈10 s) in the user's cache when missing. On a shared machine the absolute
figures move with the load; the ratios, taken chunk by chunk in one process, are the steadier numbers.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from workbench.encode import Encoder
from workbench.encode.onnx_runtime import cpu_threads
from workbench.measure.encode_bench import int8_encoder, measure, scifact_texts

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scifact", type=Path, default=HERE.parent.parent / "shared" / "eval" / "scifact")
    ap.add_argument("--passages", type=int, default=300)
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=2, help="passes over all runtimes, alternating their order")
    ap.add_argument("--int8", action="store_true", help="also time dynamic INT8 (changes vectors; never a default)")
    ap.add_argument("--out", type=Path, help="write the figures here as JSON")
    args = ap.parse_args()

    encoders = {"torch fp32": Encoder(runtime="torch"), "onnx fp32": Encoder(runtime="onnx")}
    if args.int8:
        encoders["onnx int8"] = int8_encoder(encoders["onnx fp32"])
    passages, queries = scifact_texts(args.scifact, encoders["torch fp32"], args.passages, args.queries)
    pieces = [sum(encoders["torch fp32"].count_tokens(p.split())) for p in passages]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{len(passages)} passages (mean {sum(pieces) / len(pieces):.0f} word pieces), {len(queries)} queries; "
        f"{cpu_threads()} cores; 1-min load before: {load:.1f}"
    )
    results = measure(encoders, passages, queries, args.rounds)
    base = results["torch fp32"]
    print(
        f"{'runtime':<12} {'passages/s':>10} {'×torch':>7} {'query p50 ms':>12} {'p90':>6} {'×torch':>7} "
        f"{'max |Δ|':>9} tokens"
    )
    for name, r in results.items():
        print(
            f"{name:<12} {r['passages_per_s']:>10.1f} {r['passages_per_s'] / base['passages_per_s']:>7.2f} "
            f"{r['query_ms_p50']:>12.1f} {r['query_ms_p90']:>6.1f} {base['query_ms_p50'] / r['query_ms_p50']:>7.2f} "
            f"{r['max_abs_delta']:>9.1e} {'same' if r['same_tokens'] else 'DIFFER'}"
        )
    if hasattr(os, "getloadavg"):
        print(f"1-min load after: {os.getloadavg()[0]:.1f} (a loaded machine: compare ratios, not absolutes)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
