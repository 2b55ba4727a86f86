"""Storage: the on-disk index (SQLite catalog, float16 vector segments). Stores only; never parses or encodes."""

from .catalog import Catalog, DocumentRow, NewDocument, NewPassage
from .index_store import IndexFormatError
from .index_store import IndexStore, display_path, fs_path_bytes
from .schema import FORMAT_VERSION

__all__ = ["Catalog", "DocumentRow", "FORMAT_VERSION", "IndexFormatError", "IndexStore", "NewDocument",
           "NewPassage", "display_path", "fs_path_bytes"]
