"""The executor interface every backend implements: exact MaxSim over candidate passage rows."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class BackendUnavailable(RuntimeError):
    """A backend was asked for that cannot run here; the message says why and how to fix it."""


class ExactBackend(Protocol):
    name: str

    def maxsim(self, query: np.ndarray, vectors: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
               rows: np.ndarray, doc_budget: int = 0,
               want_argmax: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Exact MaxSim of ``query`` (float32 ``[nq, dim]``) against passage ``rows`` (int64 ``[m]``).

        Passage ``r`` owns ``vectors[starts[r]:starts[r]+lengths[r]]``; only its first ``doc_budget``
        vectors count (0 = all). Returns float32 scores ``[m]`` and, if asked, int32 ``[m, nq]`` argmax
        positions within each passage.
        """
        ...


def segmented_maxsim(backend: ExactBackend, query: np.ndarray, vectors, starts: np.ndarray, lengths: np.ndarray,
                     rows: np.ndarray, doc_budget: int = 0,
                     want_argmax: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """``backend.maxsim`` where ``vectors`` may be a :class:`~workbench.core.segmented.SegmentedVectors`:
    the candidates of each segment are scored against that segment's own array (a kernel reads one
    contiguous memory map at a time, nothing is concatenated) and the results put back in ``rows``
    order. Same shapes, dtypes and scores as one packed array of the same passages."""
    from ..segmented import SegmentedVectors, by_segment
    if not isinstance(vectors, SegmentedVectors):
        return backend.maxsim(query, vectors, starts, lengths, rows, doc_budget, want_argmax)
    rows = np.asarray(rows, dtype=np.int64)
    scores = np.zeros(rows.shape[0], dtype=np.float32)
    argmax = np.full((rows.shape[0], query.shape[0]), -1, dtype=np.int32) if want_argmax else None
    for segment, where, local_starts in by_segment(vectors, starts, rows):
        s, a = backend.maxsim(query, segment, local_starts, np.asarray(lengths)[rows[where]],
                              np.arange(where.shape[0], dtype=np.int64), doc_budget, want_argmax)
        scores[where] = s
        if argmax is not None:
            argmax[where] = a
    return scores, argmax
