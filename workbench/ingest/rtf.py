"""RTF documents → one unpaged section of words, each paragraph its own block, through striprtf.

striprtf turns the whole document string into text at once (about 0.4 s a MB), so the file is read whole
and capped in size; its head is checked first, since an RTF name is a claim, not a fact.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from .errors import IngestError
from .files import ReadPosition, read_capped
from .passages import Word
from .sections import Section
from .text import looks_like

MAX_RTF = 64 << 20  # bytes: striprtf's time and the text it builds grow with the whole document
_CODEPAGE = re.compile(rb"\\ansicpg(\d{1,5})")


def read_rtf(path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]:
    """The one :class:`Section` of the RTF at ``path`` (location ``""``, page ``None``), each paragraph or table
    row a block. :class:`IngestError` for a file too large, not RTF, damaged past reading, or without text.
    ``notes`` is part of the reader protocol; RTF has nothing to tell beyond the error."""
    data = read_capped(path, where, MAX_RTF, "RTF")
    if not data.strip():
        raise IngestError("the file is empty")
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        raise IngestError(f"not an RTF document (it looks like {looks_like(data[:1024])})")
    text = _rtf_text(data)
    words = [Word(w, block, 0) for block, line in enumerate(_lines(text)) for w in line.split()]
    if not words:
        raise IngestError("the document holds no text")
    yield Section(words)


def _rtf_text(data: bytes) -> str:
    """The plain text striprtf makes of the RTF bytes ``data``. Raw 8-bit bytes (rare: RTF escapes them) are
    read in the document's own code page, as ``\\ansicpg`` gives it; :class:`IngestError` when the
    document is too damaged for striprtf."""
    from striprtf.striprtf import rtf_to_text

    codepage = _CODEPAGE.search(data[:4096])
    encoding = f"cp{int(codepage.group(1))}" if codepage else "cp1252"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "cp1252"
    try:
        return rtf_to_text(data.decode(encoding, errors="replace"), errors="replace")
    except Exception:  # striprtf trips over some damaged control words and unknown font code pages
        raise IngestError("the RTF document is damaged and could not be read") from None


def _lines(text: str) -> Iterator[str]:
    """The non-blank lines of striprtf's text: a paragraph or a table row each. striprtf ends every table
    cell with ``|``; it becomes a space so the cells' words stay apart."""
    for line in text.replace("|", " ").splitlines():
        if line.strip():
            yield line
