"""Residual-coded token vectors seen as the ``[T, dim]`` float32 array they decode to.

A compact index keeps no float vectors: token row ``t`` is centroid ``codes[t]`` plus a packed ``n``-bit
residual ``packed[t]`` (:class:`~workbench.core.residuals.ResidualCodec`). :class:`ResidualVectors` answers
what the search reads of a packed vector array — ``shape``, ``dtype``, ``ndim``, ``len`` and indexing by an
int, a slice, an integer array or a mask — by decoding just the rows asked for. So everything that reads
vectors by row works on a compact index unchanged: the NumPy reference backend (which decodes its
candidates and multiplies), heatmaps and token views of a hit, proxies, centroid training; the Mojo backend
recognises it and scores the packed codes directly (:mod:`.backends.mojo_residual`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .residuals import ResidualCodec, row_codes

RowKey = int | np.integer[Any] | slice | NDArray[np.integer[Any]] | NDArray[np.bool_]


class ResidualVectors:
    """``coded`` uint8 ``[T, 4 + dim·nbits/8]`` (often a memory map): per token row its centroid code (int32,
    little-endian) then its packed residual (:func:`~workbench.core.residuals.coded_rows`), decoded against
    ``centroids`` float32 ``[K, dim]`` with ``codec``: a read-only float32 ``[T, dim]`` array of unit vectors.
    Rows are decoded when read, never all at once (except by ``np.asarray``). ``codes`` and ``packed`` are
    views of the two parts."""

    def __init__(self, coded: NDArray[np.uint8], centroids: NDArray[np.float32], codec: ResidualCodec) -> None:
        dim = int(centroids.shape[1])
        width = 4 + dim * codec.nbits // 8
        if coded.ndim != 2 or coded.shape[1] != width or coded.dtype != np.uint8:
            raise ValueError(
                f"coded rows of {dim}-d {codec.nbits}-bit vectors are uint8 [n, {width}], not {coded.dtype} {coded.shape}"
            )
        self.coded, self.centroids, self.codec = coded, centroids, codec
        self.codes: NDArray[np.int32] = row_codes(coded)
        self.packed: NDArray[np.uint8] = coded[:, 4:]
        self.shape: tuple[int, int] = (int(coded.shape[0]), dim)
        self.dtype: np.dtype[np.float32] = np.dtype(np.float32)
        self.ndim = 2

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype: DTypeLike | None = None, copy: bool | None = None) -> NDArray[Any]:
        """Every row decoded (``[T, dim]``): what ``np.asarray`` gives — avoid on a large index."""
        whole = self._decode(np.arange(self.shape[0]))
        return whole if dtype is None else whole.astype(dtype)

    def __getitem__(self, key: RowKey) -> NDArray[np.float32]:
        if isinstance(key, (int, np.integer)):
            t = int(key) + (self.shape[0] if key < 0 else 0)
            if not 0 <= t < self.shape[0]:
                raise IndexError(f"row {key} is outside 0..{self.shape[0] - 1}")
            row: NDArray[np.float32] = self._decode(np.array([t]))[0]  # [dim]: NumPy types an int index as Any
            return row
        if isinstance(key, slice):
            return self._decode(np.arange(*key.indices(self.shape[0])))
        rows = np.asarray(key)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        flat = rows.astype(np.int64, copy=False).reshape(-1)
        return self._decode(flat).reshape(rows.shape + (self.shape[1],))

    def _decode(self, rows: NDArray[np.int64]) -> NDArray[np.float32]:
        codes = np.asarray(self.codes[rows])
        if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= self.centroids.shape[0]):
            raise ValueError(f"a centroid code lies outside 0..{self.centroids.shape[0] - 1}: the index is damaged")
        return self.codec.decode(np.asarray(self.packed[rows]), self.centroids, codes)
