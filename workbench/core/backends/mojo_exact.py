"""The Mojo exact CPU backend: the same MaxSim as the reference, executed by the kernel in ``mojo_kernels/``.

The compiled library is loaded by :mod:`.mojo_kernel` through ctypes; it reads the packed vectors in
place (float16 or float32), releases the GIL and spreads candidates over the cores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ..budgets import kept_counts
from ..packed import gather_indices
from .base import BackendUnavailable, CodedVectors

if TYPE_CHECKING:
    from ..packed import StoredVectors

NAME = "mojo-exact-cpu"


def status() -> tuple[bool, str]:
    """(available, reason) without raising."""
    try:
        from . import mojo_kernel
    except ImportError as exc:  # the loader module itself is missing from this build
        return False, f"the Mojo kernel loader is missing ({exc})"
    return mojo_kernel.kernel_status()


class MojoExactCpuBackend:
    name = NAME

    def __init__(self) -> None:
        ok, why = status()
        if not ok:
            raise BackendUnavailable(f"the Mojo exact CPU backend is not available: {why}")
        from . import mojo_kernel

        self._kernel = mojo_kernel

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
        if isinstance(vectors, CodedVectors):
            return self._residual_maxsim(query, vectors, starts, lengths, rows, doc_budget, want_argmax)
        return self._kernel.maxsim_scores(
            np.ascontiguousarray(query, dtype=np.float32),
            vectors,
            starts,
            lengths,
            np.asarray(rows, dtype=np.int64),
            doc_budget=doc_budget,
            want_argmax=want_argmax,
        )

    def _residual_maxsim(
        self,
        query: NDArray[np.float32],
        vectors: CodedVectors,
        starts: NDArray[np.int64],
        lengths: NDArray[np.int64],
        rows: NDArray[np.int64],
        doc_budget: int,
        want_argmax: bool,
    ) -> tuple[NDArray[np.float32], NDArray[np.int32] | None]:
        """MaxSim over residual-coded vectors: the kernel scores the packed codes of 2- and 4-bit residuals;
        other widths (not a storage tier) are decoded for the candidates and scored as float32."""
        from . import mojo_residual

        q = np.ascontiguousarray(query, dtype=np.float32)
        rows = np.asarray(rows, dtype=np.int64)
        if vectors.codec.nbits in mojo_residual.RQ_BITS:
            return mojo_residual.residual_maxsim_scores(
                q,
                vectors.coded,
                vectors.centroids,
                vectors.codec,
                starts,
                lengths,
                rows,
                doc_budget=doc_budget,
                want_argmax=want_argmax,
            )
        kept = kept_counts(np.asarray(lengths)[rows], doc_budget)
        block = vectors[gather_indices(np.asarray(starts)[rows], kept)]
        local = np.concatenate(([0], np.cumsum(kept)[:-1])).astype(np.int64)
        return self._kernel.maxsim_scores(q, block, local, kept, np.arange(rows.shape[0]), want_argmax=want_argmax)
