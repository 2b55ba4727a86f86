"""What the store raises. Every message is one plain sentence a person can act on: it names the
index, what was found and what to do — never a library's exception text alone."""

import errno


class IndexFormatError(ValueError):
    """The folder is not an index this version can read; the message names what was found and wanted."""


class UnsafeIndexError(IndexFormatError):
    """Using the index as it is would read, write or delete outside its folder (a name from the catalog
    that is not one this program writes, a symbolic link, a FIFO where a file should be), or the folder
    given for a new index already holds someone else's files."""


class CatalogDamaged(IndexFormatError):
    """``catalog.sqlite`` cannot be read (damaged pages, not a database, missing tables)."""


class IndexReadOnly(IndexFormatError):
    """A write was asked of an index that was opened read-only (or lives on read-only storage)."""

    def __init__(self, root: object) -> None:
        super().__init__(
            f"{root} is read-only here (read-only storage, permissions, or opened for searching "
            "only): it can be searched but not changed"
        )


class IndexExists(IndexFormatError):
    """Another process finished creating the index in this folder first; open it instead."""


class IndexNotCreated(IndexFormatError):
    """The folder holds a catalog whose creation was interrupted (no tables or manifest yet): the next
    ingest creates the index in it."""


class DiskFull(OSError):
    """The file system holding the index ran out of space during a write. The partial file was removed
    and the transaction rolled back: what was committed before is kept. ``needed_bytes`` is the size of
    the write that failed, when known; ``kept_documents`` is filled in by whoever knows the count."""

    def __init__(self, folder: object, what: str, needed_bytes: int | None = None) -> None:
        super().__init__(errno.ENOSPC, "no space left on device")
        self.folder, self.what, self.needed_bytes = folder, what, needed_bytes
        self.kept_documents: int | None = None

    def __str__(self) -> str:
        n = self.kept_documents
        kept = (
            f"; the {n} document{'s' if n != 1 else ''} already indexed {'are' if n != 1 else 'is'} kept"
            if n is not None
            else "; what was committed before is kept"
        )
        free = (
            f"free about {max(1, -(-self.needed_bytes * 12 // 10) // 2**20):,} MB"
            if self.needed_bytes
            else "free some space"
        )
        return (
            f"the disk holding {self.folder} is full while writing {self.what}{kept}; {free} and run the same "
            "command again"
        )


def is_disk_full(exc: BaseException) -> bool:
    """An ``OSError`` that means the file system (or the user's quota) has no room left."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
