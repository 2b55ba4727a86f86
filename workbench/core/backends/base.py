"""The executor interface every backend implements: exact MaxSim over candidate passage rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ..packed import StoredVectors


@runtime_checkable
class ResidualCoding(Protocol):
    """What a kernel needs of a residual codec (:class:`~workbench.core.residuals.ResidualCodec`, which the
    backends do not import: it sits above them)."""

    @property
    def nbits(self) -> int:
        """Residual bits per dimension."""
        ...

    def kernel_table(self) -> NDArray[np.float32]:
        """float32 ``[16 + 2·dim]``: the bucket weights padded to 16, each dimension's scale, then its shift."""
        ...


@runtime_checkable
class CodedVectors(Protocol):
    """Residual-coded token vectors (:class:`~workbench.core.residual_vectors.ResidualVectors`): uint8 ``coded``
    ``[T, 4 + dim·nbits/8]`` rows (an int32 centroid code, then the packed residual), float32 ``centroids``
    ``[K, dim]`` and their ``codec``; read by row they decode to float32."""

    # read-only properties, so that a class holding a ResidualCodec (a ResidualCoding) matches
    @property
    def coded(self) -> NDArray[np.uint8]: ...
    @property
    def centroids(self) -> NDArray[np.float32]: ...
    @property
    def codec(self) -> ResidualCoding: ...
    @property
    def shape(self) -> tuple[int, int]: ...
    @property
    def dtype(self) -> np.dtype[np.float32]: ...
    @property
    def ndim(self) -> int: ...

    def __getitem__(self, key: Any) -> NDArray[np.float32]:
        """Rows decoded, float32 ``[…, dim]``."""
        ...


class BackendUnavailable(RuntimeError):
    """A backend was asked for that cannot run here; the message says why and how to fix it."""


class ExactBackend(Protocol):
    name: str

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
        """Exact MaxSim of ``query`` (float32 ``[nq, dim]``) against passage ``rows`` (int64 ``[m]``).

        Passage ``r`` owns ``vectors[starts[r]:starts[r]+lengths[r]]``; only its first ``doc_budget``
        vectors count (0 = all). Returns float32 scores ``[m]`` and, if asked, int32 ``[m, nq]`` argmax
        positions within each passage.
        """
        ...
