"""Exact MaxSim over residual-coded token vectors, on the native kernel (``kayak_maxsim_rq``).

A token is stored as its centroid code and an ``nbits`` residual bucket per dimension
(:class:`~workbench.core.residuals.ResidualCodec`); the kernel decodes each block of a candidate's tokens
into a stack buffer (centroid row + residual values, renormalised) and scores it as the float kernel
does, so no decompressed copy of the index or of a candidate ever exists in memory. Scores equal MaxSim
over :meth:`~workbench.core.residuals.ResidualCodec.decode`'s vectors (to float32 rounding).
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .base import ResidualCoding
from .kernel_inputs import DIM, checked_candidates
from .mojo_kernel import _ERRORS, _cpu_count, kernel_function, run_split

RQ_BITS = (2, 4)  # the bit widths the kernel is built for
# q, nq, coded, stride, n_vec, centroids, k, table, nbits, starts, lengths, n_pass, rows, m, budget, out_scores,
# out_argmax
_ARGS = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
_ARGS += [ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
_ARGS += [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]


def _contiguous(name: str, a: Any, dtype: type, shape: tuple[int | None, ...]) -> NDArray[Any]:
    """``a`` as it is (never copied: it may be a memory map) if it is a C-contiguous ``dtype`` array of
    ``shape`` (``None``: any length); else ``ValueError``."""
    if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != len(shape):
        raise ValueError(f"{name} must be a {np.dtype(dtype).name} array of {len(shape)} dimensions")
    if any(want is not None and got != want for got, want in zip(a.shape, shape)):
        raise ValueError(f"{name} has shape {a.shape}, expected {shape}")
    if not (a.flags.c_contiguous and a.flags.aligned):
        raise ValueError(f"{name} must be C-contiguous and aligned (no copy is made)")
    return a


def residual_maxsim_scores(
    query: NDArray[np.floating[Any]],
    coded: NDArray[np.uint8],
    centroids: NDArray[np.float32],
    codec: ResidualCoding,
    starts: NDArray[np.integer[Any]],
    lengths: NDArray[np.integer[Any]],
    rows: NDArray[np.integer[Any]],
    doc_budget: int = 0,
    want_argmax: bool = False,
    threads: int | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.int32] | None]:
    """MaxSim scores ``[m]`` float32 of candidate passages ``rows`` over their decoded vectors.

    ``query`` ``[nq, 128]`` (1 ≤ nq ≤ 64); ``coded`` uint8 ``[T, 4 + 128·nbits/8]``: per token an int32
    centroid code then the packed residual (``codec.nbits`` 2 or 4); ``centroids`` float32 ``[K, 128]``;
    passage ``p`` owns rows ``starts[p] … starts[p] + lengths[p]`` (the first ``doc_budget`` when 0 <
    ``doc_budget``). With ``want_argmax`` also int32 ``[m, nq]``, each query vector's best token within the
    passage (first on ties; −1 for an empty passage, which scores 0). Inputs are checked (``ValueError``)
    before native code runs; a code outside ``[0, K)`` is refused by the kernel (``ValueError``), never
    read past.
    """
    if codec.nbits not in RQ_BITS:
        raise ValueError(f"the kernel scores {' or '.join(map(str, RQ_BITS))}-bit residuals, not {codec.nbits}")
    coded = _contiguous("coded", coded, np.uint8, (None, 4 + DIM * codec.nbits // 8))
    n_vec = coded.shape[0]
    centroids = _contiguous("centroids", centroids, np.float32, (None, DIM))
    if centroids.shape[0] < 1:
        raise ValueError("at least one centroid is needed")
    table = np.ascontiguousarray(codec.kernel_table(), dtype=np.float32)
    q, starts, lengths, rows, budget, kept, scores, argmax = checked_candidates(
        query, starts, lengths, rows, doc_budget, want_argmax, n_vec
    )
    nq = q.shape[0]
    if rows.size == 0:
        return scores, argmax
    fn = kernel_function("kayak_maxsim_rq", _ARGS)

    def score(lo: int, hi: int) -> None:
        rc = fn(
            q.ctypes.data,
            nq,
            coded.ctypes.data,
            coded.shape[1],
            n_vec,
            centroids.ctypes.data,
            centroids.shape[0],
            table.ctypes.data,
            codec.nbits,
            starts.ctypes.data,
            lengths.ctypes.data,
            starts.size,
            rows.ctypes.data + lo * 8,
            hi - lo,
            budget,
            scores.ctypes.data + lo * 4,
            argmax.ctypes.data + lo * nq * 4 if argmax is not None else None,
        )
        if rc != 0:
            raise ValueError(f"residual MaxSim kernel rejected its input: {_ERRORS.get(rc, rc)}")

    run_split(score, kept, nq, int(threads or _cpu_count()))
    return scores, argmax
