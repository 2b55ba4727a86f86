"""The NumPy reference backend: exact MaxSim written for clarity, the yardstick for every other executor.

Candidates are processed in chunks: their kept token vectors are gathered into one float32 block, one
matrix product gives every query-token × document-token similarity, and ``np.maximum.reduceat`` takes
each passage's per-query-token maximum. Scores are the sum of those maxima.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..budgets import kept_counts
from ..packed import StoredVectors, gather_indices, token_chunks
from .base import CodedVectors

NAME = "numpy-reference"
CHUNK_TOKENS = 1 << 16  # keeps the float32 block and similarity matrix in a few MB


class NumpyReferenceBackend:
    name = NAME

    def maxsim(
        self,
        query: NDArray[np.float32],
        vectors: StoredVectors | CodedVectors,
        starts: NDArray[np.int64],
        lengths: NDArray[np.int64],
        rows: NDArray[np.int64],
        doc_budget: int = 0,
        want_argmax: bool = False,
    ) -> tuple[NDArray[np.float32], NDArray[np.int32] | None]:
        q = np.ascontiguousarray(query, dtype=np.float32)
        rows = np.asarray(rows, dtype=np.int64)
        m, nq = rows.shape[0], q.shape[0]
        scores = np.zeros(m, dtype=np.float32)
        argmax = np.full((m, nq), -1, dtype=np.int32) if want_argmax else None
        kept = kept_counts(lengths[rows], doc_budget)
        for i, j in token_chunks(kept, CHUNK_TOKENS):
            self._score_chunk(
                q, vectors, starts[rows[i:j]], kept[i:j], scores[i:j], None if argmax is None else argmax[i:j]
            )
        return scores, argmax

    @staticmethod
    def _score_chunk(
        q: NDArray[np.float32],
        vectors: StoredVectors | CodedVectors,
        starts: NDArray[np.int64],
        kept: NDArray[np.int64],
        out: NDArray[np.float32],
        argmax_out: NDArray[np.int32] | None,
    ) -> None:
        live = kept > 0  # an empty passage scores 0 (reduceat cannot express an empty segment)
        if not live.any():
            return
        starts, kept = starts[live], kept[live]
        block = np.asarray(vectors[gather_indices(starts, kept)], dtype=np.float32)
        sims = q @ block.T  # [nq, tokens in chunk]
        seg = np.concatenate(([0], np.cumsum(kept)[:-1]))
        out[live] = np.maximum.reduceat(sims, seg, axis=1).sum(axis=0)
        if argmax_out is not None:
            live_rows = np.flatnonzero(live)
            for k, (s, n) in enumerate(zip(seg, kept)):
                argmax_out[live_rows[k]] = sims[:, s : s + n].argmax(axis=1)
