"""A search's results as files a person keeps or opens elsewhere: CSV (one row per hit, for a
spreadsheet) and JSON (the whole result: query, plan, filter, every stage's profile, every hit).

Both carry the hit's **mean cosine** beside its score (:func:`workbench.core.relevance.mean_cosine`): the
mean over query tokens of their best cosine in the passage — a number in [-1, 1] that can be compared
across queries, where a MaxSim sum grows with the query's length. It is empty where no exact stage
scored the hits.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ..core import SearchResult
from ..core.relevance import Relevance, mean_cosine

CSV_COLUMNS = (
    "rank",
    "score",
    "mean_cosine",
    "path",
    "page",
    "page_label",
    "location",
    "record",
    "passage_id",
    "text",
    "plan",
)


def export_rows(result: SearchResult) -> list[dict[str, Any]]:
    """One dict per hit, in rank order, with the :data:`CSV_COLUMNS` keys."""
    rows = []
    for hit in result.hits:
        cos = mean_cosine(result, hit)
        rows.append(
            {
                "rank": hit.rank,
                "score": round(hit.score, 6),
                "mean_cosine": round(cos, 6) if cos is not None else None,
                "path": hit.path,
                "page": hit.page,
                "page_label": hit.info.page_label if hit.info is not None else "",
                "location": hit.location,
                "record": hit.record,
                "passage_id": hit.passage_id,
                "text": hit.text,
                "plan": result.plan.kind,
            }
        )
    return rows


def write_results(result: SearchResult, path: str | Path, relevance: Relevance | None = None) -> Path:
    """Write ``result`` to ``path``: CSV when it ends in ``.csv``, JSON otherwise (``.json`` added when the
    name has no suffix), the JSON with ``relevance`` (the judgement against the index's floor, as
    ``workbench search --json`` gives it) where one is passed. Returns the path written; ``OSError`` when
    it cannot be written."""
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".json")
    if path.suffix.lower() == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(export_rows(result))
        return path
    data = dict(result.to_dict())
    data["hits"] = [
        {**hit, "mean_cosine": row["mean_cosine"], "page_label": row["page_label"]}
        for hit, row in zip(data["hits"], export_rows(result))
    ]
    if relevance is not None:
        data["relevance"] = relevance.to_dict()
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
