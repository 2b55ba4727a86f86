"""Vector segments: append-only ``.npy`` files of float16 token vectors, read by memory map.

A segment is written under a temporary name, flushed to disk and renamed into place; only then does the
catalog reference it (in a committed transaction). A file the catalog does not reference is ignored by
readers and removed by the next writer. Names come from the catalog, so they are checked against the
pattern written here before they become paths (:mod:`.paths`).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..platform.messages import first_line
from .files import fsync_dir, save_array
from .paths import is_regular_file, is_segment_name, remove_own_entries, segment_name

SEGMENT_DIR = "segments"
STORAGE_DTYPE = np.float16


class SegmentDamaged(ValueError):
    """A segment the catalog references cannot be read as recorded; the message says why in plain words."""


def write_segment(folder: Path, vectors: NDArray[np.floating[Any]]) -> str:
    """Write ``vectors`` ([n, dim]) as float16 durably into ``folder`` (an index folder already checked by
    :func:`~.paths.index_folder`); returns the new file's name (not yet referenced)."""
    name = f"seg-{uuid.uuid4().hex}.npy"
    save_array(folder / name, np.asarray(vectors, dtype=STORAGE_DTYPE), f"{vectors.shape[0]:,} token vectors")
    fsync_dir(folder)
    return name


def read_segment(folder: Path, name: str, n_vectors: int | None = None, dim: int | None = None) -> NDArray[np.float16]:
    """Memory-map segment ``name`` read-only, checked against what the catalog recorded (``n_vectors``
    rows of ``dim``). Raises :class:`SegmentDamaged` for a file that is missing, empty, truncated, not a
    regular file or of another shape or dtype, and :class:`~.errors.UnsafeIndexError` for a name this
    program does not write."""
    path = folder / segment_name(name)
    if not is_regular_file(path):
        raise SegmentDamaged(
            f"vector segment {name} is missing"
            if not path.exists() and not path.is_symlink()
            else f"vector segment {name} is not a regular file"
        )
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise SegmentDamaged(f"vector segment {name} is missing") from None
    except (OSError, ValueError, EOFError) as exc:
        empty = path.stat().st_size == 0 if path.exists() else False
        raise SegmentDamaged(
            f"vector segment {name} " + ("is empty (0 bytes)" if empty else f"cannot be read ({first_line(exc)})")
        ) from None
    if arr.ndim != 2 or arr.dtype != STORAGE_DTYPE:
        raise SegmentDamaged(
            f"vector segment {name} has shape {arr.shape} and dtype {arr.dtype}; "
            f"expected [n, dim] {np.dtype(STORAGE_DTYPE).name}"
        )
    if (n_vectors is not None and arr.shape[0] != n_vectors) or (dim is not None and arr.shape[1] != dim):
        raise SegmentDamaged(
            f"vector segment {name} holds {arr.shape[0]}×{arr.shape[1]} vectors; the catalog recorded {n_vectors}×{dim}"
        )
    checked: NDArray[np.float16] = arr  # np.load is typed Any; its dtype was checked above
    return checked


def remove_unreferenced(folder: Path, referenced: set[str]) -> list[str]:
    """Delete segment files (and temporaries) the catalog does not reference. Writers only; names of
    any other shape are left alone."""
    return remove_own_entries(folder, is_segment_name, keep=referenced)
