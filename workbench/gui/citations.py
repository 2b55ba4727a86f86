"""What Edit ▸ Copy puts on the clipboard for a hit: its passage quoted with where it comes from, or only
the reference ("document, page N" and the file's full path) for a bibliography or a note."""

from __future__ import annotations

from pathlib import Path

from ..core import Hit


def _where(hit: Hit) -> str:
    where = Path(hit.path).name if hit.path else "unknown document"
    if hit.page is not None:
        where += f", page {hit.page}"  # the physical page, 1-based, as a PDF viewer's page box counts
    if hit.location:
        where += f", {hit.location}"
    return where


def passage_with_source(hit: Hit) -> str:
    """The passage's text, then "— document, page N" on its own line (Copy passage, Ctrl+C)."""
    return f"{(hit.text or '').strip()}\n— {_where(hit)}"


def reference(hit: Hit) -> str:
    """ "document, page N" and the full path in parentheses (Copy citation, Ctrl+Shift+C)."""
    return f"{_where(hit)} ({hit.path})" if hit.path else _where(hit)
