"""The SQLite catalog of an index (``catalog.sqlite``): manifest, documents, passages, segments and FTS5
tables over passage text. :class:`Catalog` is the one object callers use; the SQL of each table lives
in its own module (:mod:`.manifest`, :mod:`.documents`, :mod:`.passages`, :mod:`.lexical` and
:mod:`.filters`, :mod:`.segments`), its schema in :mod:`.schema`.

Every statement is parameterised. Connections are per thread (WAL mode: readers never block the
writer); a batch of whole documents is committed in one transaction together with its segment.
Every transaction that changes what a reader sees bumps the manifest's ``generation``: a reader reads
its layout and the generation in one read transaction, and :meth:`Catalog.describe` (given that
generation) raises :class:`~workbench.core.IndexChanged` when passages it was asked for were merged or
deleted since, so the caller reopens instead of failing. A database error never reaches a person as
SQLite's own text alone: it becomes :class:`~workbench.store.errors.CatalogDamaged` (or
:class:`~workbench.store.errors.IndexReadOnly`) naming the index.
"""

from .catalog import Catalog
from .counts import CatalogCounts
from .documents import DocumentRow, NewDocument
from .lexical import Ranking
from .passages import NewPassage
from .schema import FORMAT_VERSION, READABLE_VERSIONS
from .segments import LiveLayout

__all__ = [
    "Catalog",
    "CatalogCounts",
    "DocumentRow",
    "FORMAT_VERSION",
    "LiveLayout",
    "NewDocument",
    "NewPassage",
    "READABLE_VERSIONS",
    "Ranking",
]
