"""A file read as sections: runs of words that share one location in the format's own terms.

Every reader of a format beyond plain text yields :class:`Section` objects; a passage never crosses one,
so each passage carries exactly one location ("page 4", "slide 3", "sheet Budget, A1:F20", "chapter
“The storm”", "message 12"). ``page`` is set only where the built-in viewer can show the passage on
a rendered page (PDF and the formats PyMuPDF lays out: EPUB, MOBI, FB2, XPS, CBZ).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .files import ReadPosition
from .passages import Word


@dataclass
class Section:
    """``words`` in reading order; ``page`` 1-based where the format is paginated, else ``None``;
    ``location`` for people, in the format's terms (``""`` where the page alone says it); ``key`` the
    record inside the file a search result stands for (a mail message, a BEIR record), ``None`` where
    the file is the one record."""

    words: Iterable[Word]
    page: int | None = None
    location: str = ""
    key: str | None = None


class SectionReader(Protocol):
    """``read(path, notes, where)``: a format's sections, lazily. ``notes`` gathers one-line facts for
    people (what was skipped and why); ``where`` is kept at the bytes read where that is known. Raises
    :class:`~.errors.IngestError` with a plain one-line reason for a file that cannot be read at all."""

    def __call__(self, path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]: ...


def text_section_words(text: str, block: int = 0) -> list[Word]:
    """The words of ``text`` as one block (line breaks inside it are only spaces)."""
    return [Word(w, block, 0) for w in text.split()]
