"""``relevance_floor.json`` in an index folder: the relevance floor learnt from the index, kept so that it is
learnt once (:mod:`workbench.collection.relevance_floor` decides when it is due again).

A cache derived from the index, not part of it: losing it costs one calibration, so it is written by
any process that can write the folder (a read-only search included) in one rename, and read
defensively — anything but a regular file of at most :data:`MAX_BYTES` holding exactly what
:func:`write_floor_record` writes (this :data:`FLOOR_VERSION`, finite numbers in range) reads as
``None`` and is learnt again, never trusted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TypedDict, TypeGuard

from .files import write_json
from .json_fields import is_count, is_finite_number
from .paths import is_regular_file

FLOOR_FILE = "relevance_floor.json"
FLOOR_VERSION = 1
MAX_BYTES = 64 * 1024  # the record is a few hundred bytes; a bigger file is not ours


class FloorRecord(TypedDict):
    """What :func:`write_floor_record` keeps: the ``floor`` (a mean cosine in [-1, 1]), the rule that
    learnt it (``method``), the nonsense queries it was learnt from (``samples``), the index's live
    ``passages`` and ``encoder`` identity then, and the ``seconds`` learning took."""

    version: int
    floor: float
    method: str
    samples: int
    passages: int
    encoder: str
    seconds: float


def read_floor_record(root: Path) -> FloorRecord | None:
    """The record in ``root``; ``None`` when it is missing, unreadable, too big, of another version or
    holding anything but what :func:`write_floor_record` writes."""
    path = root / FLOOR_FILE
    if not is_regular_file(path):
        return None
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
        record = json.loads(raw) if len(raw) <= MAX_BYTES else None
    except (OSError, ValueError):
        return None
    return record if _valid(record) else None


def write_floor_record(root: Path, record: FloorRecord) -> bool:
    """Replace ``root``'s record with ``record`` in one rename; ``False`` when the folder cannot be
    written (read-only media, no permission, a full disk): the caller keeps the floor in memory."""
    if not os.access(root, os.W_OK):
        return False
    try:
        write_json(root / FLOOR_FILE, dict(record))
    except OSError:
        return False
    return True


def _valid(record: object) -> TypeGuard[FloorRecord]:
    return (
        isinstance(record, dict)
        and set(record) == set(FloorRecord.__annotations__)
        and type(record["version"]) is int
        and record["version"] == FLOOR_VERSION
        and is_finite_number(record["floor"])
        and -1.0 <= record["floor"] <= 1.0
        and isinstance(record["method"], str)
        and is_count(record["samples"])
        and is_count(record["passages"])
        and isinstance(record["encoder"], str)
        and is_finite_number(record["seconds"])
        and record["seconds"] >= 0
    )
