"""``meta.json`` of a centroid version: the facts of its training and what was coded against it since; and
why a new version is due (:class:`TrainingReason`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict, TypeGuard

from ..core.residuals import BITS
from .json_fields import is_count, is_finite_number
from .paths import is_regular_file


class CentroidMeta(TypedDict, total=False):
    """What :meth:`~.centroid_store.CentroidStore.train` writes: ``n_centroids``, ``trained_vectors`` and
    ``dim`` (positive), ``mean_cosine`` of held-out vectors to their centroids, ``residual_bits`` (``None``
    or absent: no residuals), and ``added``: ``[vectors, mean cosine]`` per segment coded since. Empty
    (``{}``) where there is no usable version; one that passed :func:`read_meta` holds the first four."""

    n_centroids: int
    trained_vectors: int
    dim: int
    mean_cosine: float
    residual_bits: int | None
    added: list[list[float]]


@dataclass(frozen=True)
class TrainingReason:
    """Why the centroids are (re)trained: ``kind`` — ``first`` (none yet), ``damaged`` (the current set is
    unusable), ``grown`` (the collection outgrew it) or ``drift`` (new vectors sit farther from their
    centroids) — and ``detail``, the same with its figures in one line (what ``str()`` gives)."""

    kind: Literal["first", "damaged", "grown", "drift"]
    detail: str

    def __str__(self) -> str:
        return self.detail


def read_meta(path: Path) -> CentroidMeta:
    """The ``meta.json`` at ``path``; ``{}`` when unreadable or holding other than what training writes."""
    try:
        meta = json.loads(path.read_text()) if is_regular_file(path) else {}
    except (OSError, ValueError):
        return {}
    return meta if _valid_meta(meta) else {}


def _valid_meta(meta: object) -> TypeGuard[CentroidMeta]:
    """``meta.json`` as :meth:`~.centroid_store.CentroidStore.train` writes it: positive counts, finite cosines."""
    return (
        isinstance(meta, dict)
        and is_count(meta.get("n_centroids"))
        and is_count(meta.get("trained_vectors"))
        and is_count(meta.get("dim"))
        and is_finite_number(meta.get("mean_cosine"))
        and meta.get("residual_bits") in BITS + (None,)
        and isinstance(meta.get("added", []), list)
        and all(
            isinstance(a, list) and len(a) == 2 and is_finite_number(a[0]) and is_finite_number(a[1])
            for a in meta.get("added", [])
        )
    )
