"""Evaluate a plan on a BEIR-format query set: nDCG@10, recall@10/100, MRR@10, stage-1 recall.

Passages are ranked by the plan, then folded into documents (a document scores its best passage):
the document is the passage's ``source_key`` (BEIR ``_id``) or else its file path.
Stage-1 recall is the share of the exhaustive exact top-10 passages that the plan's stage 1 kept.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from statistics import fmean

from .collection import Collection
from .core import PassageFilter, SearchPlan, exhaustive_search_plan, search_with_plan
from .core.metrics import mrr_at, ndcg_at, overlap_recall, recall_at

RANK_DEPTH = 100


def load_queries(path: Path) -> dict[str, str]:
    queries = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rec = json.loads(line)
                    queries[str(rec["_id"])] = str(rec["text"])
                except (ValueError, KeyError, TypeError):
                    raise ValueError(f"{path}:{n}: not a JSON object with \"_id\" and \"text\"") from None
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


def evaluate(coll: Collection, queries: dict[str, str], qrels: dict[str, dict[str, float]],
             plan: SearchPlan, backend: str, where: PassageFilter | None = None) -> dict:
    """Mean metrics over the queries that have judgments (searching within ``where``, if given)."""
    index = coll.late_index()
    deep = replace(plan, final_k=max(plan.final_k, RANK_DEPTH),
                   candidate_k=max(plan.candidate_k, RANK_DEPTH) if plan.kind != "exhaustive" else 0)
    reference = exhaustive_search_plan(final_k=10, query_vector_budget=plan.query_vector_budget,
                                       document_vector_budget=plan.document_vector_budget)
    per: dict[str, list[float]] = {"ndcg@10": [], "recall@10": [], "recall@100": [], "mrr@10": [],
                                   "stage1_recall": [], "ms": []}
    for qid, text in queries.items():
        judged = qrels.get(qid)
        if not judged:
            continue
        query = coll.encode_query(text)
        result = search_with_plan(query, index, deep, backend, where)
        ranked = _documents_in_order(result)
        per["ndcg@10"].append(ndcg_at(ranked, judged, 10))
        per["recall@10"].append(recall_at(ranked, judged, 10))
        per["recall@100"].append(recall_at(ranked, judged, 100))
        per["mrr@10"].append(mrr_at(ranked, judged, 10))
        per["ms"].append(result.total_ms)
        if result.stage1_candidates is not None:
            truth = search_with_plan(query, index, reference, backend, where)
            per["stage1_recall"].append(overlap_recall(index.passage_ids[result.stage1_candidates].tolist(),
                                                       [h.passage_id for h in truth.hits]))
    out = {k: (round(fmean(v), 4) if v else None) for k, v in per.items()}
    out["queries"] = len(per["ndcg@10"])
    out["plan"] = plan.to_dict()
    out["backend"] = backend
    out["mean_ms"] = out.pop("ms")
    return out


def _documents_in_order(result) -> list[str]:
    seen: dict[str, None] = {}
    for hit in result.hits:
        doc = hit.info.source_key or hit.info.path
        seen.setdefault(doc, None)
    return list(seen)
