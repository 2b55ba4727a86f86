"""The relevance floor ("no good match") on Cranfield and the demo: candidate rules, real queries kept, nonsense flagged.

    .venv/bin/python benchmarks/relevance_floor.py [--out out] [--only demo|demo-small|tiny|cranfield]

Uses the Cranfield index that ``benchmarks/cranfield.py`` writes (``out/cranfield``; converted and
ingested here when missing, ≈3 min on two cores) and a demo index of its own (``out/relevance/demo.kayak``,
built from the demo PDFs when missing, ≈1 min), and a small one of six demo modules
(``demo-small.kayak``, 50 passages) and the tests' tiny one (``tiny.kayak``, 24 one-sentence passages):
small indexes are where a floor is hardest to learn. For each, every rule of
:data:`workbench.measure.relevance_bench.RULES` is learnt from the index and judged on real queries (Cranfield's
225 with their relevance judgments; the demo's 54 questions with the module that answers each, six of
them on the small index; ten questions on the tiny one) and on
held-out nonsense. The library's method is the first rule. Figures go to ``OUT/relevance_floor.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workbench.collection import Collection  # noqa: E402
from workbench.measure.evaluation import load_qrels, load_queries  # noqa: E402
from workbench.measure.relevance_bench import QUANTILES, RealQuery, iter_measure  # noqa: E402
from workbench.measure.relevance_queries import DEMO_QUESTIONS, TINY_CORPUS, TINY_QUESTIONS  # noqa: E402

WORKBENCH = [sys.executable, "-m", "workbench.cli"]
SMALL = {f"stdlib-{m}" for m in ("argparse", "csv", "difflib", "json", "subprocess", "zipfile")}
COLLECTIONS = ("demo", "demo-small", "tiny", "cranfield")


def cranfield(out: Path, source: Path) -> tuple[Collection, list[RealQuery], object]:
    beir, index = out / "cranfield" / "beir", out / "cranfield" / "cranfield.kayak"
    if not index.exists():
        from cranfield import to_beir

        to_beir(source, beir)
        subprocess.run(WORKBENCH + ["ingest", str(beir / "corpus.jsonl"), "--index", str(index), "--quiet"], check=True)
    queries, qrels = load_queries(beir / "queries.jsonl"), load_qrels(beir / "qrels.tsv")
    real = [RealQuery(text, frozenset(qrels.get(qid, {}))) for qid, text in queries.items() if text]
    return Collection.open(index, read_only=True), real, lambda hit: hit.info.source_key


def demo(out: Path) -> tuple[Collection, list[RealQuery], object]:
    from workbench.demo import build_demo_pdfs

    index = out / "relevance" / "demo.kayak"
    pdfs = build_demo_pdfs(out / "relevance" / "demo-pdfs")
    if not index.exists():
        subprocess.run(WORKBENCH + ["ingest", *map(str, pdfs), "--index", str(index), "--quiet"], check=True)
    real = [RealQuery(text, frozenset({f"stdlib-{module}"})) for text, module in DEMO_QUESTIONS.items()]
    return Collection.open(index, read_only=True), real, lambda hit: Path(hit.path).stem


def demo_small(out: Path) -> tuple[Collection, list[RealQuery], object]:
    """Six of the demo's modules alone (a small index, where a floor is hardest to learn) and their questions."""
    from workbench.demo import build_demo_pdfs

    index = out / "relevance" / "demo-small.kayak"
    pdfs = [p for p in build_demo_pdfs(out / "relevance" / "demo-pdfs") if p.stem in SMALL]
    if not index.exists():
        subprocess.run(WORKBENCH + ["ingest", *map(str, pdfs), "--index", str(index), "--quiet"], check=True)
    real = [RealQuery(t, frozenset({f"stdlib-{m}"})) for t, m in DEMO_QUESTIONS.items() if f"stdlib-{m}" in SMALL]
    return Collection.open(index, read_only=True), real, lambda hit: Path(hit.path).stem


def tiny(out: Path) -> tuple[Collection, list[RealQuery], object]:
    """The tests' tiny collection (24 one-sentence passages, from BEIR-style records) and its ten questions."""
    folder, index = out / "relevance" / "tiny", out / "relevance" / "tiny.kayak"
    if not index.exists():
        folder.mkdir(parents=True, exist_ok=True)
        records = [json.dumps({"_id": str(i), "title": "", "text": t}) for i, t in enumerate(TINY_CORPUS)]
        (folder / "corpus.jsonl").write_text("\n".join(records) + "\n")
        subprocess.run(
            WORKBENCH + ["ingest", str(folder / "corpus.jsonl"), "--index", str(index), "--quiet"], check=True
        )
    real = [RealQuery(text, frozenset({str(i)})) for text, i in TINY_QUESTIONS.items()]
    return Collection.open(index, read_only=True), real, lambda hit: hit.info.source_key


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE.parent / "out")
    ap.add_argument("--cranfield", type=Path, default=HERE.parent.parent / "shared" / "eval" / "cranfield")
    ap.add_argument("--only", choices=COLLECTIONS, default=None)
    args = ap.parse_args()
    report = {}
    for name in COLLECTIONS:
        if args.only not in (None, name):
            continue
        if name == "cranfield":
            coll, real, key = cranfield(args.out, args.cranfield)
        else:
            coll, real, key = {"demo": demo, "demo-small": demo_small, "tiny": tiny}[name](args.out)
        gen = iter_measure(coll, real, key)
        while True:
            try:
                print(f"[{name}] {next(gen)}…", file=sys.stderr)
            except StopIteration as done:
                report[name] = done.value
                break
        _print(name, report[name])
    (args.out / "relevance_floor.json").write_text(json.dumps(report, indent=2))
    return 0


def _print(name: str, r: dict) -> None:
    null = r["null"]
    print(
        f"\n{name}: {r['passages']} passages; calibration {r['calibration_s']:.1f} s wall, "
        f"{r['calibration_cpu_s']:.1f} s CPU; null quantiles {QUANTILES} of the best mean cosine: "
        f"scrambled {null['scrambled']}, random words {null['random']}"
    )
    kinds = list(next(iter(r["rules"].values()))["flagged"])
    print(
        f"{'rule':<40}{'floor':>7}{'kept':>7}{'all':>6}{'top1 kept':>10}{'top1 flag':>10}"
        + "".join(f"{k:>15}" for k in kinds)
        + f"{'symb<floor':>11}"
    )
    for rule, f in r["rules"].items():

        def pct(v):
            return "—" if v is None else f"{100 * v:.1f}%".replace(".0%", "%")

        print(
            f"{rule:<40}{f['floor']:>7.3f}{pct(f['real_kept']):>7}{pct(f['all_real_kept']):>6}"
            f"{pct(f['top1_right_kept']):>10}{pct(f['top1_right_flagged']):>10}"
            + "".join(f"{pct(f['flagged'][k]):>15}" for k in kinds)
            + f"{pct(f['symbols_under_floor']):>11}"
        )
    print(
        "best mean cosine (min, 5th percentile, median, 95th, max): "
        + "; ".join(f"{kind} {spread}" for kind, spread in r["best"].items())
    )
    answered = next(iter(r["rules"].values()))["real_answered"]
    print(
        f"(kept: share of the {answered} real queries with an answer in the top 10; under the hybrid plan, "
        f"the library's rule keeps {100 * r['hybrid_real_kept']:.1f}%)"
    )


if __name__ == "__main__":
    sys.exit(main())
