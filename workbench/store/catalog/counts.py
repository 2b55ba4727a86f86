"""How much the catalog holds: documents, passages, vectors, tombstones and segments."""

from __future__ import annotations

import sqlite3
from typing import TypedDict


class CatalogCounts(TypedDict):
    """Indexed and failed documents, live passages and their token vectors, tombstoned passages, segments."""

    documents: int
    failed: int
    passages: int
    vectors: int
    tombstones: int
    segments: int


def count_rows(db: sqlite3.Connection) -> CatalogCounts:
    """The counts, read now (summing the vectors reads every passage row: 7 ms at 10⁴ passages)."""

    def one(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0])

    return {
        "documents": one("SELECT COUNT(*) FROM documents WHERE status = 'indexed'"),
        "failed": one("SELECT COUNT(*) FROM documents WHERE status = 'failed'"),
        "passages": one("SELECT COUNT(*) FROM passages WHERE deleted = 0"),
        "vectors": one("SELECT COALESCE(SUM(n_tokens), 0) FROM passages WHERE deleted = 0"),
        "tombstones": one("SELECT COUNT(*) FROM passages WHERE deleted = 1"),
        "segments": one("SELECT COUNT(*) FROM segments"),
    }
