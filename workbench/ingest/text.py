"""Plain text and Markdown files → words, blank-line paragraphs as blocks. Unpaged (page ``None``)."""

from __future__ import annotations

from pathlib import Path

from .errors import IngestError
from .passages import Word


def text_words(path: Path) -> list[Word]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"could not be read ({exc.strerror})") from None
    if b"\x00" in raw[:8192]:
        raise IngestError("looks like a binary file, not text")
    return paragraph_words(raw.decode("utf-8", errors="replace"))


def paragraph_words(text: str) -> list[Word]:
    """Words of ``text`` with each blank-line-separated paragraph as its own block."""
    words: list[Word] = []
    for block, para in enumerate(p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()):
        words.extend(Word(w, block, 0) for w in para.split())
    return words
