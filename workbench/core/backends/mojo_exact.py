"""The Mojo exact CPU backend: the same MaxSim as the reference, executed by the kernel in ``mojo_kernels/``.

The compiled library is loaded by :mod:`.mojo_kernel` through ctypes; it reads the packed vectors in
place (float16 or float32), releases the GIL and spreads candidates over the cores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .base import BackendUnavailable

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
        vectors: StoredVectors,
        starts: NDArray[np.int64],
        lengths: NDArray[np.int64],
        rows: NDArray[np.int64],
        doc_budget: int = 0,
        want_argmax: bool = False,
    ) -> tuple[NDArray[np.float32], NDArray[np.int32] | None]:
        return self._kernel.maxsim_scores(
            np.ascontiguousarray(query, dtype=np.float32),
            vectors,
            starts,
            lengths,
            np.asarray(rows, dtype=np.int64),
            doc_budget=doc_budget,
            want_argmax=want_argmax,
        )
