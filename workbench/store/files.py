"""Durable file writes shared by the store: write under a fresh temporary name, flush, rename into place.

The temporary file is created exclusively (``O_EXCL``, a random name), so a link planted under a
predictable name can never redirect the write to a file outside the index.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .errors import DiskFull, is_disk_full
from .paths import TEMPORARY_PREFIX


@contextmanager
def _temporary_beside(path: Path, what: str, size: int | None) -> Iterator[tuple[int, str]]:
    """A new temporary file beside ``path`` (its descriptor and name), renamed to ``path`` when the block
    ends without error and removed otherwise. A full disk raises :class:`~.errors.DiskFull` naming ``what``
    and its ``size`` (bytes)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=path.parent)
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFull(path.parent, what, size) from None
        raise
    try:
        yield fd, tmp
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if is_disk_full(exc) or _short_write(exc):
            raise DiskFull(path.parent, what, size) from None
        raise


def _replace_durably(path: Path, write: Callable[[BinaryIO], object], what: str, size: int | None) -> None:
    """Write through ``write`` to a temporary file, flush it to disk and rename it to ``path``."""
    with _temporary_beside(path, what, size) as (fd, _), os.fdopen(fd, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())


def replace_by_name(path: Path, write: Callable[[Path], object], what: str) -> None:
    """Replace ``path`` durably with what ``write(tmp)`` writes into a new temporary file beside it, given
    by name (for writers that take a path, such as an ONNX exporter): flushed to disk and renamed, or
    removed on any error. Files the writer leaves beside ``tmp`` are its own to remove."""
    with _temporary_beside(path, what, None) as (fd, tmp):
        os.close(fd)
        write(Path(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())


def _short_write(exc: BaseException) -> bool:
    """NumPy's ``tofile`` reports a full disk as "N requested and M written", without an errno."""
    return isinstance(exc, OSError) and exc.errno is None and " requested and " in str(exc)


def save_array(path: Path, array: NDArray[Any], what: str = "") -> None:
    """Write ``array`` as ``.npy`` (never pickled) to ``path`` durably: a reader sees the whole file or
    the previous one. ``what`` names it in a full-disk message (default: the file's name)."""
    _replace_durably(
        path,
        lambda fh: np.save(fh, np.ascontiguousarray(array), allow_pickle=False),
        what or path.name,
        int(array.nbytes),
    )


def save_array_streaming(
    path: Path, shape: tuple[int, ...], dtype: DTypeLike, fill: Callable[[NDArray[Any]], None], what: str
) -> None:
    """Write a ``.npy`` of ``shape``/``dtype`` durably without holding it in memory: ``fill`` writes into a
    memory map of the new file a bounded chunk at a time (the page cache, not the process, holds what
    was written). The file's blocks are reserved first (``posix_fallocate``), so a full disk raises
    :class:`~.errors.DiskFull` naming ``what`` before anything is written — never a SIGBUS from a
    memory map the disk cannot back. The partial file is removed on any error."""
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    with _temporary_beside(path, what, size) as (fd, _), os.fdopen(fd, "r+b") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": tuple(shape)}
        )
        offset = fh.tell()
        fh.flush()
        os.posix_fallocate(fh.fileno(), 0, offset + size)
        if size:
            out = np.memmap(fh, dtype=dtype, mode="r+", offset=offset, shape=shape)
            fill(out)
            out.flush()
            del out
        os.fsync(fh.fileno())


def write_json(path: Path, data: Mapping[str, object]) -> None:
    """Replace ``path`` with ``data`` as JSON in one rename."""
    _replace_durably(path, lambda fh: fh.write(json.dumps(data).encode()), path.name, None)


def fsync_dir(folder: Path) -> None:
    """Make renames inside ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def tree_bytes(root: Path) -> int:
    """Bytes of the regular files under ``root`` (links are not followed, nor counted)."""
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            total += st.st_size if stat.S_ISREG(st.st_mode) else 0
    return total
