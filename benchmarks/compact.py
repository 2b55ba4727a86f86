"""Storage tiers on one index's own vectors: bytes per token, and nDCG@10 / overlap@10 of exhaustive MaxSim
over each tier's vectors against the stored float16 ones (exact float16; 2- and 4-bit residuals with one set
of buckets for all dimensions, as ColBERTv2, or per dimension) — the evidence for issue 27's default tier.

    .venv/bin/python benchmarks/compact.py --index INDEX --queries queries.jsonl --qrels qrels.tsv [--out F]

For example Cranfield (``benchmarks/cranfield.py`` builds ``out/cranfield/cranfield.kayak`` and its BEIR
files) or SciFact (``workbench ingest corpus.jsonl --index …``, with ``../shared/eval/scifact``'s
``queries.jsonl`` and ``qrels/test.tsv``). Every tier is coded against the index's stored centroids.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workbench.collection import Collection
from workbench.core.backends import fastest_backend
from workbench.measure.evaluation import load_qrels, load_queries
from workbench.measure.tier_quality import measure_tiers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--queries", type=Path, required=True)
    ap.add_argument("--qrels", type=Path, required=True)
    ap.add_argument("--out", type=Path, help="write the rows (per-query nDCG@10 included) here as JSON")
    args = ap.parse_args()
    backend = fastest_backend()
    coll = Collection.open(args.index)
    index = coll.late_index()
    print(f"{args.index}: {index.n_passages:,} passages, {index.n_vectors:,} token vectors; backend {backend}")
    rows = measure_tiers(coll, load_queries(args.queries), load_qrels(args.qrels), backend)
    print(f"{'tier':<26} {'B/token':>8} {'cosine':>7} {'nDCG@10':>8} {'Δ vs exact [95 %]':>26} {'overlap@10':>10}")
    for r in rows:
        d = r["delta"]
        delta = f"{d['mean']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}]" if d else "—"
        print(
            f"{r['tier']:<26} {r['bytes_per_token']:>8.1f} {r['cosine']:>7.4f} {r['ndcg@10']:>8.4f} {delta:>26} "
            f"{r['overlap@10']:>10.3f}"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
