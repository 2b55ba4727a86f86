"""Plain text and Markdown files in any common encoding → words, blank-line paragraphs as blocks. Unpaged.

The encoding is found from the file's first chunk, not assumed: a byte order mark (UTF-8/16/32), UTF-16 or
UTF-32 without one (their NUL byte pattern), UTF-8 when the start decodes cleanly (or nearly so), else
chardet's pick on the first 64 KB (Windows-1252, Shift-JIS, GB18030, Big5, KOI8-R, …). The whole
file is then decoded in that encoding, undecodable bytes as U+FFFD. It is read and split a bounded chunk at
a time, so a 50 MB text file costs a few MB of memory before its first passage is encoded.
"""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .errors import IngestError
from .files import ReadPosition, open_regular
from .passages import Word
from .sniff import not_a_pdf

READ_CHUNK = 1 << 20  # bytes read at a time
MAX_PARAGRAPH = 1 << 20  # characters held before a paragraph with no blank line is cut anyway
SAMPLE = 1 << 16  # bytes chardet looks at: enough to decide, quick to score (≈30 ms)
_NUL_WINDOW = 8192  # bytes where a NUL means binary data, unless they are UTF-16/32's pattern
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_BOMS = (  # UTF-32 LE's mark begins with UTF-16 LE's, so it is tried first
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HIGH_BYTES = bytes(range(128, 256))
_NOT_TEXT = frozenset({"Cc", "Co", "Cn", "Cs"})  # Unicode categories no text is made of
_LABELS = {
    "big5": "Big5",
    "cp932": "Shift-JIS (Windows-31J)",
    "shift_jis": "Shift-JIS",
    "euc_jp": "EUC-JP",
    "cp949": "EUC-KR (Windows-949)",
}


def text_words(path: Path, where: ReadPosition | None = None, notes: list[str] | None = None) -> Iterator[Word]:
    """The words of a text file in its detected encoding (undecodable bytes become U+FFFD), each blank-line
    paragraph its own block; :class:`IngestError` for a binary or unreadable file. ``where`` is kept at the
    bytes read; ``notes`` gets "read as Windows-1252 (detected)" when the encoding is not UTF-8."""
    where = where or ReadPosition()
    with open_regular(path) as fh:
        where.size = os.fstat(fh.fileno()).st_size
        first = fh.read(READ_CHUNK)
        if first.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"%PDF-", b"{\\rtf", b"PK\x03\x04")):
            # a document under a text name: its markup or compressed bytes are no text to search
            raise IngestError(f"is {looks_like(first)}, not plain text (its name says {path.suffix or 'nothing'})")
        found = detect_encoding(first)
        if found is None:
            raise IngestError("looks like a binary file, not text")
        codec, how = found
        if notes is not None and how:
            notes.append(f"read as {encoding_label(codec)} ({how})")
        decoder = codecs.getincrementaldecoder(codec)(errors="replace")
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


def paragraph_words(text: str, first_block: int = 0) -> list[Word]:
    """Words of ``text`` with each blank-line-separated paragraph as its own block, numbered from
    ``first_block`` (a caller with words of its own before them starts after those)."""
    words: list[Word] = []
    paragraphs = (p for p in _BLANK_LINE.split(text.replace("\r\n", "\n")) if p.strip())
    for block, para in enumerate(paragraphs, first_block):
        words.extend(Word(w, block, 0) for w in para.split())
    return words


def detect_encoding(head: bytes) -> tuple[str, str] | None:
    """``(Python codec name, how it was found)`` for a text whose first bytes are ``head`` (a MB is plenty):
    how is ``"byte order mark"``, ``"detected"`` or ``""`` for plain UTF-8 (nothing to tell people). ``None``
    when ``head`` looks like binary data rather than text in any encoding."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, "" if codec == "utf-8-sig" else "byte order mark"
    if b"\x00" in head[:_NUL_WINDOW]:
        wide = _wide_unicode(head[:_NUL_WINDOW])
        return (wide, "detected") if wide else None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)  # an unfinished last character is fine
        return "utf-8", ""
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(head):
        return "utf-8", ""
    sample = head[:SAMPLE]
    line_end = sample.rfind(b"\n")
    if line_end >= len(sample) // 2:  # end on a line break, not inside a multi-byte character
        sample = sample[: line_end + 1]
    else:  # no late line break: drop the bytes of a character the sample may cut in two
        sample = sample[:-3] + sample[-3:].rstrip(_HIGH_BYTES)
    return legacy_encoding(sample), "detected"


def looks_like(head: bytes) -> str:
    """What a file whose first bytes are ``head`` looks like, for a reader's refusal: "a PDF", "a PNG image",
    "HTML", …, else "plain text" or "binary data"."""
    what = not_a_pdf(head)
    if what is None:
        return "a PDF"
    return what or ("plain text" if detect_encoding(head) else "binary data")


def legacy_encoding(sample: bytes) -> str:
    """The legacy encoding chardet finds most likely for ``sample``; Windows-1252 when it finds none, since
    every byte means something there. chardet rather than charset-normalizer: on short texts (a note, a
    few lines) charset-normalizer read Windows-1252 French as Windows-1250 and KOI8-R Russian as Shift-JIS,
    where chardet named both right (tests/test_text_encodings.py)."""
    import chardet

    found = chardet.detect(sample).get("encoding")
    chosen = _codec_name(found) if found else "cp1252"
    return "utf-8" if chosen in ("ascii", "utf-8-sig") else chosen


def encoding_label(codec: str) -> str:
    """A codec's name as people know it: ``cp1252`` → ``Windows-1252``, ``koi8_r`` → ``KOI8-R``."""
    name = _codec_name(codec)
    if name in _LABELS:
        return _LABELS[name]
    if re.fullmatch(r"cp125\d", name):
        return f"Windows-{name[2:]}"
    if name.startswith("iso8859-"):
        return f"ISO-8859-{name[8:]}"
    if name.startswith("mac-"):
        return f"Mac {name[4:].title()}"
    return name.upper().replace("-LE", " LE").replace("-BE", " BE").replace("_", "-")


def _codec_name(codec: str) -> str:
    """Python's canonical name for ``codec`` (``latin_1`` → ``iso8859-1``), or ``codec`` when unknown."""
    try:
        return codecs.lookup(codec).name
    except LookupError:
        return codec


def _wide_unicode(window: bytes) -> str | None:
    """``utf-32-le``/``-be`` or ``utf-16-le``/``-be`` when ``window``'s NUL bytes fall where mostly-Latin
    text in that encoding puts them and it decodes cleanly, else ``None``."""
    window = window[: len(window) // 4 * 4]
    if not window:
        return None
    quarters = [window[i::4].count(0) / (len(window) // 4) for i in range(4)]
    halves = [(quarters[0] + quarters[2]) / 2, (quarters[1] + quarters[3]) / 2]
    candidates = []
    if min(quarters[2:]) > 0.95 and quarters[0] < 0.05:
        candidates.append("utf-32-le")
    if min(quarters[:2]) > 0.95 and quarters[3] < 0.05:
        candidates.append("utf-32-be")
    # Latin letters and spaces put NULs in the high bytes only; a CJK text has few NULs, but on one side
    if (halves[1] > 0.1 and halves[0] < 0.02) or (halves[1] and not halves[0]):
        candidates.append("utf-16-le")
    if (halves[0] > 0.1 and halves[1] < 0.02) or (halves[0] and not halves[1]):
        candidates.append("utf-16-be")
    for codec in candidates:
        try:
            text = codecs.getincrementaldecoder(codec)().decode(window)
        except UnicodeDecodeError:
            continue
        # binary data with NULs on one side decodes too, into control, private and unassigned characters
        if sum(unicodedata.category(ch) in _NOT_TEXT and ch not in "\t\n\r\f" for ch in text) < 0.01 * len(text):
            return codec
    return None


def _mostly_utf8(head: bytes) -> bool:
    """True when ``head`` is UTF-8 but for a few stray bytes: its valid multi-byte characters outnumber the
    undecodable bytes ten to one (legacy encodings almost never form valid UTF-8 sequences by chance)."""
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = len(head) - len(text)  # bytes beyond the first of each character, nearly all valid ones
    return multibyte >= 10 * bad
