"""Platform helpers with no knowledge of search: per-user folders, the Qt window's system libraries, and
plain one-line error messages."""
