"""The catalog's SQLite connections: one per thread, read and write transactions, and SQLite's errors
turned into the store's own.

Connections are per thread (WAL mode: readers never block the writer). A database error never reaches
a person as SQLite's own text alone: it becomes :class:`~workbench.store.errors.CatalogDamaged` (or
:class:`~workbench.store.errors.IndexReadOnly`, :class:`~workbench.store.errors.DiskFull`) naming the index.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

from ..errors import CatalogDamaged, DiskFull, IndexFormatError, IndexReadOnly
from ..paths import check_not_special
from .filters import fold_text
from .lexical import trigram_text
from .manifest import format_version
from .schema import V2_TABLES, V3_TABLES
from .sql import has_table

_SQLITE_DAMAGE = {
    "malformed": "some of its pages are damaged",
    "not a database": "it is not an SQLite database",
    "no such table": "it lacks the tables of a Kayak catalog",
    "no such column": "its tables are not those of a Kayak catalog",
}

_Self = TypeVar("_Self", bound="CatalogConnection")
_Args = ParamSpec("_Args")
_Result = TypeVar("_Result")


def plain_errors(method: Callable[Concatenate[_Self, _Args], _Result]) -> Callable[Concatenate[_Self, _Args], _Result]:
    """Turn SQLite's exceptions into the store's own, which name the index and say what to do."""

    @functools.wraps(method)
    def wrapper(self: _Self, /, *args: _Args.args, **kwargs: _Args.kwargs) -> _Result:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise self._plain(exc) from None

    return wrapper


class CatalogConnection:
    """``catalog.sqlite`` of one index. ``read_only``: connections are opened with SQLite's ``mode=ro``
    (and, where the folder cannot hold SQLite's shared-memory file, ``immutable=1``), so a reader never
    writes a byte of the index."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._local = threading.local()
        self._commits = 0  # transactions this process committed (SQLite's data_version omits a connection's own)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        for suffix in ("", "-wal", "-shm"):  # SQLite would follow a link or block on a FIFO
            check_not_special(self.path.with_name(self.path.name + suffix))
        if not self.read_only:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        else:
            uri = f"file:{quote(os.fsencode(self.path))}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
            try:
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                # A WAL database in a folder this process cannot write (read-only media, another
                # user's files): SQLite cannot create its shared-memory file, so read it as immutable.
                conn.close()
                conn = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.create_function("kayak_trigram_text", 1, trigram_text, deterministic=True)
        conn.create_function("kayak_fold", 1, fold_text, deterministic=True)
        version = format_version(conn) if self.read_only and has_table(conn, "manifest") else None
        if version in ("1", "2"):
            # An older index read without migrating it: the later versions' tables, empty, in temp.
            older = (V2_TABLES if version == "1" else "") + V3_TABLES
            conn.executescript(older.format(schema="temp."))
        return conn

    def _plain(self, exc: sqlite3.DatabaseError) -> Exception:
        text = str(exc)
        root = self.path.parent
        if "disk is full" in text:  # SQLITE_FULL: the transaction was rolled back, nothing is damaged
            return DiskFull(root, "the catalog")
        if "readonly" in text or "read-only" in text:
            return IndexReadOnly(root)
        if "locked" in text or "busy" in text:
            return IndexFormatError(
                f"the catalog of {root} stayed locked by another process for 30 s; try again when it has finished"
            )
        what = next((plain for key, plain in _SQLITE_DAMAGE.items() if key in text), f"SQLite says: {text}")
        return CatalogDamaged(
            f"the catalog of {root} ({self.path.name}) is damaged or is not a Kayak catalog "
            f"({what}); its documents cannot be listed or searched. Index the files again "
            "into a new folder"
        )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same committed state."""
        db = self.db
        db.execute("BEGIN")
        try:
            yield db
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``), committed when the block ends, rolled back when it raises."""
        db = self.db
        if self.read_only:
            raise IndexReadOnly(self.path.parent)
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.in_transaction:  # SQLite may already have rolled back (disk full, damage)
                db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        finally:
            self._commits += 1  # even a failed COMMIT may have changed what is kept: recount
