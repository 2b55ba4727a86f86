"""Retrieval quality on Cranfield: convert it to BEIR format, index it, run `workbench eval` per plan.

    .venv/bin/python benchmarks/cranfield.py [--cranfield ../shared/eval/cranfield] [--out out/cranfield]

Cranfield's relevance codes 1 (complete answer) … 4 (minimum interest) become gains 5 - code;
code -1 (no interest) is not relevant. Query ids in cran.qry are not sequential; cranqrel numbers the
queries 1..225 in file order, and so do the BEIR files written here.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from statistics import fmean

HERE = Path(__file__).resolve().parent
WORKBENCH = [sys.executable, "-m", "workbench.cli"]
PLANS = {
    "exhaustive": ["--plan", "exhaustive"],
    "proxy (candidate_k 100, budgets 32/64)": ["--plan", "proxy", "--candidate-k", "100"],
    "proxy (candidate_k 100, all vectors)": [
        "--plan",
        "proxy",
        "--candidate-k",
        "100",
        "--query-vector-budget",
        "0",
        "--document-vector-budget",
        "0",
    ],
    "centroid (candidate_k 100, n_probe 8, all vectors)": [
        "--plan",
        "centroid",
        "--candidate-k",
        "100",
        "--n-probe",
        "8",
        "--query-vector-budget",
        "0",
    ],
    "centroid, 2-bit residual rerank (100, n_probe 8)": [
        "--plan",
        "centroid",
        "--candidate-k",
        "100",
        "--n-probe",
        "8",
        "--query-vector-budget",
        "0",
        "--rerank-vectors",
        "residual",
    ],
    "hybrid, MaxSim only (proxy 100 + BM25 100, all vectors)": [
        "--plan",
        "hybrid",
        "--candidate-k",
        "100",
        "--lexical-k",
        "100",
        "--fusion",
        "none",
        "--query-vector-budget",
        "0",
        "--document-vector-budget",
        "0",
    ],
    "hybrid, rrf 0.3 (proxy 100 + BM25 100, all vectors)": [
        "--plan",
        "hybrid",
        "--candidate-k",
        "100",
        "--lexical-k",
        "100",
        "--query-vector-budget",
        "0",
        "--document-vector-budget",
        "0",
    ],
}


def sgml_records(path: Path) -> list[dict[str, str]]:
    """Records of a Cranfield file: {'I': id, 'T': title, 'W': text, ...}."""
    records, current, field = [], None, None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"^\.([A-Z])\s*(.*)$", line)
        if m:
            if m.group(1) == "I":
                current = {"I": m.group(2).strip()}
                records.append(current)
                field = None
            else:
                field = m.group(1)
                current[field] = ""
        elif current is not None and field:
            current[field] += line + "\n"
    return records


def to_beir(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for r in sgml_records(src / "cran.all.1400"):
            fh.write(
                json.dumps(
                    {"_id": r["I"], "title": " ".join(r.get("T", "").split()), "text": " ".join(r.get("W", "").split())}
                )
                + "\n"
            )
    with open(out / "queries.jsonl", "w", encoding="utf-8") as fh:
        for n, r in enumerate(sgml_records(src / "cran.qry"), 1):
            fh.write(json.dumps({"_id": str(n), "text": " ".join(r.get("W", "").split())}) + "\n")
    with open(out / "qrels.tsv", "w", encoding="utf-8") as fh:
        fh.write("query-id\tcorpus-id\tscore\n")
        for line in (src / "cranqrel").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and 1 <= int(parts[2]) <= 4:
                fh.write(f"{parts[0]}\t{parts[1]}\t{5 - int(parts[2])}\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cranfield", type=Path, default=HERE.parent.parent / "shared" / "eval" / "cranfield")
    ap.add_argument("--out", type=Path, default=HERE.parent / "out" / "cranfield")
    ap.add_argument("--backends", default="numpy,mojo", help="comma-separated exact-stage backends")
    ap.add_argument("--baselines", action="store_true", help="also BM25 and single-vector MiniLM (≈1 min)")
    args = ap.parse_args()
    beir = args.out / "beir"
    to_beir(args.cranfield, beir)
    index = args.out / "cranfield.kayak"
    subprocess.run(WORKBENCH + ["ingest", str(beir / "corpus.jsonl"), "--index", str(index), "--quiet"], check=True)
    rows = {}
    for backend in args.backends.split(","):
        for name, flags in PLANS.items():
            res = subprocess.run(
                WORKBENCH
                + [
                    "eval",
                    "--index",
                    str(index),
                    "--queries",
                    str(beir / "queries.jsonl"),
                    "--qrels",
                    str(beir / "qrels.tsv"),
                    "--backend",
                    backend,
                    "--json",
                ]
                + flags,
                check=True,
                capture_output=True,
                text=True,
            )
            rows[f"{name} [{backend}]"] = json.loads(res.stdout)
    print(
        f"\n{'plan [backend]':<60}{'nDCG@10':>9}{'R@10':>8}{'R@100':>8}{'MRR@10':>8}{'stage-1 R':>11}{'ms/query':>10}"
    )
    for name, r in rows.items():
        s1 = "—" if r["stage1_recall"] is None else f"{r['stage1_recall']:.3f}"
        print(
            f"{name:<60}{r['ndcg@10']:>9.3f}{r['recall@10']:>8.3f}{r['recall@100']:>8.3f}"
            f"{r['mrr@10']:>8.3f}{s1:>11}{r['mean_ms']:>10.2f}"
        )
    if args.baselines:
        from baselines import bm25_ndcg, single_vector_ndcg

        rows["BM25 (same harness)"] = {"ndcg@10": round(fmean(bm25_ndcg(beir).values()), 4)}
        rows["single-vector MiniLM (same harness)"] = {"ndcg@10": round(fmean(single_vector_ndcg(beir).values()), 4)}
        for name in list(rows)[-2:]:
            print(f"{name:<60}{rows[name]['ndcg@10']:>9.3f}")
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
