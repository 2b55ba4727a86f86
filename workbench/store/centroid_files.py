"""A :class:`CentroidIndex` on disk: one folder of ``.npy`` arrays, written whole or not at all.

The folder is written under a temporary name, flushed and renamed into place, so a reader sees the
previous complete version or the new one — never a mix. Large arrays are read back by memory map.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from ..core.centroids import CentroidIndex
from .files import save_array

_ARRAYS = {"centroids": np.float32, "codes": np.int32, "list_offsets": np.int64, "list_rows": np.int32}


def save_centroid_index(ci: CentroidIndex, folder: Path) -> None:
    """Write ``ci`` to ``folder`` (replacing what is there) durably and atomically."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".tmp-{folder.name}-{uuid.uuid4().hex}")
    tmp.mkdir()
    try:
        for name, dtype in _ARRAYS.items():
            save_array(tmp / f"{name}.npy", np.asarray(getattr(ci, name), dtype=dtype))
        old = None
        if folder.exists():
            old = folder.with_name(f".old-{folder.name}-{uuid.uuid4().hex}")
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_centroid_index(folder: Path) -> CentroidIndex:
    """Read a saved centroid index; a damaged or inconsistent folder raises ``ValueError`` saying why."""
    arrays = {}
    for name, dtype in _ARRAYS.items():
        try:
            a = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"centroid file {name}.npy in {folder} cannot be read ({exc})") from None
        if a.dtype != dtype:
            raise ValueError(f"centroid file {name}.npy holds {a.dtype}, expected {np.dtype(dtype).name}")
        arrays[name] = a
    c, offsets, rows = arrays["centroids"], arrays["list_offsets"], arrays["list_rows"]
    if (
        c.ndim != 2
        or offsets.shape != (c.shape[0] + 1,)
        or int(offsets[-1]) != rows.shape[0]
        or (offsets.shape[0] > 1 and np.any(np.diff(offsets) < 0))
    ):
        raise ValueError(f"the centroid files in {folder} do not fit together; rebuild them")
    # Stage 1 reads the lists at random: keep them in memory (a cold memory map made each probe a disk
    # seek: 850 ms vs 45 ms per query at 10⁶ passages); codes are read in order and may stay mapped.
    return CentroidIndex(np.asarray(c), arrays["codes"], np.array(offsets), np.array(rows))
