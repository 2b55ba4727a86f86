"""Durable file writes shared by the store: write under a fresh temporary name, flush, rename into place.

The temporary file is created exclusively (``O_EXCL``, a random name), so a link planted under a
predictable name can never redirect the write to a file outside the index.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

from .paths import TEMPORARY_PREFIX


def _replace_durably(path: Path, write: Callable[[BinaryIO], None]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_array(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as ``.npy`` (never pickled) to ``path`` durably: a reader sees the whole file or
    the previous one."""
    _replace_durably(path, lambda fh: np.save(fh, np.ascontiguousarray(array), allow_pickle=False))


def write_json(path: Path, data: dict) -> None:
    """Replace ``path`` with ``data`` as JSON in one rename."""
    _replace_durably(path, lambda fh: fh.write(json.dumps(data).encode()))


def fsync_dir(folder: Path) -> None:
    """Make renames inside ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
