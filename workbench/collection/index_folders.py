"""What a folder is to the index: one already, a place where one may be made, or neither — asked before
a collection is opened or created (the New index… and Open index… dialogs, the CLI's ``--index``)."""

from __future__ import annotations

from pathlib import Path

from ..store import IndexFormatError, IndexStore


def is_index(folder: Path) -> bool:
    """Whether ``folder`` holds an index (a catalog with its manifest)."""
    return IndexStore.is_created(folder)


def check_creatable(folder: Path) -> None:
    """Raise :class:`~workbench.store.IndexFormatError` (``UnsafeIndexError``) unless ``folder`` is
    missing or empty: an index never moves into a folder holding someone else's files."""
    IndexStore.check_creatable(folder)


def needs_creating(folder: Path) -> bool:
    """``False`` when ``folder`` holds an index already, ``True`` when a new one may be made there; raises
    as :func:`check_creatable` when the folder holds someone else's files."""
    return IndexStore.needs_creating(folder)


def index_folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be opened as an index (the store's own words), or ``None`` if it can."""
    try:
        store = IndexStore.open(folder, read_only=True)
    except (IndexFormatError, OSError) as exc:
        return str(exc)
    store.catalog.close()
    return None
