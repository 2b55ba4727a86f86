"""The one exception ingest raises: a file that cannot be indexed, with a one-line reason for people."""


class IngestError(Exception):
    """``str(err)`` is a plain one-line reason (no traceback needed to understand it)."""


def with_article(name: str) -> str:
    """``name`` with its indefinite article, for a reason's wording: "an EPUB e-book", "an XPS document",
    "a Word document" (by the first letter as it is said: X is "ex")."""
    return f"{'an' if name[:1] in 'AEIOUX' else 'a'} {name}"
