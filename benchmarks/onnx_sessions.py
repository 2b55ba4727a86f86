"""How the ONNX encoder shares the cores, in one run: one session whose intra-op threads share each batch (the
default, ONNX Runtime's usual set-up) against one single-threaded session per core, each taking whole batches.

    .venv/bin/python benchmarks/onnx_sessions.py [--scifact ../shared/eval/scifact] [--passages 256]
                                                 [--queries 60] [--rounds 3]

Passages, queries and timing as in ``benchmarks/encode.py`` (:func:`~workbench.measure.encode_bench.measure`:
SciFact abstracts cut at 80–220 word pieces, in calls of 64 as the ingest sends them, rounds alternating the
order of the two set-ups); the ratios are the figures to go by.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from workbench.encode import Encoder, onnx_cache
from workbench.encode.onnx_runtime import OnnxRunner, cpu_threads
from workbench.measure.encode_bench import measure, scifact_texts, with_runner

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scifact", type=Path, default=HERE.parent.parent / "shared" / "eval" / "scifact")
    ap.add_argument("--passages", type=int, default=256)
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    shared = Encoder(runtime="onnx")
    folder, manifest = onnx_cache.locate(shared.checksum)
    cores = cpu_threads()
    split = OnnxRunner(shared.model, folder / onnx_cache.MODEL_FILE, manifest["inputs"], sessions=cores, threads=1)
    base, other = f"1 session × {cores} threads", f"{cores} sessions × 1 thread"
    setups = {base: shared, other: with_runner(shared, split, "onnx", other)}
    passages, queries = scifact_texts(args.scifact, shared, args.passages, args.queries)
    print(f"{len(passages)} passages, {len(queries)} queries; {cores} cores; 1-min load {os.getloadavg()[0]:.1f}")
    results = measure(setups, passages, queries, args.rounds)
    print(f"{'set-up':<24} {'passages/s':>10} {'×':>6} {'query p50 ms':>13} {'max |Δ|':>9}")
    for name, r in results.items():
        ratio = r["passages_per_s"] / results[base]["passages_per_s"]
        print(
            f"{name:<24} {r['passages_per_s']:>10.1f} {ratio:>6.2f} {r['query_ms_p50']:>13.1f} "
            f"{r['max_abs_delta']:>9.1e}"
        )
    print(f"1-min load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
