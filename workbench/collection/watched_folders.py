"""The folders an index follows, kept in its manifest so every program that opens it knows them, and
catching up with what changed in them (``sync`` for reported paths, ``rescan`` for everything after a
time nobody watched). Watching the file system itself is :mod:`.watch`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..store import IndexStore, canonical_path, display_path, fs_path_bytes
from .events import IngestEvent

WATCHED_KEY = "watched_folders"  # manifest: JSON list of the folders the index follows

Ingest = Callable[..., Iterator[IngestEvent]]  # Collection.iter_ingest(paths, quick=…)
Remove = Callable[[list[Path]], Iterator[IngestEvent]]  # removes documents, one event each


def watched_folders(store: IndexStore) -> list[Path]:
    """The folders the index at ``store`` follows (``[]`` when the manifest's list is unreadable)."""
    try:
        names = json.loads(store.manifest.get(WATCHED_KEY, "[]"))
    except ValueError:
        return []
    return [Path(n) for n in names if isinstance(n, str)] if isinstance(names, list) else []


def set_watched(store: IndexStore, folders: Iterable[str | Path], watched: bool = True) -> list[Path]:
    """Start (``watched``) or stop following ``folders``; returns the folders followed now. Raises
    ``ValueError`` for a path that is not a folder when starting."""
    current = watched_folders(store)
    for folder in folders:
        path = canonical_path(folder)
        if watched and not path.is_dir():
            raise ValueError(f"{display_path(path)} is not a folder; only folders can be watched")
        current = [p for p in current if p != path] + ([path] if watched else [])
    with store.writer():
        store.catalog.set_manifest(WATCHED_KEY, json.dumps([os.fsdecode(p) for p in current]))
    return current


def iter_sync(paths: Iterable[str | Path], ingest: Ingest, remove: Remove) -> Iterator[IngestEvent]:
    """Bring the index in line with ``paths`` that changed on disk: files (and folders) that exist are
    ingested — a renamed file keeps its passages — and documents at or under a path that is gone are
    removed (``removed`` events)."""
    paths = [Path(p) for p in paths]
    present = [p for p in paths if os.path.lexists(p)]
    if present:
        yield from ingest(present)
    gone = [p for p in paths if not os.path.lexists(p)]
    if gone:
        yield from remove(gone)


def iter_rescan(store: IndexStore, ingest: Ingest, remove: Remove) -> Iterator[IngestEvent]:
    """Catch up with what changed in the watched folders while nobody watched: new and changed files are
    ingested (files whose size and time are unchanged are not read), renamed ones keep their passages,
    and documents whose files are gone are removed. A watched folder that is missing altogether (an
    unplugged disk) keeps its documents and is reported as ``failed``."""
    folders = watched_folders(store)
    for folder in folders:
        if not folder.is_dir():
            yield IngestEvent(
                display_path(folder),
                "failed",
                0,
                0,
                "the watched folder is missing (an unplugged disk?); its documents are kept",
            )
    present = [f for f in folders if f.is_dir()]
    if not present:
        return
    yield from ingest(present, quick=True)
    prefixes = tuple(fs_path_bytes(f).rstrip(b"/") + b"/" for f in present)
    gone = [
        Path(os.fsdecode(d.path_bytes))
        for d in store.catalog.documents()
        if d.path_bytes.startswith(prefixes) and not os.path.lexists(os.fsdecode(d.path_bytes))
    ]
    if gone:
        yield from remove(gone)
