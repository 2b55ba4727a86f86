"""What ``benchmarks/peers.py`` hands every engine and how it scores what they return: the index's token
vectors and the encoded queries exported as ``.npy`` (never pickled), the exhaustive float MaxSim
reference, and per engine nDCG@10, overlap@10 and latency percentiles.

Every engine names passages by row of the export (0 … n−1, the index's passage rows in order); a
passage's document is what the evaluation ranks (``hit.info.source_key or hit.info.path``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

import numpy as np
from numpy.typing import NDArray

from ..core import NUMPY_REFERENCE_BACKEND, LateIndex, LateQuery, exhaustive_search_plan, search_with_plan
from ..core.metrics import ndcg_at, overlap_recall
from ..core.packed import gather_indices, token_chunks

EXPORT_CHUNK = 1 << 20  # token vectors converted to float32 at a time
DESCRIBE_BATCH = 2048  # passages looked up in the catalog at a time


def export_vectors(index: LateIndex, out: Path) -> None:
    """Write ``vectors.npy`` float32 ``[T, dim]`` (each live passage's token vectors, rows in order, end to
    end) and ``doclens.npy`` int64 ``[n]`` into ``out``, a bounded chunk at a time."""
    out.mkdir(parents=True, exist_ok=True)
    total = int(index.lengths.sum())
    dest = np.lib.format.open_memmap(out / "vectors.npy", mode="w+", dtype=np.float32, shape=(total, index.dim))
    at = 0
    for i, j in token_chunks(index.lengths, EXPORT_CHUNK):
        block = np.asarray(index.vectors[gather_indices(index.starts[i:j], index.lengths[i:j])], dtype=np.float32)
        dest[at : at + block.shape[0]] = block
        at += block.shape[0]
    dest.flush()
    del dest
    np.save(out / "doclens.npy", index.lengths.astype(np.int64), allow_pickle=False)


def export_queries(matrices: Sequence[NDArray[np.float32]], out: Path) -> None:
    """Write ``qvecs.npy`` float32 ``[Q, dim]`` (the query matrices end to end) and ``qlens.npy`` int64."""
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "qvecs.npy", np.concatenate(matrices).astype(np.float32), allow_pickle=False)
    np.save(out / "qlens.npy", np.array([m.shape[0] for m in matrices], dtype=np.int64), allow_pickle=False)


def documents_of_rows(index: LateIndex) -> list[str]:
    """The document key of every passage row of ``index`` (its catalog's source key, else its path)."""
    keys: list[str] = []
    ids = index.passage_ids.tolist()
    for lo in range(0, len(ids), DESCRIBE_BATCH):
        keys.extend(info.source_key or info.path for info in index.describe(ids[lo : lo + DESCRIBE_BATCH]))
    return keys


def exported_index(data: Path) -> LateIndex:
    """The export in ``data`` as a :class:`LateIndex` over its float32 vectors (memory-mapped), passage ids
    = rows: what the exhaustive float reference scores."""
    lengths = np.load(data / "doclens.npy")
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    vectors = np.load(data / "vectors.npy", mmap_mode="r")
    return LateIndex(vectors, starts, lengths, np.arange(lengths.shape[0], dtype=np.int64))


def reference_rows(data: Path, matrices: Sequence[NDArray[np.float32]], k: int) -> list[list[int]]:
    """Per query the best ``k`` rows by exhaustive MaxSim over the exported float32 vectors (the NumPy
    reference backend: float32 products, no approximation)."""
    index = exported_index(data)
    plan = exhaustive_search_plan(final_k=k)
    return [
        [h.row for h in search_with_plan(LateQuery(q), index, plan, NUMPY_REFERENCE_BACKEND).hits] for q in matrices
    ]


def documents_in_order(rows: Sequence[int], doc_of_row: Sequence[str]) -> list[str]:
    """The documents of ranked passage ``rows``, each once, where it first appears."""
    return list(dict.fromkeys(doc_of_row[r] for r in rows))


@dataclass(frozen=True)
class Quality:
    """Means over the judged queries: ``ndcg10`` (documents), ``overlap10`` (share of the reference's
    top-10 passages in the engine's top 10); ``per_query`` nDCG@10 by query id."""

    ndcg10: float
    overlap10: float
    per_query: dict[str, float]


def quality(
    runs: Sequence[Sequence[int]],
    reference: Sequence[Sequence[int]],
    query_ids: Sequence[str],
    doc_of_row: Sequence[str],
    qrels: Mapping[str, Mapping[str, float]],
) -> Quality:
    """Score one engine's ranked rows (aligned with ``query_ids`` and ``reference``) against ``qrels``."""
    per_query = {
        q: ndcg_at(documents_in_order(rows, doc_of_row), qrels.get(q, {}), 10) for q, rows in zip(query_ids, runs)
    }
    overlap = [overlap_recall(list(rows)[:10], list(ref)[:10]) for rows, ref in zip(runs, reference)]
    return Quality(fmean(per_query.values()), fmean(overlap), per_query)


def percentiles_ms(seconds: Sequence[float]) -> tuple[float, float]:
    """``(p50, p95)`` of per-query ``seconds``, in milliseconds."""
    p50, p95 = np.percentile(np.asarray(seconds, dtype=np.float64) * 1000.0, [50, 95])
    return float(p50), float(p95)


def folder_bytes(path: Path) -> int:
    """Bytes of every regular file under ``path`` (apparent sizes; links not followed)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            p = Path(root) / name
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_size
    return total
