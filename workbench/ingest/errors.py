"""The one exception ingest raises: a file that cannot be indexed, with a one-line reason for people."""


class IngestError(Exception):
    """``str(err)`` is a plain one-line reason (no traceback needed to understand it)."""
