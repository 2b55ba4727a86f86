"""How a document's file is named: one canonical path, its exact file-system bytes (the catalog's key),
and its text for people."""

from __future__ import annotations

import os
from pathlib import Path


def canonical_path(path: str | Path) -> Path:
    """The one name a document is known by: absolute, ``~`` expanded, ``..`` and links resolved (so
    ``d/../d/a.pdf`` and a link to ``a.pdf`` are the same document)."""
    return Path(os.path.realpath(os.path.expanduser(path)))


def fs_path_bytes(path: Path) -> bytes:
    return os.fsencode(path)


def display_path(path: Path) -> str:
    """The path as text for people; bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(path).decode("utf-8", errors="replace")
