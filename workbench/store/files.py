"""Durable file writes shared by the store: write under a temporary name, flush, rename into place."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


def save_array(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as ``.npy`` (never pickled) to ``path`` durably: a reader sees the whole file or
    the previous one."""
    tmp = path.with_name(f".tmp-{path.name}")
    with open(tmp, "wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json(path: Path, data: dict) -> None:
    """Replace ``path`` with ``data`` as JSON in one rename."""
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def fsync_dir(folder: Path) -> None:
    """Make renames inside ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
