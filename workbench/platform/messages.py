"""Errors as people read them: one line of the message, never a traceback."""

from __future__ import annotations


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The first non-blank line of ``exc``'s message (its type's name when it has none), cut at ``limit``
    characters."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:limit]
