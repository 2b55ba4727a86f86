"""The ``passages`` table: one row per passage, pointing at its token vectors in a segment.

A passage's id is stable (never reused or renumbered). Removing or replacing a document *tombstones* its
passages (``deleted = 1``, their text gone from the FTS5 tables); a merge deletes the tombstoned rows
of the segments it rewrites (:mod:`.segments`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...core import PassageInfo
from .lexical import forget_texts, index_text
from .sql import json_list, new_row_id

Box = tuple[float, float, float, float]


@dataclass
class NewPassage:
    """A passage to commit: ``page`` 1-based (``None`` for unpaged sources); ``tokens`` one string per
    token vector; ``boxes`` ``[x0, y0, x1, y1]`` in PDF points, one per line; ``vec_offset`` its first
    vector's row in the batch's vectors; ``source_key`` the record id inside the file (BEIR ``_id``, a
    mail message); ``location`` where it is in its format's terms (``""``: the page says it)."""

    page: int | None
    ordinal: int
    text: str
    tokens: list[str]
    boxes: list[list[float]]
    vec_offset: int
    source_key: str | None = None
    location: str = ""


def insert_passages(db: sqlite3.Connection, document_id: int, segment_id: int, passages: Sequence[NewPassage]) -> None:
    """Add ``passages`` of a document whose vectors lie in segment ``segment_id``, with their text."""
    for p in passages:
        pid = new_row_id(
            db.execute(
                "INSERT INTO passages (document_id, page, ordinal, source_key, text, tokens, boxes,"
                " n_tokens, segment_id, vec_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    document_id,
                    p.page,
                    p.ordinal,
                    p.source_key,
                    p.text,
                    json.dumps(p.tokens),
                    json.dumps(p.boxes),
                    len(p.tokens),
                    segment_id,
                    p.vec_offset,
                ),
            )
        )
        index_text(db, pid, p.text)
        if p.location:
            db.execute("INSERT INTO passage_locations (passage_id, location) VALUES (?, ?)", (pid, p.location))


def tombstone_document(db: sqlite3.Connection, document_id: int) -> int:
    """Tombstone a document's live passages; returns how many there were."""
    rows = db.execute("SELECT id, text FROM passages WHERE document_id = ? AND deleted = 0", (document_id,)).fetchall()
    db.execute("UPDATE passages SET deleted = 1 WHERE document_id = ?", (document_id,))
    forget_texts(db, rows)
    return len(rows)


def passage_infos(db: sqlite3.Connection, passage_ids: list[int]) -> dict[int, PassageInfo]:
    """:class:`PassageInfo` of those of ``passage_ids`` the catalog holds, by id (500 ids per query)."""
    found: dict[int, PassageInfo] = {}
    for start in range(0, len(passage_ids), 500):
        chunk = passage_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(
            "SELECT p.id, p.document_id, d.path, p.page, p.ordinal, p.text, p.tokens, p.boxes,"
            " p.source_key, g.label, g.source, l.location FROM passages p JOIN documents d ON d.id = p.document_id"
            " LEFT JOIN pages g ON g.document_id = p.document_id AND g.page = p.page"
            " LEFT JOIN passage_locations l ON l.passage_id = p.id"
            f" WHERE p.id IN ({marks})",
            chunk,
        ):
            found[row[0]] = _passage_info(row)
    return found


def _passage_info(row: tuple[Any, ...]) -> PassageInfo:
    """A catalog row as :class:`PassageInfo`; token and box lists that do not parse as the store writes
    them (a hand-edited catalog) become empty rather than raising mid-search."""
    tokens = json_list(row[6])
    boxes = [_box(b) for b in json_list(row[7])]
    kept = tuple(b for b in boxes if b is not None)
    return PassageInfo(
        int(row[0]),
        int(row[1]),
        str(row[2]),
        row[3] if isinstance(row[3], int) else None,
        int(row[4]) if isinstance(row[4], int) else 0,
        str(row[5]),
        tuple(str(t) for t in tokens),
        kept if len(kept) == len(boxes) else (),
        None if row[8] is None else str(row[8]),
        str(row[9] or ""),
        "text" if row[10] in (None, "none") else str(row[10]),
        str(row[11] or ""),
    )


def _box(value: object) -> Box | None:
    """``[x0, y0, x1, y1]`` as the store writes a box (four numbers), else ``None``."""
    if not (isinstance(value, list) and len(value) == 4 and all(isinstance(v, (int, float)) for v in value)):
        return None
    return float(value[0]), float(value[1]), float(value[2]), float(value[3])
