"""The ``segments`` table (one row per vector segment file) and where each live passage's vectors lie
in them: the live layout readers pack, and what a merge or a lost file changes."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..merge_policy import SegmentStats
from .sql import new_row_id

# ``(id, file, n_vectors)`` of a segment, and ``(passage id, segment id, offset, length)`` of a passage.
SegmentRow = tuple[int, str, int]
PassageRow = tuple[int, int, int, int]


@dataclass(frozen=True)
class LiveLayout:
    """The live passages as one read transaction saw them, ordered by segment and offset (the order of
    the packed array): ``segment_files``/``segment_sizes`` list the segments holding live passages;
    ``segment_of`` is each passage's position in that list. ``passage_ids``, ``segment_of``, ``offsets``
    (first vector's row in its segment) and ``lengths`` (vectors) are int64 ``[n]``."""

    generation: int
    passage_ids: NDArray[np.int64]
    segment_files: list[str]
    segment_sizes: list[int]
    segment_of: NDArray[np.int64]
    offsets: NDArray[np.int64]
    lengths: NDArray[np.int64]


def add_segment(db: sqlite3.Connection, segment_file: str, n_vectors: int) -> int:
    """Reference a new segment file of ``n_vectors`` vectors; returns its id."""
    return new_row_id(db.execute("INSERT INTO segments (file, n_vectors) VALUES (?, ?)", (segment_file, n_vectors)))


def live_rows(db: sqlite3.Connection) -> tuple[list[SegmentRow], list[PassageRow]]:
    """The segments holding live passages (by id) and the live passages (by segment, then offset)."""
    segs = db.execute(
        "SELECT id, file, n_vectors FROM segments WHERE id IN"
        " (SELECT DISTINCT segment_id FROM passages WHERE deleted = 0) ORDER BY id"
    ).fetchall()
    rows = db.execute(
        "SELECT id, segment_id, vec_offset, n_tokens FROM passages WHERE deleted = 0 ORDER BY segment_id, vec_offset"
    ).fetchall()
    return segs, rows


def live_layout(
    generation: int, segs: list[SegmentRow], rows: list[PassageRow], skip_segments: Sequence[str] = ()
) -> LiveLayout:
    """The :class:`LiveLayout` of :func:`live_rows` read at ``generation``, without the passages of
    ``skip_segments``."""
    segs = [s for s in segs if s[1] not in skip_segments]
    position = {seg_id: i for i, (seg_id, _, _) in enumerate(segs)}
    arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
    arr = arr[np.isin(arr[:, 1], list(position))] if len(arr) else arr
    seg_pos = np.array([position[s] for s in arr[:, 1]], dtype=np.int64)
    return LiveLayout(
        generation, arr[:, 0], [str(f) for _, f, _ in segs], [int(n) for _, _, n in segs], seg_pos, arr[:, 2], arr[:, 3]
    )


def live_spans_in(db: sqlite3.Connection, segment_file: str) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(starts, lengths)`` int64: the live passages of segment ``segment_file``, by first token row in it."""
    rows = db.execute(
        "SELECT vec_offset, n_tokens FROM passages WHERE deleted = 0 AND segment_id ="
        " (SELECT id FROM segments WHERE file = ?) ORDER BY vec_offset",
        (segment_file,),
    ).fetchall()
    arr = np.array(rows, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0].copy(), arr[:, 1].copy()


def segment_files(db: sqlite3.Connection) -> set[str]:
    return {str(f) for (f,) in db.execute("SELECT file FROM segments")}


def segment_sizes(db: sqlite3.Connection) -> list[tuple[str, int]]:
    """``(file, n_vectors)`` of every segment in packing order (from the segments table alone)."""
    return [(str(f), int(n)) for f, n in db.execute("SELECT file, n_vectors FROM segments ORDER BY id")]


def segment_stats(db: sqlite3.Connection) -> list[SegmentStats]:
    """Every segment in packing order with its vectors and those of its live passages (two reads: call
    inside one read transaction)."""
    # Two reads, not one join: the grouped sum is answered from the covering index alone.
    live: dict[int, int] = dict(
        db.execute("SELECT segment_id, SUM(n_tokens) FROM passages WHERE deleted = 0 GROUP BY segment_id").fetchall()
    )
    rows = db.execute("SELECT id, file, n_vectors FROM segments ORDER BY id").fetchall()
    return [SegmentStats(str(f), int(n), int(live.get(i, 0))) for i, f, n in rows]


def live_documents_in(db: sqlite3.Connection, segment_file: str) -> list[tuple[int, str]]:
    """``(id, path)`` of every document with live passages in segment ``segment_file``."""
    return db.execute(
        "SELECT DISTINCT d.id, d.path FROM documents d JOIN passages p ON p.document_id = d.id"
        " JOIN segments s ON s.id = p.segment_id WHERE s.file = ? AND p.deleted = 0",
        (segment_file,),
    ).fetchall()


def replace_segments(
    db: sqlite3.Connection,
    new_file: str | None,
    n_vectors: int,
    moves: Sequence[tuple[int, int]],
    old_files: Sequence[str] | None,
) -> list[str]:
    """Point each live passage ``(id, new_offset)`` of the merged segments at ``new_file`` (``None`` when
    none was live), delete their tombstoned passages and their segment rows. ``old_files``: the merged
    segments (``None``: every segment). Returns the old files."""
    if old_files is None:
        old_ids = [(i, f) for i, f in db.execute("SELECT id, file FROM segments")]
    else:
        marks = ",".join("?" * len(old_files))
        old_ids = db.execute(f"SELECT id, file FROM segments WHERE file IN ({marks})", list(old_files)).fetchall()
    if new_file is not None:
        seg_id = add_segment(db, new_file, n_vectors)
        db.executemany(
            "UPDATE passages SET segment_id = ?, vec_offset = ? WHERE id = ?",
            [(seg_id, off, pid) for pid, off in moves],
        )
    ids = [i for i, _ in old_ids]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        db.execute(
            "DELETE FROM passage_locations WHERE passage_id IN"
            f" (SELECT id FROM passages WHERE deleted = 1 AND segment_id IN ({marks}))",
            chunk,
        )
        db.execute(f"DELETE FROM passages WHERE deleted = 1 AND segment_id IN ({marks})", chunk)
        db.execute(f"DELETE FROM segments WHERE id IN ({marks})", chunk)
    return [str(f) for _, f in old_ids]
