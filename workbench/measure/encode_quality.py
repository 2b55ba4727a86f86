"""Retrieval quality per encoder runtime (the quality half of ``benchmarks/encode.py``): one index per
runtime, built by the real ingest (its passage cutting included) from the same BEIR corpus with that
runtime's encoder, then the same queries through the exhaustive plan (exact MaxSim over every passage,
the numpy reference backend), so the runtime is the only thing that differs. Each runtime's nDCG@10 is
compared with the first runtime's (torch fp32) on the same queries, with a paired bootstrap interval.
"""

from __future__ import annotations

import gzip
import json
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..collection import Collection
from ..core import NUMPY_REFERENCE_BACKEND, exhaustive_search_plan
from ..encode import Encoder
from .evaluation import compare_runs, evaluate

TOLERANCE = 0.005  # issue 26: nDCG@10 within 0.005 of the float32 torch encoder


def write_corpus(src: Path, dest: Path, limit: int = 0) -> set[str]:
    """Copy the BEIR corpus ``src`` (``.jsonl`` or ``.jsonl.gz``) to ``dest`` (plain ``.jsonl``, which the
    ingest reads), keeping its first ``limit`` records (0: all); the ``_id``\\ s kept, as strings. Raises
    ``ValueError`` naming the line when one is not a JSON object with an ``_id``."""
    opener = gzip.open if src.suffix == ".gz" else open
    kept: set[str] = set()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with opener(src, "rt", encoding="utf-8") as fh, open(dest, "w", encoding="utf-8") as out:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("_id"), (str, int)):
                raise ValueError(f'{src}:{n}: not a JSON object with "_id"')
            out.write(line if line.endswith("\n") else line + "\n")
            kept.add(str(record["_id"]))
            if len(kept) == limit:
                break
    return kept


def restrict_qrels(qrels: dict[str, dict[str, float]], documents: set[str]) -> dict[str, dict[str, float]]:
    """``qrels`` with only the judgments on ``documents`` (a corpus cut by ``--limit-docs``); a query left
    with no relevant document is dropped, so it is counted unjudged rather than scored 0 by every runtime."""
    kept = {q: {d: g for d, g in judged.items() if d in documents} for q, judged in qrels.items()}
    return {q: judged for q, judged in kept.items() if any(g > 0 for g in judged.values())}


def iter_runtime_quality(
    encoders: dict[str, Encoder],
    corpus: Path,
    queries: dict[str, str | None],
    qrels: dict[str, dict[str, float]],
    work: Path,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(runtime name, result)`` per runtime, in ``encoders``' order, as each is done (a long run stopped
    early keeps what it measured): an index of ``corpus`` built under ``work`` with that encoder, and
    :func:`~workbench.measure.evaluation.evaluate`'s result for the exhaustive plan on the numpy reference
    backend, plus ``runtime`` (its detail), ``passages``/``vectors`` (the index's counts), ``encode_s`` and
    ``ingest_s`` (seconds: the model alone, and the whole ingest). Each index is deleted once evaluated
    (SciFact's is ≈0.5 GB). Raises ``RuntimeError`` when a file fails to ingest."""
    plan = exhaustive_search_plan(final_k=10)
    for name, encoder in encoders.items():
        folder = work / ("index-" + "".join(c if c.isalnum() else "-" for c in name))
        shutil.rmtree(folder, ignore_errors=True)
        coll = Collection.open(folder, create=True, encoder=encoder)
        t0 = time.perf_counter()
        report = coll.ingest([corpus])
        ingest_s = time.perf_counter() - t0
        if report.failed:
            raise RuntimeError(f"{name}: the ingest failed: {report.failed[0][1]}")
        counts = coll.counts()
        result = evaluate(coll, queries, qrels, plan, NUMPY_REFERENCE_BACKEND)
        result.update(
            runtime=encoder.runtime_detail,
            passages=counts["passages"],
            vectors=counts["vectors"],
            encode_s=round(coll.ingest_times.seconds["encode"], 1),
            ingest_s=round(ingest_s, 1),
        )
        del coll
        shutil.rmtree(folder, ignore_errors=True)
        yield name, result


def compare_quality(results: dict[str, dict[str, Any]], tolerance: float = TOLERANCE) -> list[dict[str, Any]]:
    """One row per runtime of ``results`` (``name → evaluate() result``; the first is the reference):
    ``name``, ``ndcg``, ``delta`` (mean paired nDCG@10 difference to the reference, 0.0 for itself),
    ``low``/``high`` (its 95 % bootstrap interval), ``wins``/``losses`` (queries better/worse than the
    reference), ``queries``, ``passages`` and ``flag`` (``|delta| > tolerance``, or a different passage
    count than the reference: then the corpora were not cut alike and the figures do not compare)."""
    names = list(results)
    ref = results[names[0]]
    rows = []
    for name in names:
        r = results[name]
        diff = compare_runs(r, ref)["ndcg@10"]
        rows.append(
            {
                "name": name,
                "ndcg": r["ndcg@10"],
                "delta": diff["mean"],
                "low": diff["low"],
                "high": diff["high"],
                "wins": diff["wins"],
                "losses": diff["losses"],
                "queries": diff["queries"],
                "passages": r.get("passages"),
                "flag": abs(diff["mean"]) > tolerance or r.get("passages") != ref.get("passages"),
            }
        )
    return rows


def quality_table(corpus: str, rows: Iterable[dict[str, Any]], tolerance: float = TOLERANCE) -> str:
    """``rows`` (:func:`compare_quality`) as a text table headed by ``corpus``; a flagged row ends in
    ``> tol`` (or ``passages differ``)."""
    rows = list(rows)
    ref = rows[0]
    lines = [
        f"nDCG@10 on {corpus} (exhaustive plan, numpy reference; {ref['queries']} queries, "
        f"{ref['passages']} passages); Δ = runtime − {ref['name']}, paired 95 % interval, flag |Δ| > {tolerance:g}",
        f"{'runtime':<12} {'nDCG@10':>8} {'Δ':>8} {'95 % interval':>18} {'better/worse':>13}",
    ]
    for r in rows:
        note = ""
        if r["flag"]:
            note = "  passages differ" if r["passages"] != ref["passages"] else f"  > {tolerance:g}"
        interval = f"[{r['low']:+.4f}, {r['high']:+.4f}]"
        record = f"{r['wins']}/{r['losses']}"
        lines.append(f"{r['name']:<12} {r['ndcg']:>8.4f} {r['delta']:>+8.4f} {interval:>18} {record:>13}{note}")
    return "\n".join(lines)
