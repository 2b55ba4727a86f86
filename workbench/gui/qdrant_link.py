"""The Qdrant collection the compare view runs beside the local backends (the cluster extra's executor).

One client per target, opened on first use on a worker thread and used by one job at a time: Qdrant's
local mode keeps its folder locked by the client that opened it, and is not meant for concurrent calls.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator

from ..collection import Collection
from ..core import LateIndex, LateQuery, PassageFilter, SearchPlan, SearchResult
from .workers import CancelToken, until_cancelled


def qdrant_missing() -> str | None:
    """Why the Qdrant executor cannot run here (its package is not installed), or ``None``."""
    if importlib.util.find_spec("qdrant_client") is not None:
        return None
    from ..cluster import EXTRA_HINT

    return f"Qdrant needs the cluster extra: {EXTRA_HINT}"


class QdrantLink:
    """``target``: a Qdrant URL (``http(s)://…``) or a local-mode folder; ``collection``: the collection
    the index was exported to (``workbench export``, or :meth:`sync_steps`)."""

    def __init__(self, target: str, collection: str) -> None:
        self.target, self.collection = target, collection
        self._client = None
        self._lock = threading.Lock()

    def _connected(self):
        if self._client is None:
            from ..cluster.qdrant_schema import connect

            self._client = connect(self.target)
        return self._client

    def search(self, query: LateQuery, index: LateIndex, plan: SearchPlan, where: PassageFilter | None) -> SearchResult:
        """``plan`` on the collection (see :func:`~workbench.cluster.qdrant_search.qdrant_search`); raises
        ``ValueError`` for a plan Qdrant cannot run as named or a collection that is out of sync."""
        from ..cluster.qdrant_search import qdrant_search

        with self._lock:
            client = self._connected()
            if not client.collection_exists(self.collection):
                raise ValueError(
                    f"{self.target} has no collection {self.collection!r}: press Sync to export the index to it"
                )
            return qdrant_search(query, index, client, self.collection, plan, where)

    def sync_steps(self, coll: Collection, token: CancelToken) -> Iterator[tuple[int, int]]:
        """Export or bring the collection up to date with ``coll``'s live passages, yielding ``(points
        sent, points to send)`` per batch; returns the :class:`~workbench.cluster.qdrant_export.ExportReport`,
        or ``None`` when cancelled (what was sent stays: the next sync sends the rest)."""
        from ..cluster.qdrant_export import iter_export

        with self._lock:
            client = self._connected()
            return (yield from until_cancelled(iter_export(coll, client, self.collection), token, lambda step: step))

    def close(self) -> None:
        """Release the client (and a local-mode folder's lock); the next call connects again."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
