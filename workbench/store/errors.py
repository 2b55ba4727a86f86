"""What the store raises. Every message is one plain sentence a person can act on: it names the
index, what was found and what to do — never a library's exception text alone."""


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
        super().__init__(f"{root} is read-only here (read-only storage, permissions, or opened for searching "
                         "only): it can be searched but not changed")
