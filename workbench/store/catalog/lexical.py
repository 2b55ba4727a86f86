"""The two FTS5 tables over live passage text, and lexical search on them.

``passages_fts`` holds words of spaced scripts (Porter-stemmed, BM25; Arabic and Hebrew without their
optional marks, :func:`~workbench.core.pointing.unpointed`, so a word typed unpointed finds it pointed and
the other way round); ``passages_trigram`` (contentless,
trigram tokenizer) holds :func:`trigram_text`, so scripts written without spaces — Chinese, Japanese,
Thai — are searchable too. A passage's rows are added when it is committed and forgotten when it is
tombstoned, so neither table ever holds a dead passage.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ...core import PassageFilter
from ...core.pointing import POINTABLE, unpointed
from ...core.scripts import UNSPACED_CHAR, squash_unspaced
from .filters import filter_sql

# What a lexical ranking is: passage ids (int64) and their scores (float32), best first.
Ranking = tuple[NDArray[np.int64], NDArray[np.float32]]


def query_terms(text: str) -> list[str]:
    """The words of a query, lower-cased: letters, marks and digits kept together (so a Thai word is not
    cut at its vowel signs, as ``\\w+`` would), everything else a separator."""
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in text.lower())
    return kept.split()


def trigram_text(text: str) -> str:
    """``text`` as the trigram index holds it: spaces between characters of unspaced scripts removed."""
    return squash_unspaced(text)


def index_text(db: sqlite3.Connection, passage_id: int, text: str) -> None:
    """Add a new passage's ``text`` to both FTS5 tables."""
    db.execute("INSERT INTO passages_fts (rowid, text) VALUES (?, ?)", (passage_id, unpointed(text)))
    db.execute("INSERT INTO passages_trigram (rowid, text) VALUES (?, ?)", (passage_id, trigram_text(text)))


def forget_texts(db: sqlite3.Connection, rows: list[tuple[int, str]]) -> None:
    """Remove passages ``(id, text)`` from both FTS5 tables."""
    db.executemany("DELETE FROM passages_fts WHERE rowid = ?", [(i,) for i, _ in rows])
    # A contentless FTS5 table forgets a row only when given the values it indexed.
    db.executemany(
        "INSERT INTO passages_trigram (passages_trigram, rowid, text) VALUES ('delete', ?, ?)",
        [(i, trigram_text(t)) for i, t in rows],
    )


def index_live_trigrams(db: sqlite3.Connection) -> None:
    """Fill a new (migrated) ``passages_trigram`` from the live passages."""
    db.executemany(
        "INSERT INTO passages_trigram (rowid, text) VALUES (?, ?)",
        (
            (pid, trigram_text(text))
            for pid, text in db.execute("SELECT id, text FROM passages WHERE deleted = 0").fetchall()
        ),
    )


def index_live_unpointed(db: sqlite3.Connection) -> int:
    """Index again, unpointed, every live passage whose word-index text has Arabic or Hebrew marks to drop
    (a catalog written before version 4 holds them as written). Returns how many were indexed again."""
    changed = [  # read a row at a time: a large catalog's text is never held whole, only the changed rows
        (pid, folded)
        for pid, text in db.execute("SELECT id, text FROM passages WHERE deleted = 0")
        if POINTABLE.search(text) and (folded := unpointed(text)) != text
    ]
    db.executemany("DELETE FROM passages_fts WHERE rowid = ?", [(pid,) for pid, _ in changed])
    db.executemany("INSERT INTO passages_fts (rowid, text) VALUES (?, ?)", changed)
    return len(changed)


def lexical_search(db: sqlite3.Connection, text: str, k: int, where: PassageFilter | None = None) -> Ranking:
    """Lexical search over live passage text: ``(passage_ids, scores)``, best first, higher is better.

    Words of spaced scripts go to FTS5 BM25 (Porter-stemmed); words of scripts written without
    spaces (Chinese, Japanese, Thai …) to the trigram index (BM25 too), and those shorter than three
    characters to a substring scan. Where both kinds occur the two rankings are fused by reciprocal
    rank (Cormack et al., 2009). Every word becomes a quoted term, so FTS5 query syntax in the user's
    text is never interpreted — except ``OR`` in capitals, the query syntax's alternative
    (:mod:`workbench.core.query_syntax`): the words are alternatives already (one BM25 disjunction), so
    it only keeps "or" from being searched as a word. With ``where``, only passages of matching documents compete (the
    condition is part of the query, so a narrow filter still yields up to ``k``).
    """
    terms = query_terms(" ".join(word for word in text.split() if word != "OR"))
    if not terms or k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    unspaced = [trigram_text(t) for t in terms if UNSPACED_CHAR.search(t)]
    # Unpointed, as the index holds them; also as typed, for a read-only catalog older than version 4.
    spaced = [
        form
        for t in terms
        if not UNSPACED_CHAR.search(t) and (len(t) > 1 or t.isdigit())
        for form in dict.fromkeys((unpointed(t), t))
    ]
    rankings: list[Ranking] = []
    if spaced:
        rankings.append(_bm25(db, "passages_fts", spaced, k, where))
    if any(len(t) >= 3 for t in unspaced):
        rankings.append(_bm25(db, "passages_trigram", [t for t in unspaced if len(t) >= 3], k, where))
    if any(len(t) < 3 for t in unspaced):
        rankings.append(_substrings(db, [t for t in unspaced if len(t) < 3], k, where))
    if len(rankings) == 1:
        return rankings[0]
    fused: dict[int, float] = {}
    for ids, _ in rankings:
        for rank, pid in enumerate(ids.tolist()):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (60 + rank + 1)
    best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
    return (
        np.array([p for p, _ in best], np.int64).reshape(-1),
        np.array([s for _, s in best], np.float32).reshape(-1),
    )


def _bm25(
    db: sqlite3.Connection,
    table: Literal["passages_fts", "passages_trigram"],
    terms: list[str],
    k: int,
    where: PassageFilter | None,
) -> Ranking:
    match = " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))
    if where is None or where.is_empty:  # tombstoning removes a passage's FTS rows: no join needed
        rows = db.execute(
            f"SELECT rowid, -bm25({table}) FROM {table} WHERE {table} MATCH ? ORDER BY bm25({table}) LIMIT ?",
            (match, int(k)),
        ).fetchall()
    else:
        condition, params = filter_sql(where)
        rows = db.execute(
            f"SELECT {table}.rowid, -bm25({table}) FROM {table} JOIN passages p ON p.id = {table}.rowid"
            f" JOIN documents d ON d.id = p.document_id WHERE {table} MATCH ? AND {condition}"
            f" ORDER BY bm25({table}) LIMIT ?",
            (match, *params, int(k)),
        ).fetchall()
    return _ranking(rows)


def _substrings(db: sqlite3.Connection, terms: list[str], k: int, where: PassageFilter | None) -> Ranking:
    """Passages containing the (short) terms, ranked by how many they contain: a scan, for the one-
    and two-character words a trigram index cannot look up."""
    condition, params = (
        filter_sql(where)
        if where is not None and not where.is_empty
        else ("p.deleted = 0 AND d.status = 'indexed'", [])
    )
    count = " + ".join(["(instr(kayak_trigram_text(p.text), ?) > 0)"] * len(terms))
    rows = db.execute(
        f"SELECT p.id, {count} AS found FROM passages p JOIN documents d ON d.id = p.document_id"
        f" WHERE {condition} AND found > 0 ORDER BY found DESC, p.id LIMIT ?",
        (*terms, *params, int(k)),
    ).fetchall()
    return _ranking(rows)


def _ranking(rows: list[tuple[int, float]]) -> Ranking:
    """``(id, score)`` rows as a :data:`Ranking`."""
    arr = np.array(rows, dtype=np.float64).reshape(-1, 2)
    return arr[:, 0].astype(np.int64), arr[:, 1].astype(np.float32)
