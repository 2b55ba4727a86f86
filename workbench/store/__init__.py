"""Storage: the on-disk index (SQLite catalog, float16 vector segments). Stores only; never parses or encodes."""

from .catalog import FORMAT_VERSION, Catalog, CatalogCounts, DocumentRow, NewDocument, NewPassage
from .document_paths import canonical_path, display_path, fs_path_bytes
from .errors import (
    CatalogDamaged,
    DiskFull,
    IndexExists,
    IndexFormatError,
    IndexNotCreated,
    IndexReadOnly,
    UnsafeIndexError,
    is_disk_full,
)
from .index_store import IndexStore, PackedSegments, SnapshotCatalog

__all__ = [
    "Catalog",
    "CatalogCounts",
    "CatalogDamaged",
    "DiskFull",
    "DocumentRow",
    "FORMAT_VERSION",
    "IndexExists",
    "IndexFormatError",
    "IndexNotCreated",
    "IndexReadOnly",
    "IndexStore",
    "NewDocument",
    "NewPassage",
    "PackedSegments",
    "SnapshotCatalog",
    "UnsafeIndexError",
    "canonical_path",
    "display_path",
    "fs_path_bytes",
    "is_disk_full",
]
