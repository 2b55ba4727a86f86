"""Removing documents: their passages become tombstones (Lucene's deletes), merged away later."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ..store import IndexStore, canonical_path, fs_path_bytes
from .errors import plain_disk_full
from .events import IngestEvent
from .maintenance import Maintenance


def remove_documents(store: IndexStore, paths: Iterable[str | Path], maintenance: Maintenance | None) -> dict[str, int]:
    """Tombstone the passages of each path (files, or every indexed file under a folder); returns the
    passages removed per document path. A segment heavy with tombstones is then rewritten without them:
    by ``maintenance`` on its thread when given, here otherwise. Raises
    :class:`~workbench.store.DiskFull` when the disk cannot hold the rewrite (the removal itself is
    committed)."""
    removed: dict[str, int] = {}
    with store.writer():
        for p in paths:
            prefix = fs_path_bytes(canonical_path(p))
            for doc in store.catalog.documents():
                if doc.path_bytes == prefix or doc.path_bytes.startswith(prefix.rstrip(b"/") + b"/"):
                    removed[doc.path] = store.catalog.remove_document(doc.path_bytes)
        if maintenance is not None:
            maintenance.start()
        else:
            try:
                store.maybe_merge()
            except OSError as exc:  # the removal is committed; only the space may not be reclaimed yet
                raise plain_disk_full(store, exc, "the index without the removed documents")  # noqa: B904 — may be exc
    return removed


def removed_events(removed: dict[str, int]) -> Iterator[IngestEvent]:
    """One ``removed`` event per document of a :func:`remove_documents` result, by path."""
    for i, (path, n) in enumerate(sorted(removed.items()), 1):
        yield IngestEvent(path, "removed", i, len(removed), f"{n} passages removed", n)
