"""The checks every native MaxSim call makes before its kernel runs: a kernel trusts its pointers, so a
hostile query, layout or candidate list is refused here with a ``ValueError`` naming the problem."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

DIM = 128
MAX_QUERY_VECTORS = 64


class Candidates(NamedTuple):
    """Checked inputs of a kernel call: the float32 query, int64 ``starts``/``lengths``/``rows``, the document
    budget, each candidate's kept token count, and the outputs to fill (``scores``, ``argmax`` or ``None``)."""

    q: NDArray[np.float32]
    starts: NDArray[np.int64]
    lengths: NDArray[np.int64]
    rows: NDArray[np.int64]
    budget: int
    kept: NDArray[np.int64]
    scores: NDArray[np.float32]
    argmax: NDArray[np.int32] | None


def checked_candidates(
    query: NDArray[np.floating[Any]],
    starts: NDArray[np.integer[Any]],
    lengths: NDArray[np.integer[Any]],
    rows: NDArray[np.integer[Any]],
    doc_budget: int,
    want_argmax: bool,
    n_vec: int,
) -> Candidates:
    """The hostile-input checks every kernel call makes before native code runs (``ValueError`` naming the
    first problem), so that the kernel only ever sees a query of 1–64 vectors and candidate spans inside
    the ``n_vec`` token rows."""
    q = np.asarray(query)
    if q.ndim != 2 or q.shape[1] != DIM:
        raise ValueError(f"query must have shape [nq, {DIM}], got {q.shape}")
    if not 1 <= q.shape[0] <= MAX_QUERY_VECTORS:
        raise ValueError(f"query must have 1 to {MAX_QUERY_VECTORS} vectors, got {q.shape[0]}")
    if not np.issubdtype(q.dtype, np.floating):
        raise ValueError(f"query must be floating point, got {q.dtype}")
    q = np.ascontiguousarray(q, dtype=np.float32)  # tiny; no copy when already right
    starts, lengths, rows = (_index_array(n, a) for n, a in (("starts", starts), ("lengths", lengths), ("rows", rows)))
    if starts.shape != lengths.shape:
        raise ValueError(f"starts and lengths differ in size: {starts.size} vs {lengths.size}")
    budget = int(doc_budget)
    if budget < 0:
        raise ValueError(f"doc_budget must be >= 0, got {doc_budget}")
    m = rows.size
    scores = np.empty(m, dtype=np.float32)
    argmax = np.empty((m, q.shape[0]), dtype=np.int32) if want_argmax else None
    kept = np.zeros(0, np.int64)
    if m:
        if rows.min() < 0 or rows.max() >= starts.size:
            raise ValueError(f"rows must lie in 0..{starts.size - 1}")
        sel_len = lengths[rows]
        if sel_len.min() < 0:
            raise ValueError("lengths must be >= 0")
        kept = np.minimum(sel_len, budget) if budget > 0 else sel_len
        sel_start = starts[rows]
        bad = (kept > 0) & ((sel_start < 0) | (sel_start > n_vec - kept))
        if bad.any():
            raise ValueError(f"passage {int(rows[int(np.flatnonzero(bad)[0])])} spans vectors outside 0..{n_vec}")
    return Candidates(q, starts, lengths, rows, budget, kept, scores, argmax)


def _index_array(name: str, a: ArrayLike) -> NDArray[np.int64]:
    a = np.asarray(a)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.int64)
