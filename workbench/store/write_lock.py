"""``write.lock``: one writing process per index, by an advisory ``flock`` that readers never take."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path

from .errors import IndexFormatError, IndexReadOnly, UnsafeIndexError

LOCK_FILE = "write.lock"


def take_write_lock(root: Path) -> int:
    """Lock ``root``'s ``write.lock`` exclusively, without waiting; returns the descriptor holding the lock
    (closing it releases the lock). Raises :class:`~.errors.IndexFormatError` when another process is
    writing, and what :func:`_open_lock` raises."""
    fd = _open_lock(root / LOCK_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise IndexFormatError(f"another process is writing to {root}; wait for it to finish") from None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_lock(path: Path) -> int:
    """The lock file's descriptor, opened without following a link or blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO):
            raise UnsafeIndexError(f"{path} is a symbolic link or a FIFO, not the index's lock file") from None
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise IndexReadOnly(path.parent) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafeIndexError(f"{path} is not a regular file, not the index's lock file")
    return fd
