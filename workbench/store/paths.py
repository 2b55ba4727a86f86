"""Paths inside an index folder: the only way the store turns a name into a path.

A crafted index (sent by someone, or unpacked from an archive) must not make this program delete,
write or read anything outside its folder. So every name that comes from the catalog (a segment file,
the centroid version) must match the pattern this program writes before it becomes a path; the
index's own folders and files are never followed through a symbolic link; only regular files are
read (a FIFO would block a reader forever); and cleaning up only ever touches names of our own shape.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable, Set
from pathlib import Path
from typing import Literal, overload

from .errors import UnsafeIndexError

SEGMENT_NAME = re.compile(r"seg-[0-9a-f]{32}(\.c[24])?\.npy")  # .c4/.c2: coded rows of a compact tier
CENTROID_VERSION = re.compile(r"v-[0-9a-f]{12}")
TEMPORARY_PREFIX = ".tmp-"


def is_segment_name(name: object) -> bool:
    return isinstance(name, str) and SEGMENT_NAME.fullmatch(name) is not None


def is_centroid_version(name: object) -> bool:
    return isinstance(name, str) and CENTROID_VERSION.fullmatch(name) is not None


def segment_name(name: object) -> str:
    """``name`` if it is a segment file name this program writes; else :class:`UnsafeIndexError`."""
    if not is_segment_name(name):
        raise UnsafeIndexError(
            f"the catalog names a vector segment {name!r}, which is not a file name this "
            "program writes; refusing to use it as a path (the index was altered by hand "
            "or by another program)"
        )
    return name  # type: ignore[return-value]


@overload
def index_folder(parent: Path, name: str, create: Literal[True]) -> Path: ...
@overload
def index_folder(parent: Path, name: str, create: bool = False) -> Path | None: ...


def index_folder(parent: Path, name: str, create: bool = False) -> Path | None:
    """``parent/name`` as a real folder (created when ``create``), ``None`` when absent.

    Raises :class:`UnsafeIndexError` when it is a symbolic link or not a folder: writing or cleaning up
    through it would touch files elsewhere.
    """
    path = parent / name
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if not create:
            return None
        path.mkdir(mode=0o755)
        return path
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeIndexError(
            f"{path} is a symbolic link (to {os.readlink(path)}); an index keeps its own "
            "files inside its folder, so it is not used through a link"
        )
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeIndexError(f"{path} should be a folder of the index but is not one")
    return path


def is_regular_file(path: Path) -> bool:
    """True for a regular file that is not a symbolic link (a FIFO, device or link is not read)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def check_not_special(path: Path) -> None:
    """Raise :class:`UnsafeIndexError` if ``path`` exists as anything but a regular file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file"
        raise UnsafeIndexError(f"{path} is {kind}; an index keeps its own regular files, so it is not opened")


def remove_own_entries(
    folder: Path, is_ours: Callable[[str], bool], keep: Set[str] = frozenset(), temporaries: bool = True
) -> list[str]:
    """Delete the entries of ``folder`` that ``is_ours(name)`` accepts (plus temporaries, unless
    ``temporaries`` is false: another thread may be writing them) and ``keep`` does not hold. Links are
    unlinked, never followed; folders are removed only when they are ours. Returns the names removed."""
    removed = []
    for entry in os.scandir(folder):
        temporary = temporaries and entry.name.startswith(TEMPORARY_PREFIX)
        if entry.name in keep or not (is_ours(entry.name) or temporary):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            os.unlink(entry.path)
        removed.append(entry.name)
    return removed
