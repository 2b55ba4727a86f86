"""How the ONNX encoder shares the cores, in one run: one session per core each running whole batches (the
default) against one session whose intra-op threads share each batch (ONNX Runtime's usual set-up).

    .venv/bin/python benchmarks/onnx_sessions.py [--scifact ../shared/eval/scifact] [--passages 256]
                                                 [--queries 60] [--rounds 3]

Passages and queries as in ``benchmarks/encode.py`` (SciFact abstracts cut at 80–220 word pieces, in calls of
64 as the ingest sends them). Rounds alternate the order of the two set-ups; the ratios are the figures to go by.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from statistics import median

from workbench.encode import Encoder, onnx_cache
from workbench.encode.onnx_runtime import OnnxRunner, cpu_threads
from workbench.measure.encode_bench import CHUNK, scifact_texts

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scifact", type=Path, default=HERE.parent.parent / "shared" / "eval" / "scifact")
    ap.add_argument("--passages", type=int, default=256)
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    encoder = Encoder(runtime="onnx")
    folder, manifest = onnx_cache.locate(encoder.checksum)
    cores = cpu_threads()
    setups = {
        f"{cores} sessions × 1 thread": OnnxRunner(encoder.model, folder / onnx_cache.MODEL_FILE, manifest["inputs"]),
        f"1 session × {cores} threads": OnnxRunner(
            encoder.model, folder / onnx_cache.MODEL_FILE, manifest["inputs"], sessions=1, threads=cores
        ),
    }
    passages, queries = scifact_texts(args.scifact, encoder, args.passages, args.queries)
    print(f"{len(passages)} passages, {len(queries)} queries; {cores} cores; 1-min load {os.getloadavg()[0]:.1f}")
    rates: dict[str, list[float]] = {name: [] for name in setups}
    query_ms: dict[str, list[float]] = {name: [] for name in setups}
    for runner in setups.values():  # warm both
        runner.encode(passages[:CHUNK], False)
    for r in range(args.rounds):
        for name in list(setups) if r % 2 == 0 else list(setups)[::-1]:
            runner = setups[name]
            start = time.perf_counter()
            for i in range(0, len(passages), CHUNK):
                runner.encode(passages[i : i + CHUNK], False)
            rates[name].append(len(passages) / (time.perf_counter() - start))
            for q in queries:
                t = time.perf_counter()
                runner.encode([q], True)
                query_ms[name].append((time.perf_counter() - t) * 1000)
    base = list(setups)[1]
    print(f"{'set-up':<24} {'passages/s (median)':>20} {'×':>6} {'query p50 ms':>13}")
    for name in setups:
        rate = median(rates[name])
        print(
            f"{name:<24} {rate:>20.1f} {rate / median(rates[base]):>6.2f} {median(query_ms[name]):>13.1f}"
            f"   (rounds: {', '.join(f'{x:.1f}' for x in rates[name])})"
        )
    print(f"1-min load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
