"""The executor interface every backend implements: exact MaxSim over candidate passage rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ..packed import StoredVectors


class BackendUnavailable(RuntimeError):
    """A backend was asked for that cannot run here; the message says why and how to fix it."""


class ExactBackend(Protocol):
    name: str

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
        """Exact MaxSim of ``query`` (float32 ``[nq, dim]``) against passage ``rows`` (int64 ``[m]``).

        Passage ``r`` owns ``vectors[starts[r]:starts[r]+lengths[r]]``; only its first ``doc_budget``
        vectors count (0 = all). Returns float32 scores ``[m]`` and, if asked, int32 ``[m, nq]`` argmax
        positions within each passage.
        """
        ...
