"""Stage 1 of the centroid plan on the native kernel (``kayak_probe``): the probed inverted lists read once.

For each query vector the kernel walks its probed lists best centroid first and adds the list's gain to
a passage the first time it meets it (a per-passage stamp marks "met for this query vector"), so a
passage on several probed lists counts its best one — the scores
:func:`~workbench.core.centroids.probe_candidates` computes with NumPy, to the bit (the same float32
additions in the same order). One pass per list entry instead of NumPy's five: measured on 10⁶
passages' lists in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .mojo_kernel import _ERRORS, kernel_function

# offsets, k, rows, n_rows, order, gains, nq, n_probe, n, total, seen
_ARGS = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
_ARGS += [ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]


def probe_lists(
    list_offsets: NDArray[np.int64],
    list_rows: NDArray[np.int32],
    order: NDArray[np.integer[Any]],
    gains: NDArray[np.float32],
    n: int,
) -> tuple[NDArray[np.float32], int]:
    """``(total, lookups)``: each of ``n`` passages' approximate score (float32 ``[n]``: per query vector the
    gain of the first probed list it is on, summed) and the list entries read.

    ``list_offsets`` int64 ``[K+1]`` and ``list_rows`` int32 are the inverted lists; ``order`` ``[nq, n_probe]``
    the probed centroids of each query vector, best first; ``gains`` float32 ``[nq, n_probe]`` their
    similarity above the imputed floor (descending, ≥ 0). ``ValueError`` for a centroid outside the table,
    lists out of order or a row outside ``[0, n)`` — checked by the kernel, never read past.
    """
    offsets = np.ascontiguousarray(list_offsets, dtype=np.int64)
    rows = np.ascontiguousarray(list_rows, dtype=np.int32)
    probed = np.ascontiguousarray(order, dtype=np.int64)
    g = np.ascontiguousarray(gains, dtype=np.float32)
    if probed.ndim != 2 or g.shape != probed.shape:
        raise ValueError(f"order and gains must both be [nq, n_probe], got {probed.shape} and {g.shape}")
    total = np.zeros(n, dtype=np.float32)
    seen = np.zeros(n, dtype=np.int32)
    k = offsets.shape[0] - 1
    rc = kernel_function("kayak_probe", _ARGS)(
        offsets.ctypes.data,
        k,
        rows.ctypes.data,
        rows.shape[0],
        probed.ctypes.data,
        g.ctypes.data,
        probed.shape[0],
        probed.shape[1],
        n,
        total.ctypes.data,
        seen.ctypes.data,
    )
    if rc < 0:
        raise ValueError(f"the probe kernel rejected its input: {_ERRORS.get(rc, rc)}")
    return total, int(rc)
