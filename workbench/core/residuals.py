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
    """``cutoffs`` float32 ``[2ⁿ − 1]`` bucket boundaries and ``weights`` float32 ``[2ⁿ]`` the value each
    bucket decodes to; ``nbits`` per dimension."""

    nbits: int
    cutoffs: NDArray[np.float32]
    weights: NDArray[np.float32]

    @classmethod
    def fit(cls, residuals: NDArray[np.floating[Any]], nbits: int = 2) -> ResidualCodec:
        """Cut-offs at the ``i/2ⁿ`` quantiles of the residual values, weights at the bucket midpoints."""
        if nbits not in BITS:
            raise ValueError(f"nbits must be one of {BITS}, got {nbits}")
        values = np.asarray(residuals, dtype=np.float32).ravel()
        n = 1 << nbits
        cutoffs = np.quantile(values, np.arange(1, n) / n).astype(np.float32)
        weights = np.quantile(values, (np.arange(n) + 0.5) / n).astype(np.float32)
        return cls(nbits, cutoffs, weights)

    def bytes_per_vector(self, dim: int) -> int:
        """Stored bytes per token vector: the int32 code and the packed residual."""
        return 4 + dim * self.nbits // 8

    def encode(
        self, vectors: NDArray[np.floating[Any]], centroids: NDArray[np.float32], codes: NDArray[np.integer[Any]]
    ) -> NDArray[np.uint8]:
        """Packed residuals, uint8 ``[n, dim·nbits/8]``, of ``vectors`` ``[n, dim]`` coded ``codes``."""
        r = np.asarray(vectors, dtype=np.float32) - centroids[codes]
        buckets = np.searchsorted(self.cutoffs, r).astype(np.uint8)  # [n, dim] in 0 … 2ⁿ−1
        per_byte = 8 // self.nbits
        b = buckets.reshape(buckets.shape[0], -1, per_byte)
        shifts = np.arange(per_byte, dtype=np.uint8) * self.nbits
        packed: NDArray[np.uint8] = np.bitwise_or.reduce(b << shifts, axis=2).astype(np.uint8)
        return packed

    def decode(
        self, packed: NDArray[np.uint8], centroids: NDArray[np.float32], codes: NDArray[np.integer[Any]]
    ) -> NDArray[np.float32]:
        """Float32 unit vectors ``[n, dim]`` back from ``packed`` residuals and ``codes``."""
        # One gather of whole byte patterns: each byte's values are viewed as a single wide element.
        wide = np.ascontiguousarray(self.byte_values()).view(f"V{4 * (8 // self.nbits)}").ravel()
        x: NDArray[np.float32] = centroids[codes]  # a gather, so a copy: normalised in place below
        x += wide[packed].view(np.float32).reshape(packed.shape[0], -1)
        x /= np.maximum(np.sqrt(np.einsum("nd,nd->n", x, x)), 1e-12)[:, None]
        return x

    def byte_values(self) -> NDArray[np.float32]:
        """float32 ``[256, 8/nbits]``: the residual values one packed byte decodes to (one gather per byte
        instead of shifting and masking every value)."""
        per_byte = 8 // self.nbits
        shifts = np.arange(per_byte, dtype=np.uint16) * self.nbits
        values: NDArray[np.float32] = self.weights[
            (np.arange(256, dtype=np.uint16)[:, None] >> shifts) & ((1 << self.nbits) - 1)
        ]
        return values


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
) -> ResidualIndex:
    """Fit a codec on a sample of coded rows' residuals, then compress every coded row (rows with code
    −1 — no live passage — are left zero)."""
    coded = np.flatnonzero(np.asarray(ci.codes) >= 0)
    pick = np.sort(np.random.default_rng(seed).choice(coded, min(sample, coded.shape[0]), replace=False))
    x = np.asarray(vectors[pick], dtype=np.float32)
    codec = ResidualCodec.fit(x - ci.centroids[ci.codes[pick]], nbits)
    packed = np.zeros((vectors.shape[0], vectors.shape[1] * nbits // 8), dtype=np.uint8)
    for lo in range(0, coded.shape[0], chunk):
        rows = coded[lo : lo + chunk]
        packed[rows] = codec.encode(
            np.asarray(vectors[rows], dtype=np.float32), ci.centroids, np.asarray(ci.codes[rows])
        )
    return ResidualIndex(codec, packed)
