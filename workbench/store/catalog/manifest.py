"""The ``manifest`` table: the index's key/value settings, among them its format version and its
``generation`` — the counter every transaction that changes what a reader sees bumps."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping


def read_manifest(db: sqlite3.Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in db.execute("SELECT key, value FROM manifest").fetchall()}


def set_entries(db: sqlite3.Connection, entries: Mapping[str, str]) -> None:
    """Add or replace manifest ``entries`` (inside the caller's transaction)."""
    db.executemany("INSERT OR REPLACE INTO manifest (key, value) VALUES (?, ?)", entries.items())


def format_version(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT value FROM manifest WHERE key = 'format_version'").fetchone()
    return str(row[0]) if row else None


def set_format_version(db: sqlite3.Connection, version: int) -> None:
    db.execute("UPDATE manifest SET value = ? WHERE key = 'format_version'", (str(version),))


def current_generation(db: sqlite3.Connection) -> int:
    """The manifest's ``generation`` (0 when absent or not a number)."""
    row = db.execute("SELECT value FROM manifest WHERE key = 'generation'").fetchone()
    try:
        return int(row[0]) if row else 0
    except (TypeError, ValueError):
        return 0


def next_generation(db: sqlite3.Connection) -> None:
    """Bump the generation (inside the caller's transaction: readers see the change and the new number together)."""
    db.execute(
        "INSERT OR REPLACE INTO manifest (key, value) VALUES ('generation', ?)", (str(current_generation(db) + 1),)
    )
