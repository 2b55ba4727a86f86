"""Evaluate a plan on a BEIR-format query set: nDCG@10, recall@10/100, MRR@10, stage-1 recall.

Passages are ranked by the plan, then folded into documents (a document scores its best passage):
the document is the passage's ``source_key`` (BEIR ``_id``) or else its file path.
Stage-1 recall is the share of the exhaustive exact top-10 passages that the plan's stage 1 kept.
Each quality metric comes with a 95 % percentile-bootstrap interval over the queries, and two runs on
the same queries compare by their paired difference (:func:`compare_runs`), so a gain on a few hundred
queries can be told from noise.
A query that cannot be searched (no text, ``"text": null``, nothing the encoder can represent) is
skipped and listed with its id and reason; the others are still evaluated.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from statistics import fmean

from ..collection import Collection
from ..core import PassageFilter, SearchPlan, exhaustive_search_plan, search_with_plan
from ..core.generators import run_to_end
from ..core.metrics import bootstrap_interval, mrr_at, ndcg_at, overlap_recall, paired_difference, recall_at

RANK_DEPTH = 100
QUALITY = ("ndcg@10", "recall@10", "recall@100", "mrr@10")


def load_queries(path: Path) -> dict[str, str | None]:
    """``_id`` → query text from a BEIR ``queries.jsonl``; a record whose ``text`` is missing, null or
    not a string maps to ``None`` (skipped by :func:`evaluate`, never searched as the string "None").
    A line that is not a JSON object with an ``_id`` raises ``ValueError`` naming the line."""
    queries: dict[str, str | None] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                rec = None
            if not isinstance(rec, dict) or not isinstance(rec.get("_id"), (str, int)):
                raise ValueError(f'{path}:{n}: not a JSON object with "_id" and "text"')
            text = rec.get("text")
            queries[str(rec["_id"])] = text if isinstance(text, str) else None
    return queries


def load_qrels(path: Path) -> dict[str, dict[str, float]]:
    qrels: dict[str, dict[str, float]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh, delimiter="\t")
        header = next(rows, None)
        if not header or [h.strip() for h in header[:3]] != ["query-id", "corpus-id", "score"]:
            raise ValueError(f"{path}: the first line must be the header 'query-id<TAB>corpus-id<TAB>score'")
        for n, row in enumerate(rows, 2):
            if not row:
                continue
            try:
                qrels.setdefault(row[0], {})[row[1]] = float(row[2])
            except (IndexError, ValueError):
                raise ValueError(f"{path}:{n}: expected query-id, corpus-id, score") from None
    return qrels


def evaluate(
    coll: Collection,
    queries: dict[str, str | None],
    qrels: dict[str, dict[str, float]],
    plan: SearchPlan,
    backend: str,
    where: PassageFilter | None = None,
) -> dict:
    """Mean metrics over the queries that have judgments: :func:`iter_evaluate` run to the end."""
    return run_to_end(iter_evaluate(coll, queries, qrels, plan, backend, where))


def iter_evaluate(
    coll: Collection,
    queries: dict[str, str | None],
    qrels: dict[str, dict[str, float]],
    plan: SearchPlan,
    backend: str,
    where: PassageFilter | None = None,
) -> Generator[tuple[int, int], None, dict]:
    """Mean metrics over the queries that have judgments (searching within ``where``, if given); yields
    ``(queries done, queries judged)`` after each query, so a caller can show progress and stop.

    ``ci95`` holds each quality metric's bootstrap interval ``[low, high]``; ``mean_stage_ms`` each stage's
    mean milliseconds (setup included) by stage name; ``per_query`` each judged,
    searched query's metrics by query id (what :func:`compare_runs` pairs). ``skipped`` lists
    ``{"id", "reason"}`` for judged queries that could not be searched; ``unjudged``
    counts queries without judgments. Raises ``ValueError`` when no query could be evaluated.
    """
    deep = replace(
        plan,
        final_k=max(plan.final_k, RANK_DEPTH),
        # 0 stays scaled: at least stage 2's depth, which this raises to RANK_DEPTH.
        candidate_k=max(plan.candidate_k, RANK_DEPTH) if plan.kind != "exhaustive" and plan.candidate_k else 0,
    )
    reference = exhaustive_search_plan(
        final_k=10, query_vector_budget=plan.query_vector_budget, document_vector_budget=plan.document_vector_budget
    )
    verifier = coll.verifier_for(plan)
    per: dict[str, list[float]] = {
        "ndcg@10": [],
        "recall@10": [],
        "recall@100": [],
        "mrr@10": [],
        "stage1_recall": [],
        "ms": [],
    }
    skipped: list[dict[str, str]] = []
    per_query: dict[str, dict[str, float]] = {}
    stage_ms: dict[str, list[float]] = {}
    unjudged = 0
    total = sum(1 for qid in queries if qrels.get(qid))
    done = 0
    for qid, text in queries.items():
        judged = qrels.get(qid)
        if not judged:
            unjudged += 1
            continue
        if done:
            yield done, total
        done += 1
        try:
            if text is None:
                raise ValueError('its "text" is missing or not a string')
            query = coll.encode_query(text)
            result = coll.retrying(lambda index: search_with_plan(query, index, deep, backend, where, verifier))  # noqa: B023 — called here
        except ValueError as exc:  # empty, null, or nothing the encoder can represent
            skipped.append({"id": qid, "reason": str(exc)})
            continue
        ranked = _documents_in_order(result)
        per["ndcg@10"].append(ndcg_at(ranked, judged, 10))
        per["recall@10"].append(recall_at(ranked, judged, 10))
        per["recall@100"].append(recall_at(ranked, judged, 100))
        per["mrr@10"].append(mrr_at(ranked, judged, 10))
        per["ms"].append(result.total_ms)
        for stage in result.stages:
            stage_ms.setdefault(stage.name, []).append(stage.ms + stage.setup_ms)
        per_query[qid] = {m: round(per[m][-1], 6) for m in QUALITY}
        if result.stage1_candidates is not None:
            truth = search_with_plan(query, result.index, reference, backend, where)
            per["stage1_recall"].append(
                overlap_recall(
                    result.index.passage_ids[result.stage1_candidates].tolist(), [h.passage_id for h in truth.hits]
                )
            )
    if not per["ndcg@10"]:
        raise ValueError(
            f"no query could be evaluated: {len(queries)} queries, {unjudged} without judgments in the "
            f"qrels, {len(skipped)} skipped"
            + (f" (first: {skipped[0]['id']}: {skipped[0]['reason']})" if skipped else "")
            + "; check that the query ids match the qrels' query-id column"
        )
    out: dict = {k: (round(fmean(v), 4) if v else None) for k, v in per.items()}
    out["ci95"] = {m: [round(v, 4) for v in bootstrap_interval(per[m])] for m in QUALITY}
    out["queries"] = len(per["ndcg@10"])
    out["skipped"] = skipped
    out["unjudged"] = unjudged
    out["plan"] = plan.to_dict()
    out["backend"] = backend
    out["mean_ms"] = out.pop("ms")
    out["mean_stage_ms"] = {name: round(fmean(v), 3) for name, v in stage_ms.items()}
    out["per_query"] = per_query
    return out


def iter_compare(
    coll: Collection,
    queries: dict[str, str | None],
    qrels: dict[str, dict[str, float]],
    plan_a: SearchPlan,
    plan_b: SearchPlan | None,
    backend: str,
    where: PassageFilter | None = None,
) -> Generator[tuple[str, int, int], None, tuple[dict, dict | None, dict | None]]:
    """Evaluate ``plan_a`` and, if given, ``plan_b`` on the same queries; yields ``("A" or "B", queries
    done, queries judged)`` as it goes; returns ``(run A, run B, A − B)`` (``None`` without ``plan_b``),
    the difference as :func:`compare_runs` gives it."""
    runs = []
    for label, plan in (("A", plan_a), ("B", plan_b)):
        if plan is None:
            continue
        gen = iter_evaluate(coll, queries, qrels, plan, backend, where)
        while True:
            try:
                done, total = next(gen)
            except StopIteration as finished:
                runs.append(finished.value)
                break
            yield label, done, total
    if plan_b is None:
        return runs[0], None, None
    return runs[0], runs[1], compare_runs(runs[0], runs[1])


def describe_plan(plan: dict) -> str:
    """A plan (as ``SearchPlan.to_dict()``) in one line, naming only what differs from the defaults:
    ``hybrid (final_k=10, candidate_k=100, lexical_k=100, fusion=rrf, fusion_weight=0.3)``; a scaled
    candidate_k reads ``candidate_k=2√N``."""
    if plan["kind"] != "exhaustive" and plan["candidate_k"] == 0:
        plan = {**plan, "candidate_k": "2√N"}
    shown = {
        k: v
        for k, v in plan.items()
        if k != "kind"
        and v not in (0, "none", "float16", 0.0)
        and not (k == "fusion_weight" and plan["fusion"] == "none")
    }
    return plan["kind"] + (" (" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")" if shown else "")


def compare_runs(a: dict, b: dict) -> dict:
    """Run ``a`` minus run ``b`` (two :func:`evaluate` results on the same queries), per quality metric:
    ``{metric: paired_difference}`` — mean difference, 95 % paired bootstrap interval, wins/losses/ties."""
    return {
        m: {
            k: (round(v, 4) if isinstance(v, float) else v)
            for k, v in paired_difference(
                {q: r[m] for q, r in a["per_query"].items()}, {q: r[m] for q, r in b["per_query"].items()}
            ).items()
        }
        for m in QUALITY
    }


def _documents_in_order(result) -> list[str]:
    seen: dict[str, None] = {}
    for hit in result.hits:
        doc = hit.info.source_key or hit.info.path
        seen.setdefault(doc, None)
    return list(seen)
