"""Several vector segments seen as one packed array, without a copy.

An index on disk is a list of segments (``[n_s, dim]`` float16 memory maps, Lucene-style). A
:class:`SegmentedVectors` lays them end to end: global token row ``t`` is row ``t - bases[s]`` of the
segment ``s`` with ``bases[s] <= t < bases[s + 1]``. Everything that addresses tokens by global row
(passage ``starts``, centroid codes, residuals) keeps working; reading goes to the segment holding
the rows. A passage never spans two segments (each is written whole into one).

The exact stage scores candidates segment by segment (:func:`by_segment`): a kernel gets one
contiguous memory map at a time, and the scores land back in the candidates' order — identical to
scoring one packed array of the same passages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeAlias, TypeVar, overload

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .backends.base import CodedVectors, ExactBackend
from .packed import StoredVectors
from .ranking import sorted_unique

_S_co = TypeVar("_S_co", bound=np.generic, covariant=True)

# An integer, a slice, an integer array or a boolean mask: the keys SegmentedVectors answers.
RowKey: TypeAlias = int | np.integer[Any] | slice | NDArray[np.integer[Any]] | NDArray[np.bool_]


class SegmentedVectors(Generic[_S_co]):
    """``segments`` (2-D arrays of one dtype and width) as one read-only ``[Σ n_s, dim]`` array.

    Supports what the search reads: ``shape``, ``dtype``, ``ndim``, ``len``, and indexing by an int, a
    slice (a view when it stays in one segment) or an integer array (a gather, one piece per segment).
    The type parameter is the segments' dtype: float16 token vectors, uint8 packed residuals.
    """

    def __init__(self, segments: Sequence[NDArray[_S_co]]) -> None:
        if not segments:
            raise ValueError("SegmentedVectors needs at least one segment")
        dims = {s.shape[1] for s in segments}
        dtypes = {np.dtype(s.dtype) for s in segments}
        floats = all(np.issubdtype(d, np.floating) for d in dtypes)
        if any(s.ndim != 2 for s in segments) or len(dims) != 1 or (len(dtypes) != 1 and not floats):
            raise ValueError("segments must be 2-D arrays of one width and dtype (or all floating point)")
        self.segments = tuple(segments)
        self.bases = np.concatenate(([0], np.cumsum([s.shape[0] for s in segments]))).astype(np.int64)
        # float16 segments beside float32 ones (coded segments decode to float32) read as float32
        self.dtype = dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float32)
        self.shape = (int(self.bases[-1]), int(self.segments[0].shape[1]))
        self.ndim = 2

    def __len__(self) -> int:
        return self.shape[0]

    @overload
    def __array__(self, dtype: None = None, copy: bool | None = None) -> NDArray[_S_co]: ...
    @overload
    def __array__(self, dtype: DTypeLike, copy: bool | None = None) -> NDArray[Any]: ...

    def __array__(self, dtype: DTypeLike | None = None, copy: bool | None = None) -> NDArray[Any]:
        """The whole array, concatenated: what ``np.asarray`` gives (avoid on a large index)."""
        whole = np.concatenate(self.segments)
        return whole if dtype is None else whole.astype(dtype)

    def segment_of(self, rows: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
        """Index of the segment holding each global token row (int64, same shape)."""
        return np.searchsorted(self.bases, rows, side="right") - 1

    def __getitem__(self, key: RowKey) -> NDArray[_S_co]:
        if isinstance(key, (int, np.integer)):
            t = int(key) + (self.shape[0] if key < 0 else 0)
            s = int(self.segment_of(np.array([t]))[0])
            row: NDArray[_S_co] = self.segments[s][t - self.bases[s]]  # [dim]: NumPy types an int index as Any
            return row
        if isinstance(key, slice):
            start, stop, step = key.indices(self.shape[0])
            if step != 1:
                return self[np.arange(start, stop, step)]
            return self._range(start, stop)
        rows = np.asarray(key)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        return self._gather(rows.astype(np.int64, copy=False))

    def _range(self, start: int, stop: int) -> NDArray[_S_co]:
        if stop <= start:
            return self.segments[0][0:0]
        first, last = self.segment_of(np.array([start, stop - 1]))
        if first == last:  # the usual case: a passage, or a chunk inside one segment — a view
            b = self.bases[first]
            view: NDArray[_S_co] = self.segments[first][start - b : stop - b]
            return view
        return np.concatenate(
            [
                self.segments[s][max(start - self.bases[s], 0) : min(stop, self.bases[s + 1]) - self.bases[s]]
                for s in range(first, last + 1)
            ]
        )

    def _gather(self, rows: NDArray[np.int64]) -> NDArray[_S_co]:
        flat = rows.reshape(-1)
        out = np.empty((flat.shape[0], self.shape[1]), dtype=self.dtype)
        seg = self.segment_of(flat)
        for s in sorted_unique(seg):
            pick = seg == s
            out[pick] = self.segments[s][flat[pick] - self.bases[s]]
        return out.reshape(rows.shape + (self.shape[1],))


# What LateIndex.vectors holds: one stored array, coded rows read as vectors (a compact tier), or several
# segments' arrays end to end.
PackedVectors: TypeAlias = StoredVectors | CodedVectors | SegmentedVectors[np.float16 | np.float32]


def by_segment(
    vectors: PackedVectors, starts: NDArray[np.int64], rows: NDArray[np.int64]
) -> Iterator[tuple[StoredVectors | CodedVectors, NDArray[np.int64], NDArray[np.int64]]]:
    """Split candidate passage ``rows`` by the segment holding them: yields ``(segment array,
    positions in rows, local starts of those rows)``. A plain array is one segment."""
    rows = np.asarray(rows, dtype=np.int64)
    if not isinstance(vectors, SegmentedVectors):
        yield vectors, np.arange(rows.shape[0]), np.asarray(starts, dtype=np.int64)[rows]
        return
    global_starts = np.asarray(starts, dtype=np.int64)[rows]
    seg = vectors.segment_of(global_starts)
    for s in sorted_unique(seg):
        where = np.flatnonzero(seg == s)
        yield vectors.segments[s], where, global_starts[where] - vectors.bases[s]


def segmented_maxsim(
    backend: ExactBackend,
    query: NDArray[np.float32],
    vectors: PackedVectors,
    starts: NDArray[np.int64],
    lengths: NDArray[np.int64],
    rows: NDArray[np.int64],
    doc_budget: int = 0,
    want_argmax: bool = False,
) -> tuple[NDArray[np.float32], NDArray[np.int32] | None]:
    """``backend.maxsim`` where ``vectors`` may be a :class:`~workbench.core.segmented.SegmentedVectors`:
    the candidates of each segment are scored against that segment's own array (a kernel reads one
    contiguous memory map at a time, nothing is concatenated) and the results put back in ``rows``
    order. Same shapes, dtypes and scores as one packed array of the same passages."""
    if not isinstance(vectors, SegmentedVectors):
        return backend.maxsim(query, vectors, starts, lengths, rows, doc_budget, want_argmax)
    rows = np.asarray(rows, dtype=np.int64)
    scores = np.zeros(rows.shape[0], dtype=np.float32)
    argmax = np.full((rows.shape[0], query.shape[0]), -1, dtype=np.int32) if want_argmax else None
    for segment, where, local_starts in by_segment(vectors, starts, rows):
        s, a = backend.maxsim(
            query,
            segment,
            local_starts,
            np.asarray(lengths)[rows[where]],
            np.arange(where.shape[0], dtype=np.int64),
            doc_budget,
            want_argmax,
        )
        scores[where] = s
        if argmax is not None and a is not None:  # asked for, so every backend returned it
            argmax[where] = a
    return scores, argmax
