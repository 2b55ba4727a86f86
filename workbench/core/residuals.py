"""Compressed token vectors: a centroid code plus an ``n``-bit residual per dimension (ColBERTv2 style).

A token vector ``x`` with centroid ``c`` is stored as its code and, per dimension, the bucket of the
residual ``x − c`` among ``2ⁿ`` buckets whose cut-offs are quantiles of residual values seen in training;
decoding adds each bucket's representative value (a mid-bucket quantile) to the centroid and renormalises.
At 2 bits a 128-d vector takes 4 + 32 bytes instead of 256 (float16).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from .centroids import CentroidIndex
    from .segmented import PackedVectors, SegmentedVectors

BITS = (1, 2, 4, 8)


@dataclass(frozen=True)
class ResidualCodec:
    """Per dimension ``d``: ``cutoffs[d]`` float32 ``[2ⁿ − 1]`` increasing bucket boundaries of residual values
    and ``weights[d]`` float32 ``[2ⁿ]`` the value each bucket decodes to; ``nbits`` per dimension.

    ``cutoffs`` is ``[dim, 2ⁿ − 1]`` and ``weights`` ``[dim, 2ⁿ]``. (Indexes written before per-dimension
    buckets stored one row for all dimensions; the store repeats it for each.)
    """

    nbits: int
    cutoffs: NDArray[np.float32]
    weights: NDArray[np.float32]

    @classmethod
    def fit(cls, residuals: NDArray[np.floating[Any]], nbits: int = 2) -> ResidualCodec:
        """Fit buckets to ``residuals`` ``[n, dim]``, each dimension on its own (ColBERTv2 fits one set for
        all dimensions; a dimension's spread differs by up to ×3 between dimensions of the default encoder):
        cut-offs at the ``i/2ⁿ`` quantiles, so every bucket is used equally often, and each bucket's weight
        the mean of the values that fall in it (the least-squares value for that bucket)."""
        if nbits not in BITS:
            raise ValueError(f"nbits must be one of {BITS}, got {nbits}")
        r = np.asarray(residuals, dtype=np.float32)
        n = 1 << nbits
        cutoffs = np.quantile(r, np.arange(1, n) / n, axis=0).T.astype(np.float32)  # [dim, n − 1]
        mids = np.quantile(r, (np.arange(n) + 0.5) / n, axis=0).T.astype(np.float32)  # an empty bucket's value
        buckets = _buckets(r, cutoffs)
        weights = np.empty((r.shape[1], n), np.float32)
        for b in range(n):
            hit = buckets == b
            counts = hit.sum(axis=0)
            sums = np.where(hit, r, 0).sum(axis=0, dtype=np.float64)
            weights[:, b] = np.where(counts > 0, sums / np.maximum(counts, 1), mids[:, b])
        return cls(nbits, cutoffs, weights)

    def table(self) -> NDArray[np.float32]:
        """float32 ``[dim, 2·2ⁿ − 1]``: each dimension's cut-offs then weights (how ``codec.npy`` stores it)."""
        return np.concatenate((self.cutoffs, self.weights), axis=1)

    @classmethod
    def from_table(cls, nbits: int, table: NDArray[np.float32]) -> ResidualCodec:
        """The codec :meth:`table` wrote; ``ValueError`` if ``table`` does not have its shape, holds a value that
        is not finite, or a dimension's cut-offs out of order."""
        n = 1 << nbits
        if table.ndim != 2 or table.shape[1] != 2 * n - 1:
            raise ValueError(f"a {nbits}-bit codec table has {2 * n - 1} columns, this one has shape {table.shape}")
        if not np.isfinite(table).all() or np.any(np.diff(table[:, : n - 1], axis=1) < 0):
            raise ValueError("the codec table holds values that are not finite or cut-offs out of order")
        return cls(nbits, np.ascontiguousarray(table[:, : n - 1]), np.ascontiguousarray(table[:, n - 1 :]))

    def bytes_per_vector(self, dim: int) -> int:
        """Stored bytes per token vector: the int32 code and the packed residual."""
        return 4 + dim * self.nbits // 8

    def encode(
        self, vectors: NDArray[np.floating[Any]], centroids: NDArray[np.float32], codes: NDArray[np.integer[Any]]
    ) -> NDArray[np.uint8]:
        """Packed residuals, uint8 ``[n, dim·nbits/8]``, of ``vectors`` ``[n, dim]`` coded ``codes``: dimension
        ``d`` of a vector sits in byte ``d·nbits // 8`` at bit ``(d·nbits) % 8``."""
        buckets = _buckets(np.asarray(vectors, dtype=np.float32) - centroids[codes], self.cutoffs)
        per_byte = 8 // self.nbits
        b = buckets.reshape(buckets.shape[0], -1, per_byte)
        shifts = np.arange(per_byte, dtype=np.uint8) * self.nbits
        packed: NDArray[np.uint8] = np.bitwise_or.reduce(b << shifts, axis=2).astype(np.uint8)
        return packed

    def decode(
        self, packed: NDArray[np.uint8], centroids: NDArray[np.float32], codes: NDArray[np.integer[Any]]
    ) -> NDArray[np.float32]:
        """Float32 unit vectors ``[n, dim]`` back from ``packed`` residuals and ``codes``."""
        values = self.byte_values()  # [bytes, 256, per_byte]
        x: NDArray[np.float32] = centroids[codes]  # a gather, so a copy: normalised in place below
        x += values[np.arange(values.shape[0]), packed].reshape(packed.shape[0], -1)
        x /= np.maximum(np.sqrt(np.einsum("nd,nd->n", x, x)), 1e-12)[:, None]
        return x

    def byte_values(self) -> NDArray[np.float32]:
        """float32 ``[dim·nbits/8, 256, 8/nbits]``: for each byte position of a packed residual, the residual
        values each of the 256 byte values decodes to (one gather per byte instead of shifting and masking
        every value)."""
        per_byte = 8 // self.nbits
        shifts = np.arange(per_byte, dtype=np.uint16) * self.nbits
        buckets = (np.arange(256, dtype=np.uint16)[:, None] >> shifts) & ((1 << self.nbits) - 1)  # [256, per_byte]
        w = self.weights.reshape(-1, per_byte, 1 << self.nbits)  # [bytes, per_byte, 2ⁿ]
        values: NDArray[np.float32] = w[:, np.arange(per_byte), buckets]  # [bytes, 256, per_byte]
        return values


def _buckets(r: NDArray[np.float32], cutoffs: NDArray[np.float32]) -> NDArray[np.uint8]:
    """uint8 ``[n, dim]``: the bucket of each residual value, the number of its dimension's cut-offs below it
    (``searchsorted``'s left side), in ``0 … 2ⁿ − 1``."""
    buckets = np.zeros(r.shape, np.uint8)
    for j in range(cutoffs.shape[1]):
        buckets += r > cutoffs[:, j]
    return buckets


@dataclass(frozen=True)
class ResidualIndex:
    """Every packed token row compressed: ``packed`` uint8 ``[T, dim·nbits/8]`` row-aligned with the
    index's vectors, decoded against the centroid index's ``centroids`` and ``codes``."""

    codec: ResidualCodec
    packed: NDArray[np.uint8] | SegmentedVectors[np.uint8]  # segmented: several segments end to end

    def decode_rows(self, ci: CentroidIndex, rows: NDArray[np.integer[Any]]) -> NDArray[np.float32]:
        """Float32 ``[len(rows), dim]`` decompressed vectors of packed rows ``rows``."""
        return self.codec.decode(np.asarray(self.packed[rows]), ci.centroids, np.asarray(ci.codes[rows]))


def build_residual_index(
    vectors: PackedVectors,
    ci: CentroidIndex,
    nbits: int = 2,
    sample: int = 1 << 16,
    chunk: int = 1 << 20,
    seed: int = 0,
    codec: ResidualCodec | None = None,
) -> ResidualIndex:
    """Compress every coded row with ``codec``, by default one fitted on a seeded sample of ``sample`` coded
    rows' residuals (rows with code −1 — no live passage — are left zero)."""
    coded = np.flatnonzero(np.asarray(ci.codes) >= 0)
    if codec is None:
        pick = np.sort(np.random.default_rng(seed).choice(coded, min(sample, coded.shape[0]), replace=False))
        x = np.asarray(vectors[pick], dtype=np.float32)
        codec = ResidualCodec.fit(x - ci.centroids[ci.codes[pick]], nbits)
    packed = np.zeros((vectors.shape[0], vectors.shape[1] * codec.nbits // 8), dtype=np.uint8)
    for lo in range(0, coded.shape[0], chunk):
        rows = coded[lo : lo + chunk]
        packed[rows] = codec.encode(
            np.asarray(vectors[rows], dtype=np.float32), ci.centroids, np.asarray(ci.codes[rows])
        )
    return ResidualIndex(codec, packed)
