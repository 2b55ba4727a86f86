"""Opening a user's file for reading as hostile input: regular files only, never blocking.

A FIFO named ``x.pdf`` would block ``open()`` until some other program writes to it (forever, while
the ingest holds the index's write lock); a device file could be read without end. So files are opened
non-blocking and checked with ``fstat`` on the open descriptor — the same object that is then read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from .errors import IngestError

NOT_REGULAR = "not a regular file (a FIFO, device or socket); skipped"


def is_regular(path: Path) -> bool:
    """True when ``path`` (following links) is a regular file."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for binary reading; :class:`IngestError` when it cannot be read or is not a
    regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise IngestError(f"could not be read ({exc.strerror or errno.errorcode.get(exc.errno, 'error')})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IngestError(NOT_REGULAR)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_capped(path: Path, where: ReadPosition, limit: int, what: str) -> bytes:
    """The whole of ``path`` (opened as :func:`open_regular` does) for a reader that needs all of it at once;
    :class:`IngestError` "too large to read as ``what`` (N MB)" beyond ``limit`` bytes, said before
    anything is read. ``where`` is kept at the bytes read."""
    with open_regular(path) as fh:
        where.size = os.fstat(fh.fileno()).st_size
        if where.size > limit:
            raise IngestError(
                f"too large to read as {what} ({where.size / (1 << 20):,.0f} MB; at most {limit >> 20} MB)"
            )
        data = fh.read(limit + 1)
    where.done = len(data)
    return data


class ReadPosition:
    """How far a reader that goes through a file once, front to back, has got: ``size`` and ``done``
    in bytes, set by the reader; :attr:`share` is what a progress bar shows for a big text or
    ``.jsonl`` file, which has no pages to count."""

    def __init__(self) -> None:
        self.size = 0
        self.done = 0

    @property
    def share(self) -> float | None:
        """``done / size`` in [0, 1]; ``None`` before the file is opened (or when it is empty)."""
        return min(1.0, self.done / self.size) if self.size else None
