"""Coding token vectors against centroids: each vector's centroid code, its packed residual, and how
close the vectors sit to their centroids (the mean cosine that tells when to retrain).

Every function works a bounded ``chunk`` of vectors at a time, so a large segment never becomes one
float32 copy, and writes straight into memory maps of the new files.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.centroids import assign
from ..core.residual_vectors import ResidualVectors
from ..core.residuals import ResidualCodec, coded_rows
from .files import save_array_streaming

CODE_CHUNK = 1 << 16  # token vectors coded at a time: 32 MiB of float32 (1 << 18 peaked 545 MB more, this 160 MB)
SAMPLE = 1 << 16  # vectors a residual codec is fitted on and a mean cosine is measured on


def code_segment(
    vectors: NDArray[np.floating[Any]], centroids: NDArray[np.float32], codec: ResidualCodec | None, chunk: int
) -> tuple[NDArray[np.int32], NDArray[np.uint8] | None, float]:
    """``(codes, packed residuals or None, mean cosine to the centroid)`` of a segment's vectors, coded
    a bounded chunk at a time so a large segment never becomes one float32 copy."""
    size = int(vectors.shape[0])
    codes = np.empty(size, np.int32)
    packed = np.empty((size, vectors.shape[1] * codec.nbits // 8), np.uint8) if codec is not None else None
    return codes, packed, _code_into(vectors, centroids, codec, codes, packed, chunk)


def save_codes(
    folder: Path,
    name: str,
    vectors: NDArray[np.floating[Any]],
    centroids: NDArray[np.float32],
    codec: ResidualCodec | None,
    chunk: int,
) -> float:
    """Code (and compress, with ``codec``) a segment's ``vectors`` ``[n, dim]`` into ``folder``'s
    ``codes-<name>`` (int32 ``[n]``) and ``residuals-<name>`` (uint8 ``[n, dim·bits/8]``) files, one
    ``chunk`` at a time straight into memory maps of the new files; the codes file is renamed into
    place last (its presence means "done"). Returns the vectors' mean cosine to their centroids."""
    size, dim = int(vectors.shape[0]), int(vectors.shape[1])
    cosine = 1.0  # an empty segment (nothing is filled) sits on its centroids

    def fill_codes(codes: NDArray[np.int32]) -> None:
        def fill_residuals(packed: NDArray[np.uint8] | None) -> None:
            nonlocal cosine
            cosine = _code_into(vectors, centroids, codec, codes, packed, chunk)

        if codec is None:
            fill_residuals(None)
        else:
            save_array_streaming(
                folder / f"residuals-{name}",
                (size, dim * codec.nbits // 8),
                np.uint8,
                fill_residuals,
                f"the 2-bit residuals of {size:,} token vectors",
            )

    save_array_streaming(
        folder / f"codes-{name}", (size,), np.int32, fill_codes, f"the centroid codes of {size:,} token vectors"
    )
    return cosine


def mean_cosine(vectors: NDArray[np.floating[Any]], centroids: NDArray[np.float32], codes: NDArray[np.int32]) -> float:
    """Mean cosine of ``vectors`` ``[n, dim]`` to their centroids (``codes``), over at most ``SAMPLE``
    of them spread evenly; 1.0 for none."""
    if codes.shape[0] == 0:
        return 1.0
    pick = np.linspace(0, codes.shape[0] - 1, min(SAMPLE, codes.shape[0])).astype(np.int64)
    x = np.asarray(vectors[pick], dtype=np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return float(np.einsum("nd,nd->n", x, centroids[codes[pick]]).mean())


def _code_into(
    vectors: NDArray[np.floating[Any]],
    centroids: NDArray[np.float32],
    codec: ResidualCodec | None,
    codes: NDArray[np.int32],
    packed: NDArray[np.uint8] | None,
    chunk: int,
) -> float:
    """Fill ``codes`` (int32 ``[n]``) and ``packed`` residuals (with ``codec``) of ``vectors`` ``[n, dim]``,
    a ``chunk`` at a time (bounded float32 copies); returns their mean cosine to their centroids."""
    size = int(vectors.shape[0])
    cos_sum = 0.0
    for lo in range(0, size, chunk):
        block = np.asarray(vectors[lo : lo + chunk], dtype=np.float32)
        codes[lo : lo + block.shape[0]] = c = assign(block, centroids)
        if packed is not None and codec is not None:  # packed is given exactly when codec is
            packed[lo : lo + block.shape[0]] = codec.encode(block, centroids, c)
        cos_sum += mean_cosine(block, centroids, c) * block.shape[0]
    return cos_sum / max(size, 1)


def code_rows(
    vectors: NDArray[np.floating[Any]] | ResidualVectors, centroids: NDArray[np.float32], codec: ResidualCodec
) -> NDArray[np.uint8]:
    """uint8 ``[n, 4 + dim·nbits/8]``: ``vectors`` ``[n, dim]`` coded against ``centroids`` with ``codec``, a
    bounded chunk at a time (what one ingest batch becomes in a compact index)."""
    n = int(vectors.shape[0])
    out = np.empty((n, 4 + int(vectors.shape[1]) * codec.nbits // 8), np.uint8)
    code_into(vectors, centroids, codec, out, None)
    return out


def code_into(
    vectors: NDArray[np.floating[Any]] | ResidualVectors,
    centroids: NDArray[np.float32],
    codec: ResidualCodec,
    out: NDArray[np.uint8],
    stop: threading.Event | None,
) -> None:
    """Fill ``out`` (uint8 ``[n, 4 + dim·nbits/8]``) with ``vectors`` coded, ``CODE_CHUNK`` rows at a time;
    ``stop`` set: ``InterruptedError`` between chunks."""
    for lo in range(0, int(vectors.shape[0]), CODE_CHUNK):
        if stop is not None and stop.is_set():
            raise InterruptedError("stopped")
        block = np.asarray(vectors[lo : lo + CODE_CHUNK], dtype=np.float32)
        codes = assign(block, centroids)
        out[lo : lo + block.shape[0]] = coded_rows(codes, codec.encode(block, centroids, codes))
