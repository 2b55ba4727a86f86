"""Helpers over an SQLite connection that know no table of the catalog."""

from __future__ import annotations

import json
import sqlite3
from typing import TypeAlias

# A value SQLite stores as it is: what the catalog's statements take as parameters.
SqlValue: TypeAlias = int | float | str | bytes | None


def statements(script: str) -> list[str]:
    """The statements of a schema script, one per line ending in ``;`` — cut where SQLite says a
    statement is complete, so a ``;`` inside a comment does not end one."""
    out, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending)
            pending = ""
    return out


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Execute each statement of ``script`` inside the caller's transaction (``executescript`` would
    commit it first)."""
    for statement in statements(script):
        db.execute(statement)


def new_row_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row the INSERT run by ``cursor`` added."""
    row_id = cursor.lastrowid
    assert row_id is not None  # set by every INSERT into a rowid table; the stubs allow None
    return row_id


def has_index(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone() is not None


def has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def json_list(text: object) -> list[object]:
    """``text`` parsed as a JSON list; ``[]`` for anything else (``None``, a hand-edited value that does not
    parse, or JSON that is not a list)."""
    try:
        value = json.loads(text) if isinstance(text, (str, bytes)) else None
    except ValueError:
        return []
    return value if isinstance(value, list) else []
