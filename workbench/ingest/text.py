"""Plain text and Markdown files → words, blank-line paragraphs as blocks. Unpaged (page ``None``).

The file is read and split a bounded chunk at a time, so a 50 MB text file costs a few MB of memory
before its first passage is encoded, not the whole file as words at once.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from pathlib import Path

from .errors import IngestError
from .files import ReadPosition, open_regular
from .passages import Word

READ_CHUNK = 1 << 20  # bytes read at a time
MAX_PARAGRAPH = 1 << 20  # characters held before a paragraph with no blank line is cut anyway
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def text_words(path: Path, where: ReadPosition | None = None) -> Iterator[Word]:
    """The words of a UTF-8 text file (undecodable bytes become U+FFFD), each blank-line paragraph its
    own block; :class:`IngestError` for a binary or unreadable file. ``where`` is kept at the bytes read."""
    where = where or ReadPosition()
    with open_regular(path) as fh:
        where.size = os.fstat(fh.fileno()).st_size
        first = fh.read(READ_CHUNK)
        if b"\x00" in first[:8192]:
            raise IngestError("looks like a binary file, not text")
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        block, pending, chunk = 0, "", first
        while chunk:
            where.done += len(chunk)
            pending = (pending + decoder.decode(chunk)).replace("\r\n", "\n")
            paragraphs = _BLANK_LINE.split(pending)
            pending = paragraphs.pop()
            if len(pending) > MAX_PARAGRAPH:  # no blank line for a long while: cut at the last space
                cut = max(pending.rfind(" ", 0, MAX_PARAGRAPH), pending.rfind("\n", 0, MAX_PARAGRAPH))
                cut = cut if cut > 0 else MAX_PARAGRAPH
                paragraphs.append(pending[:cut])
                pending = pending[cut:]
            for para in paragraphs:
                if para.strip():
                    yield from (Word(w, block, 0) for w in para.split())
                    block += 1
            chunk = fh.read(READ_CHUNK)
        pending += decoder.decode(b"", final=True)
        if pending.strip():
            yield from (Word(w, block, 0) for w in pending.split())


def paragraph_words(text: str) -> list[Word]:
    """Words of ``text`` with each blank-line-separated paragraph as its own block."""
    words: list[Word] = []
    for block, para in enumerate(p for p in _BLANK_LINE.split(text.replace("\r\n", "\n")) if p.strip()):
        words.extend(Word(w, block, 0) for w in para.split())
    return words
