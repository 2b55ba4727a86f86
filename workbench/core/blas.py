"""Small matrix products on one BLAS thread.

The OpenBLAS in the lock file (run as ``OPENBLAS_CORETYPE=Haswell`` on these machines) takes 8–15 ms
to wake its threads for a product as small as ``[16, 128] × [128, 2048]`` (4 MFLOP, 0.1 ms on one
thread) — measured with and without ``OPENBLAS_THREAD_TIMEOUT``. Stage-1 products are that small, so
they run with BLAS limited to one thread; big products (the NumPy reference's exact stage) keep all.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import numpy  # noqa: F401  (loads NumPy's BLAS, which the controller must see)
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]  # ships no type hints

# Made at import (≈10 ms: it inspects the loaded libraries) so no search pays for it inside a stage.
_CONTROLLER = ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[object, None]:
    """``with one_blas_thread(): small @ product`` — BLAS runs single-threaded inside the block (the
    previous limits come back on leaving it; exceptions pass through)."""
    limiter: AbstractContextManager[object, None] = _CONTROLLER.limit(limits=1, user_api="blas")
    return limiter
