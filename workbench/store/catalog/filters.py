"""A :class:`~workbench.core.PassageFilter` as SQL over ``passages p JOIN documents d``.

Its text conditions (``contains``, ``excludes``) are substring tests on the passage text as the trigram
index holds it (:func:`~workbench.core.scripts.squash_unspaced`): a condition of three characters or more
is looked up in ``passages_trigram`` (case-insensitive, and in scripts written without spaces too), a
shorter one — which a trigram index cannot look up — is an ``instr`` over :func:`fold_text`.
"""

from __future__ import annotations

import json
import os
import sqlite3

import numpy as np
from numpy.typing import NDArray

from ...core import PassageFilter
from ...core.scripts import squash_unspaced
from .sql import SqlValue


def fold_text(text: str) -> str:
    """``text`` as short text conditions compare it: unspaced-script gaps removed, case folded (SQL
    function ``kayak_fold``)."""
    return squash_unspaced(text).casefold()


def filter_sql(where: PassageFilter) -> tuple[str, list[SqlValue]]:
    """The SQL condition (over ``passages p JOIN documents d``) that admits live passages of indexed
    documents matching ``where``, and its parameters. Only placeholders go into the text: folder
    names, types and ids travel as values, so quotes, ``%`` or ``_`` in them mean themselves."""
    clauses = ["p.deleted = 0", "d.status = 'indexed'"]
    params: list[SqlValue] = []
    if where.folders:
        # Compare the exact file-system bytes with "<folder>/": "/a/b" must not admit "/a/bc/x.pdf".
        prefixes = [os.fsencode(f.rstrip("/")) + b"/" for f in where.folders]
        clauses.append("(" + " OR ".join(["substr(d.path_bytes, 1, ?) = ?"] * len(prefixes)) + ")")
        for prefix in prefixes:
            params += [len(prefix), prefix]
    if where.file_types:
        # The filter holds types lower-cased; lower() folds the stored name's ASCII letters to match.
        suffixes = ["." + t for t in where.file_types]
        clauses.append("(" + " OR ".join(["lower(substr(d.path, -?)) = ?"] * len(suffixes)) + ")")
        for suffix in suffixes:
            params += [len(suffix), suffix]
    if where.modified_from is not None:
        clauses.append("d.mtime >= ?")
        params.append(float(where.modified_from))
    if where.modified_to is not None:
        clauses.append("d.mtime < ?")
        params.append(float(where.modified_to))
    if where.document_ids:
        # One JSON parameter however many documents are chosen (no limit on SQL variables to meet).
        clauses.append("d.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(where.document_ids)))
    for text, present in [(t, True) for t in where.contains] + [(t, False) for t in where.excludes]:
        clause, value = _substring_sql(text)
        clauses.append(clause if present else f"NOT {clause}")
        params.append(value)
    return " AND ".join(clauses), params


def _substring_sql(text: str) -> tuple[str, SqlValue]:
    """The condition "the passage's text holds ``text``" (case-insensitive) and its one parameter."""
    squashed = squash_unspaced(text)
    if len(squashed) >= 3:
        # A quoted FTS5 string is one phrase of consecutive trigrams: exactly a substring test.
        phrase = '"' + squashed.replace('"', '""') + '"'
        return "p.id IN (SELECT rowid FROM passages_trigram WHERE passages_trigram MATCH ?)", phrase
    return "instr(kayak_fold(p.text), ?) > 0", fold_text(squashed)


def passage_ids_where(db: sqlite3.Connection, where: PassageFilter) -> NDArray[np.int64]:
    """Ids (int64, ascending) of the live passages of indexed documents that ``where`` admits."""
    condition, params = filter_sql(where)
    # CROSS JOIN fixes the loop order: test each document once, then fetch its passages by the
    # document_id index (SQLite's own choice walks every live passage: ~5x slower at 100k passages).
    cursor = db.execute(
        f"SELECT p.id FROM documents d CROSS JOIN passages p ON p.document_id = d.id WHERE {condition}", params
    )
    return np.sort(np.fromiter((row[0] for row in cursor), dtype=np.int64))
