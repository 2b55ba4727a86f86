"""Storage tiers measured on one index's own vectors: the bytes each keeps per token and what exact MaxSim over
its vectors does to the ranking — nDCG@10 against judgments, and overlap@10 with the ranking over the stored
float16 vectors. The library code of ``benchmarks/compact.py``.

Every tier uses the index's stored centroids, so only the residual coding differs; a residual tier is searched
as a compact index is, its coded rows read by :class:`~workbench.core.residual_vectors.ResidualVectors` (on
the Mojo backend, scored without decoding them to memory). Each query is encoded once and scored
exhaustively (every passage).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from statistics import fmean

import numpy as np
from numpy.typing import NDArray

from ..collection import Collection
from ..core import LateIndex, LateQuery, exhaustive_search_plan, search_with_plan
from ..core.metrics import ndcg_at, paired_difference
from ..core.residual_vectors import ResidualVectors
from ..core.residuals import ResidualCodec, build_residual_index, coded_rows

DEPTH = 100  # passages ranked per query (documents are counted from them)


@dataclass(frozen=True)
class Tier:
    """A way of storing the index's token vectors: ``name``, the bytes per token it keeps beside the
    centroid lists, and its coded vectors (``None``: the stored float16 vectors)."""

    name: str
    bytes_per_token: float
    vectors: ResidualVectors | None


def shared_codec(residuals: NDArray[np.float32], nbits: int) -> ResidualCodec:
    """One bucket table for every dimension, unscaled (ColBERTv2's, and this index's before per-dimension
    scaling)."""
    one = ResidualCodec.fit(residuals.reshape(-1, 1), nbits)
    dim = residuals.shape[1]
    zero, unit = np.zeros(dim, np.float32), np.ones(dim, np.float32)
    return ResidualCodec(nbits, one.shift + one.scale * one.cutoffs, one.shift + one.scale * one.weights, zero, unit)


def tiers(index: LateIndex, bits: tuple[int, ...] = (2, 4), sample: int = 1 << 16) -> Iterator[Tier]:
    """The exact tier, then per bit width the shared-bucket and per-dimension residual tiers, all coded
    against ``index.centroid_index``; the codecs are fitted on the same seeded sample of coded rows."""
    ci = index.centroid_index
    assert ci is not None, "the index has no centroids: ingest it with this program first"
    lists = 4 * ci.list_rows.shape[0] / index.n_vectors + ci.centroids.nbytes / index.n_vectors
    yield Tier("exact float16", 2 * index.dim + 4 + lists, None)
    coded = np.flatnonzero(np.asarray(ci.token_codes()) >= 0)
    pick = np.sort(np.random.default_rng(0).choice(coded, min(sample, coded.shape[0]), replace=False))
    residuals = np.asarray(index.vectors[pick], dtype=np.float32) - ci.centroids[ci.token_codes()[pick]]
    for nbits in bits:
        per_token = 4 + index.dim * nbits / 8 + lists
        for name, codec in (("shared buckets", shared_codec(residuals, nbits)), ("scaled per dim.", None)):
            ri = build_residual_index(index.vectors, ci, nbits, codec=codec)
            rv = ResidualVectors(coded_rows(ci.token_codes(), np.asarray(ri.packed)), ci.centroids, ri.codec)
            yield Tier(f"{nbits}-bit, {name}", per_token, rv)


def ranked(index: LateIndex, query: LateQuery, backend: str) -> tuple[list[str], list[int]]:
    """``(documents, passage ids)`` in MaxSim order over every passage of ``index``."""
    result = search_with_plan(query, index, exhaustive_search_plan(final_k=DEPTH), backend)
    docs: dict[str, None] = {}
    for hit in result.hits:
        docs.setdefault(hit.info.source_key or hit.info.path, None)
    return list(docs), [h.passage_id for h in result.hits]


def measure_tiers(
    coll: Collection, queries: dict[str, str | None], qrels: dict[str, dict[str, float]], backend: str
) -> list[dict]:
    """Per tier: ``tier``, ``bytes_per_token``, ``cosine`` (mean of stored · decoded over a sample), ``ndcg@10``
    and its paired difference to the exact tier, ``overlap@10`` with the exact tier's passages, seconds."""
    index = coll.late_index()
    ci = index.centroid_index
    judged = {q: t for q, t in queries.items() if t and qrels.get(q)}
    encoded = {q: coll.encode_query(t) for q, t in judged.items()}
    coded = np.flatnonzero(np.asarray(ci.token_codes()) >= 0)  # rows of live passages
    sample = np.sort(np.random.default_rng(1).choice(coded, min(20000, coded.shape[0]), replace=False))
    stored = np.asarray(index.vectors[sample], dtype=np.float32)
    rows: list[dict] = []
    exact: dict[str, tuple[list[str], list[int]]] = {}
    for tier in tiers(index):
        t0 = time.perf_counter()
        view = index if tier.vectors is None else replace(index, vectors=tier.vectors)
        cosine = 1.0 if tier.vectors is None else float((stored * tier.vectors[sample]).sum(1).mean())
        runs = {q: ranked(view, query, backend) for q, query in encoded.items()}
        exact = exact or runs
        per_query = {q: ndcg_at(docs, qrels[q], 10) for q, (docs, _) in runs.items()}
        overlap = [len(set(runs[q][1][:10]) & set(exact[q][1][:10])) / 10 for q in runs]
        rows.append(
            {
                "tier": tier.name,
                "bytes_per_token": round(tier.bytes_per_token, 1),
                "cosine": round(cosine, 4),
                "ndcg@10": round(fmean(per_query.values()), 4),
                "per_query": per_query,
                "overlap@10": round(fmean(overlap), 3),
                "seconds": round(time.perf_counter() - t0, 1),
            }
        )
        base = rows[0]["per_query"]
        rows[-1]["delta"] = paired_difference(per_query, base) if len(rows) > 1 else None
    return rows
