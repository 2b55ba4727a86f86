"""Encoder runtimes on this machine, in one run: torch fp32 vs ONNX Runtime fp32 (and, with ``--int8``,
ONNX Runtime dynamic INT8, for the record), documents per second and query p50/p90, plus max |Δ| vs torch
and the GFLOP/s each sustains against NumPy's float32 matrix-product ceiling measured in the same run;
with ``--quality``, nDCG@10 per runtime on Cranfield and/or BEIR SciFact (test split) and its difference to torch.

    .venv/bin/python benchmarks/encode.py [--scifact ../shared/eval/scifact] [--passages 300] [--queries 60]
                                          [--rounds 2] [--int8] [--out out/encode.json]
                                          [--quality cranfield,scifact] [--limit-docs N]
                                          [--cranfield ../shared/eval/cranfield] [--work DIR]

The ONNX export is built (once, ≈10 s) in the user's cache when missing. On a shared machine the absolute
figures move with the load; the ratios, taken chunk by chunk in one process, are the steadier numbers.
``--quality`` ingests each corpus once per runtime (the real ingest, so its passage cutting) and runs every
query through the exhaustive plan (numpy reference). Measured on two shared cores at a 1-minute load of 7–13:
Cranfield (2,364 passages) took 2–5 minutes per runtime, SciFact (12,679 passages) 25–30 minutes;
``--limit-docs`` keeps each corpus's first N documents (and the judgments on them) for a quick check.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from cranfield import to_beir

from workbench.encode import Encoder
from workbench.encode.onnx_runtime import cpu_threads
from workbench.measure.encode_bench import forward_flop, int8_encoder, measure, scifact_texts, sgemm_gflops
from workbench.measure.encode_quality import (
    compare_quality,
    iter_runtime_quality,
    quality_table,
    restrict_qrels,
    write_corpus,
)
from workbench.measure.evaluation import load_qrels, load_queries

HERE = Path(__file__).resolve().parent
CORPORA = ("cranfield", "scifact")


def beir_files(name: str, args: argparse.Namespace, work: Path) -> tuple[Path, dict, dict]:
    """``(corpus.jsonl, queries, qrels)`` of corpus ``name`` under ``work``, cut to ``--limit-docs``."""
    if name == "cranfield":
        to_beir(args.cranfield, work / "cranfield-beir")  # cranfield.py's conversion, so the same judgments
        src, queries, qrels = (work / "cranfield-beir" / f for f in ("corpus.jsonl", "queries.jsonl", "qrels.tsv"))
    else:
        src, queries, qrels = (args.scifact / f for f in ("corpus.jsonl.gz", "queries.jsonl", "qrels/test.tsv"))
    corpus = work / name / "corpus.jsonl"
    kept = write_corpus(src, corpus, args.limit_docs)
    judged = load_qrels(qrels)
    return corpus, load_queries(queries), restrict_qrels(judged, kept) if args.limit_docs else judged


def load_average() -> float:
    """The 1-minute load average (NaN where the platform has none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def speed(encoders: dict[str, Encoder], args: argparse.Namespace) -> dict:
    """Passages/s and query ms per runtime (:func:`measure`), printed as a table."""
    passages, queries = scifact_texts(args.scifact, encoders["torch fp32"], args.passages, args.queries)
    pieces = [sum(encoders["torch fp32"].count_tokens(p.split())) for p in passages]
    print(
        f"{len(passages)} passages (mean {sum(pieces) / len(pieces):.0f} word pieces), {len(queries)} queries; "
        f"{cpu_threads()} cores; 1-min load before: {load_average():.1f}"
    )
    ceiling = sgemm_gflops()
    results = measure(encoders, passages, queries, args.rounds)
    ceiling = max(ceiling, sgemm_gflops())  # before and after: the better of the two
    flop_per_passage = forward_flop(encoders["torch fp32"], passages) / len(passages)
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
    print(f"1-min load after: {load_average():.1f} (a loaded machine: compare ratios, not absolutes)")
    print(
        f"work: {flop_per_passage / 1e9:.2f} GFLOP per passage (real tokens); NumPy fp32 matrix product ceiling "
        f"here {ceiling:.0f} GFLOP/s"
    )
    for name, r in results.items():
        r["gflops"] = r["passages_per_s"] * flop_per_passage / 1e9
        print(f"  {name:<12} {r['gflops']:>6.0f} GFLOP/s = {r['gflops'] / ceiling:.0%} of the ceiling")
    need = 2.5 * base["gflops"]
    print(f"  2.5× torch fp32 would need {need:.0f} GFLOP/s = {need / ceiling:.0%} of the fp32 ceiling")
    return {"runtimes": results, "fp32_ceiling_gflops": ceiling, "gflop_per_passage": flop_per_passage / 1e9}


def quality(encoders: dict[str, Encoder], args: argparse.Namespace, corpus_name: str, work: Path) -> dict:
    """nDCG@10 per runtime on one corpus, each runtime's line printed as it is done, then the comparison."""
    corpus, queries, qrels = beir_files(corpus_name, args, work)
    label = corpus_name + (f", first {args.limit_docs} documents" if args.limit_docs else "")
    print(f"\n{label}: {len(queries)} queries, {sum(1 for q in queries if qrels.get(q))} judged", flush=True)
    runs = {}
    for name, run in iter_runtime_quality(encoders, corpus, queries, qrels, work):
        runs[name] = run
        print(
            f"  {name}: nDCG@10 {run['ndcg@10']:.4f}; {run['passages']} passages encoded in {run['encode_s']:.0f} s "
            f"({run['runtime']}); 1-min load {load_average():.1f}",
            flush=True,
        )
    rows = compare_quality(runs)
    print(quality_table(label, rows))
    return {"label": label, "rows": rows, "runs": runs}


def save(figures: dict, out: Path | None) -> None:
    """Write ``figures`` to ``out`` as JSON (nothing without ``--out``)."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scifact", type=Path, default=HERE.parent.parent / "shared" / "eval" / "scifact")
    ap.add_argument("--passages", type=int, default=300, help="passages timed (0: no timing, --quality only)")
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=2, help="passes over all runtimes, alternating their order")
    ap.add_argument("--int8", action="store_true", help="also dynamic INT8 (changes vectors; never a default)")
    ap.add_argument("--out", type=Path, help="write the figures here as JSON")
    ap.add_argument("--quality", default="", help="also nDCG@10 per runtime on these corpora: cranfield,scifact")
    ap.add_argument("--cranfield", type=Path, default=HERE.parent.parent / "shared" / "eval" / "cranfield")
    ap.add_argument("--limit-docs", type=int, default=0, help="--quality on each corpus's first N documents (0: all)")
    ap.add_argument("--work", type=Path, help="--quality's corpora and indexes (default: a temporary folder)")
    args = ap.parse_args()
    corpora = [c for c in args.quality.split(",") if c]
    if unknown := set(corpora) - set(CORPORA):
        ap.error(f"--quality: unknown corpus {', '.join(sorted(unknown))} (choose from {', '.join(CORPORA)})")

    encoders = {"torch fp32": Encoder(runtime="torch"), "onnx fp32": Encoder(runtime="onnx")}
    if args.int8:
        encoders["onnx int8"] = int8_encoder(encoders["onnx fp32"])
    figures: dict = {"speed": speed(encoders, args) if args.passages else None, "quality": {}}
    save(figures, args.out)
    with tempfile.TemporaryDirectory(prefix="kayak-encode-quality-") as tmp:
        for name in corpora:
            run = quality(encoders, args, name, args.work or Path(tmp))
            figures["quality"][run.pop("label")] = run
            save(figures, args.out)  # after each corpus: a long run stopped early keeps the corpora done


if __name__ == "__main__":
    main()
