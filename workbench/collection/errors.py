"""The facade's errors in plain words: an index written by other weights, and a full disk that says what
the index kept."""

from __future__ import annotations

from ..store import DiskFull, IndexFormatError, IndexStore, is_disk_full


class EncoderMismatch(IndexFormatError):
    """The index was written by other weights than the encoder at hand."""


def plain_disk_full(store: IndexStore, exc: OSError, what: str) -> OSError:
    """What to raise for ``exc``: a full disk as a :class:`~workbench.store.DiskFull` that says how many
    documents the index keeps (``what``: what was being written); any other error as it is."""
    if not is_disk_full(exc):
        return exc
    full = exc if isinstance(exc, DiskFull) else DiskFull(store.root, what)
    full.__suppress_context__ = True  # one plain line: the OSError behind it adds nothing
    try:
        full.kept_documents = store.catalog.counts()["documents"]
    except Exception:  # noqa: BLE001 — the count is a courtesy; the disk-full message must get out
        pass
    return full
