"""Export an index to a Qdrant collection, and keep it in sync: :func:`iter_export`.

A sync compares the passage ids live in the index with the point ids in the collection — the collection
itself is the record of what was exported, so an export that stopped half-way (a broken connection, a
killed process), or points someone removed by hand, are simply found missing and sent again. Passage ids
are stable and a passage never changes under its id (a changed file gets new passages), so the id sets
are all a sync needs: points of removed passages are deleted, new passages are upserted.

Uploads go in batches; a batch that fails is retried with a growing pause, and when the connection stays
broken the error says how far it got and that running ``export`` again resumes from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np

from ..collection import Collection
from . import require
from .qdrant_schema import PROXY, TOKENS, ensure_collection, payload

BATCH = 256  # points per upsert request
RETRIES = (0.5, 2.0, 8.0)  # pauses (s) before retrying a failed batch
SCROLL_PAGE = 10_000


@dataclass(frozen=True)
class ExportReport:
    """What one export did: points ``upserted`` and ``deleted``, ``kept`` (already there), and the
    collection's point count after it (``points``: the live passages of the index)."""

    collection: str
    created: bool
    upserted: int
    deleted: int
    kept: int
    points: int


def exported_ids(client, name: str) -> set[int]:
    """Every point id in collection ``name`` (scrolled without payload or vectors)."""
    ids: set[int] = set()
    offset = None
    while True:
        points, offset = client.scroll(name, limit=SCROLL_PAGE, offset=offset, with_payload=False, with_vectors=False)
        ids.update(int(p.id) for p in points)
        if offset is None:
            return ids


def iter_export(
    coll: Collection, client, name: str, batch: int = BATCH, sleep: Callable[[float], None] = time.sleep
) -> Generator[tuple[int, int], None, ExportReport]:
    """Sync collection ``name`` with the live passages of ``coll``; yields ``(points sent, points to
    send)`` after each batch; returns an :class:`ExportReport`. Raises ``ConnectionError`` (with how far it
    got) when a batch still fails after :data:`RETRIES`, and ``ValueError`` for a collection of another shape."""
    models = require("qdrant_client.models", "the Qdrant export")
    index = coll.late_index()
    created = ensure_collection(client, name, index.dim)
    there = exported_ids(client, name)
    live = index.passage_ids
    gone = sorted(there - set(live.tolist()))
    todo = np.flatnonzero(~np.isin(live, np.fromiter(there, dtype=np.int64, count=len(there))))
    if gone:
        _with_retries(
            lambda: client.delete(name, points_selector=models.PointIdsList(points=gone)),
            sleep,
            f"deleting {len(gone)} removed passages",
        )
    mtimes = {d.id: d.mtime for d in coll.documents()}
    proxies = index.proxy_vectors(0)
    sent = 0
    for start in range(0, todo.shape[0], batch):
        rows = todo[start : start + batch]
        infos = index.describe(index.passage_ids[rows].tolist())
        points = [
            models.PointStruct(
                id=int(info.passage_id),
                payload=payload(info, mtimes.get(info.document_id)),
                vector={TOKENS: index.passage_vectors(int(r)).tolist(), PROXY: proxies[int(r)].tolist()},
            )
            for r, info in zip(rows.tolist(), infos)
        ]
        _with_retries(
            lambda: client.upsert(name, points=points, wait=True),  # noqa: B023 — called here
            sleep,
            f"uploading passages {sent + 1}–{sent + len(points)} of {todo.shape[0]}",
        )
        sent += len(points)
        yield sent, int(todo.shape[0])
    count = client.count(name, exact=True).count
    return ExportReport(name, created, int(todo.shape[0]), len(gone), len(there) - len(gone), int(count))


def _transient_errors() -> tuple[type[BaseException], ...]:
    """What a broken link raises through qdrant-client: socket errors, httpx transport errors, and
    qdrant-client's wrapper of them (a server's 4xx answer is not among them: retrying would not help)."""
    import httpx
    from qdrant_client.http.exceptions import ResponseHandlingException

    return OSError, httpx.TransportError, ResponseHandlingException


def _with_retries(call: Callable[[], object], sleep: Callable[[float], None], what: str) -> None:
    transient = _transient_errors()
    for pause in (*RETRIES, None):
        try:
            call()
            return
        except transient as exc:
            if pause is None:
                raise ConnectionError(
                    f"Qdrant did not answer while {what} ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0][:160] if str(exc) else ''}); what was "
                    "uploaded is kept: run the same export again to resume"
                ) from exc
            sleep(pause)
