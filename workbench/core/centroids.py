"""Token centroids for a PLAID-family stage 1: k-means over token vectors, a code per token, and
inverted lists from each centroid to the passages holding one of its tokens.

At query time each query vector probes its ``n_probe`` most similar centroids. A passage's
approximate score is MaxSim with every document vector replaced by its centroid, restricted to the
probed centroids: for query vector ``i`` it is the best probed centroid similarity among the passage's
codes, and where the passage has no token on any probed list the similarity is *imputed* as that of
the best centroid *not* probed (a token there can be no closer to that centroid; XTR/WARP estimate
missing similarities the same way). Ranking only needs the part above the imputed floor, so the
stage reads the probed lists once — its cost follows the list lengths, not the collection size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .blas import one_blas_thread
from .inverted_lists import inverted_lists
from .packed import StoredVectors, gather_indices, token_chunks
from .ranking import top_k
from .segmented import PackedVectors

ASSIGN_CHUNK = 1 << 16  # token vectors assigned per NumPy matrix product
ASSIGN_PRODUCTS = 1 << 26  # … and at most this many float32 products (a 65,536-centroid table: 1,024 rows)


@dataclass(frozen=True)
class CentroidIndex:
    """``centroids`` float32 ``[K, dim]`` (unit length); ``codes`` int32 ``[T]`` — the centroid of each row
    of the packed vectors (-1 where no live passage owns the row), or ``None`` for a compact index, whose
    coded rows hold their codes (:class:`~.residual_vectors.ResidualVectors`); ``list_offsets`` int64 ``[K+1]`` and
    ``list_rows`` int32: the passage rows holding a token of centroid ``c`` are
    ``list_rows[list_offsets[c]:list_offsets[c+1]]``, each row once, ascending."""

    centroids: NDArray[np.float32]
    codes: NDArray[np.int32] | None
    list_offsets: NDArray[np.int64]
    list_rows: NDArray[np.int32]

    @property
    def n_centroids(self) -> int:
        return int(self.centroids.shape[0])

    def token_codes(self) -> NDArray[np.int32]:
        """``codes``; ``ValueError`` for a compact index, whose codes are its coded rows' own."""
        if self.codes is None:
            raise ValueError("a compact index keeps its centroid codes in its coded rows, not beside them")
        return self.codes

    def list_of(self, c: int) -> NDArray[np.int32]:
        return self.list_rows[self.list_offsets[c] : self.list_offsets[c + 1]]


@dataclass(frozen=True)
class CentroidCandidates:
    """What the probe found: candidate ``rows`` best first with their approximate ``scores``, the passages
    ``touched`` (on at least one probed list), the list entries read (``lookups``), the probes per
    query vector actually used (``n_probe``, widened under a filter)."""

    rows: NDArray[np.int64]
    scores: NDArray[np.float32]
    touched: int
    lookups: int
    n_probe: int


def default_centroid_count(n_vectors: int) -> int:
    """A power of two near 4·√T (PLAID uses ~16·√T; fewer centroids train faster on two cores)."""
    if n_vectors <= 0:
        return 1
    return int(min(65536, max(16, 2 ** round(math.log2(4 * math.sqrt(n_vectors))))))


def assign(vectors: StoredVectors, centroids: NDArray[np.float32]) -> NDArray[np.int32]:
    """Index (int32) of the most similar centroid of every row of ``vectors`` (float16/32 ``[n, dim]``).

    Uses the Mojo kernel when it is available — the nearest centroid is the argmax of MaxSim against
    one "passage" made of the centroids — and NumPy (a BLAS product + argmax) otherwise.
    """
    from .backends.mojo_exact import status

    if vectors.shape[1] == 128 and status()[0]:
        from .backends.mojo_kernel import nearest_centroids

        codes = np.empty(vectors.shape[0], dtype=np.int32)
        for lo in range(0, vectors.shape[0], ASSIGN_CHUNK):  # bounded float32 copies of float16 input
            codes[lo : lo + ASSIGN_CHUNK] = nearest_centroids(vectors[lo : lo + ASSIGN_CHUNK], centroids)
        return codes
    codes = np.empty(vectors.shape[0], dtype=np.int32)
    rows = max(1, min(ASSIGN_CHUNK, ASSIGN_PRODUCTS // max(centroids.shape[0], 1)))  # products stay ≤ 256 MiB
    for start in range(0, vectors.shape[0], rows):
        block = np.asarray(vectors[start : start + rows], dtype=np.float32)
        codes[start : start + block.shape[0]] = (block @ centroids.T).argmax(axis=1)
    return codes


def train_centroids(
    sample: NDArray[np.floating[Any]],
    k: int,
    iterations: int = 6,
    seed: int = 0,
    fixed: NDArray[np.float32] | None = None,
) -> NDArray[np.float32]:
    """Spherical k-means (cosine) on ``sample`` → float32 ``[k, dim]`` unit centroids; empty clusters are
    re-seeded from random sample vectors.

    With ``fixed`` (float32 ``[F, dim]``, F < k), those are the first F centroids and never move: only the
    k − F new ones are trained, seeded from the sample vectors the fixed ones serve worst, and vectors
    nearest a fixed centroid stay with it. Codes given against ``fixed`` then stay valid against the
    result, which is how a compact index (whose codes are its vectors) grows its centroids.
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(sample, dtype=np.float32)
    n_fixed = 0 if fixed is None else int(fixed.shape[0])
    k = min(k, x.shape[0] + n_fixed)
    if fixed is None:
        seeds = x[rng.choice(x.shape[0], k, replace=False)]
    else:
        worst = np.argsort((x @ fixed.T).max(axis=1), kind="stable")[: k - n_fixed]
        seeds = np.concatenate((fixed, x[worst]))
    c: NDArray[np.float32] = np.array(seeds, dtype=np.float32)
    for _ in range(iterations):
        codes = assign(x, c)
        order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=k)
        sums = np.zeros_like(c)
        present = np.flatnonzero(counts)
        starts = np.concatenate(([0], np.cumsum(counts[present])[:-1]))
        sums[present] = np.add.reduceat(x[order], starts, axis=0)
        empty = counts == 0
        sums[empty] = x[rng.choice(x.shape[0], int(empty.sum()))]
        c = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        if fixed is not None:
            c[:n_fixed] = fixed
    return c.astype(np.float32)


def sample_token_rows(
    starts: NDArray[np.int64], lengths: NDArray[np.int64], m: int, seed: int = 0
) -> NDArray[np.int64]:
    """Packed rows (int64, in the layout's passage order) of ``m`` live token vectors drawn uniformly
    without replacement (all of them when there are fewer), from the passage layout ``starts``/``lengths`` (int64 ``[n]``) — without
    listing every token row, so memory is ``O(n + m)`` however many tokens there are."""
    ends = np.cumsum(lengths, dtype=np.int64)
    total = int(ends[-1]) if ends.shape[0] else 0
    rng = np.random.default_rng(seed)
    picked = np.arange(total, dtype=np.int64) if m >= total else np.sort(rng.choice(total, m, replace=False))
    passage = np.searchsorted(ends, picked, side="right")
    return starts[passage] + picked - (ends[passage] - lengths[passage])


class PackedPassages(Protocol):
    """What building a centroid index reads of an index (a :class:`~workbench.core.LateIndex` is one):
    its packed token ``vectors`` and each passage row's ``starts``/``lengths`` (int64 ``[n]``)."""

    @property
    def vectors(self) -> PackedVectors: ...
    @property
    def starts(self) -> NDArray[np.int64]: ...
    @property
    def lengths(self) -> NDArray[np.int64]: ...


def build_centroid_index(
    index: PackedPassages, n_centroids: int = 0, points_per_centroid: int = 32, seed: int = 0
) -> CentroidIndex:
    """Train centroids on a sample of the index's token vectors (``points_per_centroid`` each; k-means
    needs a few tens to be stable), code every token, build the inverted lists."""
    token_rows = gather_indices(index.starts, index.lengths)  # packed row of every live token
    k = n_centroids or default_centroid_count(token_rows.shape[0])
    centroids = train_centroids(
        index.vectors[sample_token_rows(index.starts, index.lengths, points_per_centroid * k, seed)], k, seed=seed
    )
    codes = np.full(index.vectors.shape[0], -1, dtype=np.int32)
    for i, j in token_chunks(np.ones(token_rows.shape[0], np.int64), 1 << 20):
        codes[token_rows[i:j]] = assign(index.vectors[token_rows[i:j]], centroids)
    offsets, rows = inverted_lists(codes, index.starts, index.lengths, centroids.shape[0])
    return CentroidIndex(centroids, codes, offsets, rows)


def widened_probe(n_probe: int, eligible_fraction: float, n_centroids: int) -> int:
    """Probes per query vector under a filter admitting ``eligible_fraction`` of the passages.

    A filter leaves fewer eligible passages on each list, so each probe finds fewer candidates; probing
    ``1/√fraction`` times as many lists (×3 at 10 %, ×10 at 1 %) keeps recall without reading every list.
    """
    if eligible_fraction >= 1.0:
        return min(n_probe, n_centroids)
    scale = 1.0 / math.sqrt(max(eligible_fraction, 1e-6))
    return int(min(n_centroids, math.ceil(n_probe * scale)))


def probe_candidates(
    ci: CentroidIndex,
    q: NDArray[np.float32],
    n_probe: int,
    k: int,
    passage_ids: NDArray[np.int64],
    eligible: NDArray[np.bool_] | None = None,
    native: bool = False,
) -> CentroidCandidates:
    """The ``k`` passage rows with the best approximate (centroid-interaction) scores.

    ``q`` float32 ``[nq, dim]``; ``passage_ids`` int64 ``[n]`` breaks ties (smaller id first);
    ``eligible`` optional bool ``[n]`` — other rows are never candidates. When fewer than ``k``
    eligible passages are touched, the rest are filled in id order (their score is the imputed floor).
    ``native``: the lists are read by the Mojo kernel (:mod:`.backends.mojo_probe`), one pass per entry,
    with the same scores to the bit; else by NumPy.
    """
    n = passage_ids.shape[0]
    with one_blas_thread():
        sims = q @ ci.centroids.T  # [nq, K]
    n_probe = min(n_probe, ci.n_centroids)
    if n_probe < ci.n_centroids:
        # The n_probe best centroids, best first, then the best one not probed (the imputed floor).
        near = np.argpartition(-sims, n_probe, axis=1)[:, : n_probe + 1]
        near = np.take_along_axis(near, np.argsort(-np.take_along_axis(sims, near, 1), 1, kind="stable"), 1)
        order, floor = near[:, :n_probe], np.take_along_axis(sims, near[:, n_probe:], 1)[:, 0]
    else:
        order, floor = np.argsort(-sims, axis=1, kind="stable"), sims.min(axis=1)
    gains = np.take_along_axis(sims, order, 1) - floor[:, None]  # [nq, n_probe], best first, >= 0
    if native:
        from .backends.mojo_probe import probe_lists

        total, lookups = probe_lists(ci.list_offsets, ci.list_rows, order, gains, n)
    else:
        total, lookups = _probe_lists(ci, order, gains, n)
    pool = np.flatnonzero(total > 0) if eligible is None else np.flatnonzero((total > 0) & eligible)
    rows = pool[top_k(total[pool], passage_ids[pool], k)]
    if rows.shape[0] < k:  # not enough touched: fill from untouched eligible rows
        rest = np.flatnonzero(total <= 0) if eligible is None else np.flatnonzero((total <= 0) & eligible)
        rest = rest[np.argsort(passage_ids[rest], kind="stable")[: k - rows.shape[0]]]
        rows = np.concatenate((rows, rest))
    return CentroidCandidates(rows.astype(np.int64), total[rows], int(pool.shape[0]), lookups, n_probe)


def _probe_lists(
    ci: CentroidIndex, order: NDArray[np.integer[Any]], gains: NDArray[np.float32], n: int
) -> tuple[NDArray[np.float32], int]:
    """NumPy's :func:`~.backends.mojo_probe.probe_lists`: per query vector, each passage on a probed list
    gains that list's best gain (``[nq, n_probe]``, lists best first), summed into float32 ``[n]``."""
    total = np.zeros(n, dtype=np.float32)
    best = np.zeros(n, dtype=np.float32)
    lookups = 0
    sizes = ci.list_offsets[order + 1] - ci.list_offsets[order]  # [nq, n_probe] list lengths
    for i in range(order.shape[0]):
        touched = ci.list_rows[gather_indices(ci.list_offsets[order[i]], sizes[i])]
        np.maximum.at(best, touched, np.repeat(gains[i], sizes[i]))
        total[touched] += best[touched]  # repeated rows write the same sum: counted once
        best[touched] = 0.0
        lookups += touched.shape[0]
    return total, lookups
