"""Token centroids for a PLAID-family stage 1: k-means over token vectors, a code per token, and
inverted lists from each centroid to the passages that hold one of its tokens.

At query time each query token probes its ``n_probe`` nearest centroids; the passages on those lists
are the candidates, scored approximately by *centroid interaction* — the MaxSim formula with every
document vector replaced by its centroid, so the similarities are table look-ups into the
``[n_query, n_centroids]`` matrix of query-token × centroid dot products.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .budgets import kept_counts
from .layouts import LateIndex, gather_indices, token_chunks

ASSIGN_CHUNK = 1 << 16  # token vectors assigned per matrix product


@dataclass(frozen=True)
class CentroidIndex:
    """``centroids`` float32 ``[K, dim]`` (unit length); ``codes`` int32 ``[T]`` — the centroid of each row
    of the packed vectors; ``list_offsets`` int64 ``[K+1]`` and ``list_rows`` int64: passage rows of
    centroid ``c`` are ``list_rows[list_offsets[c]:list_offsets[c+1]]`` (each row once per list)."""

    centroids: np.ndarray
    codes: np.ndarray
    list_offsets: np.ndarray
    list_rows: np.ndarray

    @property
    def n_centroids(self) -> int:
        return int(self.centroids.shape[0])


def default_centroid_count(n_vectors: int) -> int:
    """A power of two near 4·√T (PLAID uses ~16·√T; fewer centroids train faster on two cores)."""
    if n_vectors <= 0:
        return 1
    return int(min(65536, max(16, 2 ** round(math.log2(4 * math.sqrt(n_vectors))))))


def _assign(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    codes = np.empty(vectors.shape[0], dtype=np.int32)
    for start in range(0, vectors.shape[0], ASSIGN_CHUNK):
        block = np.asarray(vectors[start:start + ASSIGN_CHUNK], dtype=np.float32)
        codes[start:start + block.shape[0]] = (block @ centroids.T).argmax(axis=1)
    return codes


def train_centroids(sample: np.ndarray, k: int, iterations: int = 8, seed: int = 0) -> np.ndarray:
    """Spherical k-means (cosine) on ``sample`` → float32 ``[k, dim]`` unit centroids; empty clusters are
    re-seeded from random sample vectors."""
    rng = np.random.default_rng(seed)
    x = np.asarray(sample, dtype=np.float32)
    k = min(k, x.shape[0])
    c = x[rng.choice(x.shape[0], k, replace=False)].copy()
    for _ in range(iterations):
        codes = _assign(x, c)
        order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=k)
        sums = np.zeros_like(c)
        present = np.flatnonzero(counts)
        starts = np.concatenate(([0], np.cumsum(counts[present])[:-1]))
        sums[present] = np.add.reduceat(x[order], starts, axis=0)
        empty = counts == 0
        sums[empty] = x[rng.choice(x.shape[0], int(empty.sum()))]
        c = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return c.astype(np.float32)


def build_centroid_index(index: LateIndex, n_centroids: int = 0, points_per_centroid: int = 64,
                         seed: int = 0) -> CentroidIndex:
    """Train centroids on a sample of the index's token vectors (``points_per_centroid`` each, above the
    ~40 k-means needs to be stable), code every token, build the inverted lists."""
    rows_of_token = np.repeat(np.arange(index.n_passages, dtype=np.int64), index.lengths)
    token_rows = gather_indices(index.starts, index.lengths)     # packed row of every live token
    k = n_centroids or default_centroid_count(token_rows.shape[0])
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(token_rows.shape[0], min(points_per_centroid * k, token_rows.shape[0]),
                              replace=False))
    centroids = train_centroids(index.vectors[token_rows[pick]], k, seed=seed)
    codes = np.full(index.vectors.shape[0], -1, dtype=np.int32)
    for i, j in token_chunks(np.ones(token_rows.shape[0], np.int64), ASSIGN_CHUNK):
        codes[token_rows[i:j]] = _assign(index.vectors[token_rows[i:j]], centroids)
    pairs = np.unique(codes[token_rows].astype(np.int64) * index.n_passages + rows_of_token)
    list_codes, list_rows = pairs // max(index.n_passages, 1), pairs % max(index.n_passages, 1)
    offsets = np.searchsorted(list_codes, np.arange(centroids.shape[0] + 1))
    return CentroidIndex(centroids, codes, offsets.astype(np.int64), list_rows.astype(np.int64))


def probe(ci: CentroidIndex, q: np.ndarray, n_probe: int) -> tuple[np.ndarray, np.ndarray]:
    """``(sims [nq, K], candidate rows)``: the passages on the ``n_probe`` nearest lists of any query token."""
    sims = q @ ci.centroids.T
    n_probe = min(n_probe, ci.n_centroids)
    nearest = np.unique(np.argpartition(-sims, n_probe - 1, axis=1)[:, :n_probe])
    rows = np.unique(np.concatenate([ci.list_rows[ci.list_offsets[c]:ci.list_offsets[c + 1]] for c in nearest]
                                    or [np.empty(0, np.int64)]))
    return sims, rows


def centroid_scores(ci: CentroidIndex, index: LateIndex, sims: np.ndarray, rows: np.ndarray,
                    doc_budget: int) -> tuple[np.ndarray, int]:
    """Approximate MaxSim of ``rows`` with every document vector replaced by its centroid.

    Returns float32 scores and the number of centroid codes looked up (the stage's document vectors).
    """
    kept = kept_counts(index.lengths[rows], doc_budget)
    scores = np.empty(rows.shape[0], dtype=np.float32)
    for i, j in token_chunks(kept, 1 << 18):
        codes = ci.codes[gather_indices(index.starts[rows[i:j]], kept[i:j])]
        table = sims[:, codes]                                   # [nq, tokens in chunk]
        seg = np.concatenate(([0], np.cumsum(kept[i:j])[:-1]))
        scores[i:j] = np.maximum.reduceat(table, seg, axis=1).sum(axis=0)
    return scores, int(kept.sum())
