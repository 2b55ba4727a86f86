"""What every command says the same way: bad input (:class:`UsageError`, exit code 2), a name or
message kept to one line, and an index's warnings on stderr."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..collection import Collection


class UsageError(Exception):
    """Bad command-line input: exit code 2."""


def one_line(text: str) -> str:
    """``text`` with control characters (a newline in a file name) escaped, so one report stays one line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def warn(coll: Collection) -> None:
    """Print each of the index's warnings (``coll.warnings``) as one ``warning:`` line on stderr."""
    for problem in coll.warnings:
        print(f"warning: {one_line(problem)}", file=sys.stderr)
