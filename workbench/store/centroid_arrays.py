"""The arrays of a centroid version on disk: reading its ``.npy`` files safely, recognising a segment's
``codes-``/``residuals-``/``lists-`` files, and joining per-segment parts into the arrays a search reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..core.segmented import SegmentedVectors
from .paths import is_regular_file, is_segment_name


def segment_part(name: str) -> str | None:
    """The segment of a ``codes-``, ``residuals-`` or ``lists-<segment>`` file name, if it is one."""
    kind, _, segment = name.partition("-")
    return segment if kind in ("codes", "residuals", "lists") and is_segment_name(segment) else None


def load_npy(path: Path, mmap_mode: Literal["r"] | None = None) -> NDArray[Any] | None:
    """An ``.npy`` file of the index (never unpickled; a link, FIFO or damaged file gives ``None``)."""
    if not is_regular_file(path):
        return None
    try:
        array: NDArray[Any] = np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    return array


def joined_codes(parts: list[NDArray[np.int32]]) -> NDArray[np.int32]:
    """The per-segment codes of float16 segments (4 bytes per token) as one array: a single segment's
    memory map as is, several concatenated."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.empty(0, np.int32)
    return np.concatenate(parts)


def joined_residuals(parts: list[NDArray[np.uint8]], width: int) -> NDArray[np.uint8] | SegmentedVectors[np.uint8]:
    """The per-segment packed residuals (``width`` bytes per token) as one array: a single segment's
    memory map as is, several laid end to end uncopied."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.empty((0, width), np.uint8)
    return SegmentedVectors(parts)
