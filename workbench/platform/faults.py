"""Fault points: named moments of the writers' steps where the faults harness (``benchmarks/faults.py``)
kills the process or fills the disk, to show that no moment loses a committed passage.

``KAYAK_FAULT=<step>:kill`` (SIGKILL, as ``kill -9``) or ``KAYAK_FAULT=<step>:enospc`` (an ``OSError``
ENOSPC, as a full disk raises) arms one step of :data:`STEPS` in a child process the harness starts.
Unarmed — always, outside the harness — a fault point reads one environment variable and returns, as
SQLite's and Lucene's test hooks stay in their shipped code.
"""

from __future__ import annotations

import errno
import os
import signal

ENV = "KAYAK_FAULT"
# Every step a fault point marks, in the order a writer meets them.
STEPS = {
    "ingest.segment-written": "a new segment's file is on disk, the catalog does not reference it yet",
    "ingest.committed": "the documents are committed; codes, lists, merges and training are still to come",
    "lists.written": "a segment's inverted lists were just written (derived data)",
    "remove.tombstoned": "a document's passages are tombstoned inside the uncommitted transaction",
    "merge.segment-written": "the merged segment is on disk, the old ones still referenced",
    "merge.lists-written": "the merged segment's lists are written, the catalog not switched yet",
    "merge.committed": "the catalog points at the merged segment; the old files are not deleted yet",
    "centroids.version-written": "a new centroid version's folder is in place, the manifest names the old one",
    "centroids.manifest-set": "the manifest names the new centroid version; old versions not removed yet",
    "convert.segments-written": "a conversion's new segment files are written, none referenced",
    "convert.committed": "the conversion is committed; the old segment files are not deleted yet",
}


def fault_point(step: str) -> None:
    """Kill this process, or raise ``OSError(ENOSPC)``, when the harness armed ``step`` (else nothing)."""
    armed = os.environ.get(ENV)
    if not armed:
        return
    name, _, what = armed.partition(":")
    if name != step:
        return
    if what == "enospc":
        raise OSError(errno.ENOSPC, f"No space left on device (injected at {step})")
    os.kill(os.getpid(), signal.SIGKILL)
