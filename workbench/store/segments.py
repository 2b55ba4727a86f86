"""Vector segments: append-only ``.npy`` files of float16 token vectors, read by memory map.

A segment is written under a temporary name, flushed to disk and renamed into place; only then does the
catalog reference it (in a committed transaction). A file the catalog does not reference is ignored by
readers and removed by the next writer.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np

from .files import fsync_dir, save_array

SEGMENT_DIR = "segments"
STORAGE_DTYPE = np.float16


def write_segment(folder: Path, vectors: np.ndarray) -> str:
    """Write ``vectors`` ([n, dim]) as float16 durably; returns the new file's name (not yet referenced)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"seg-{uuid.uuid4().hex}.npy"
    save_array(folder / name, np.asarray(vectors, dtype=STORAGE_DTYPE))
    fsync_dir(folder)
    return name


def read_segment(folder: Path, name: str) -> np.ndarray:
    """Memory-map a segment read-only; a damaged file raises ``ValueError`` naming it."""
    if "/" in name or name.startswith("."):
        raise ValueError(f"refusing segment name {name!r}")
    try:
        arr = np.load(folder / name, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"vector segment {name} cannot be read ({exc})") from None
    if arr.ndim != 2 or arr.dtype != STORAGE_DTYPE:
        raise ValueError(f"vector segment {name} has shape {arr.shape} and dtype {arr.dtype}; "
                         f"expected [n, dim] {np.dtype(STORAGE_DTYPE).name}")
    return arr


def remove_unreferenced(folder: Path, referenced: set[str]) -> list[str]:
    """Delete segment files (and temporaries) the catalog does not reference. Writers only."""
    removed = []
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.name not in referenced and (entry.name.startswith(".tmp-") or entry.suffix == ".npy"):
                entry.unlink(missing_ok=True)
                removed.append(entry.name)
    return removed
