"""Storage: the on-disk index (SQLite catalog, float16 vector segments). Stores only; never parses or encodes."""

from .catalog import Catalog, DocumentRow, NewDocument, NewPassage
from .errors import CatalogDamaged, IndexFormatError, IndexReadOnly, UnsafeIndexError
from .index_store import IndexStore, PackedSegments, SnapshotCatalog, canonical_path, display_path, fs_path_bytes
from .schema import FORMAT_VERSION

__all__ = ["Catalog", "CatalogDamaged", "DocumentRow", "FORMAT_VERSION", "IndexFormatError", "IndexReadOnly",
           "IndexStore", "NewDocument", "canonical_path", "NewPassage", "PackedSegments", "SnapshotCatalog", "UnsafeIndexError",
           "display_path", "fs_path_bytes"]
