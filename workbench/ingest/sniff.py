"""What a file really is, from its first bytes: a ``.pdf`` name is a claim, not a fact.

MuPDF sniffs content itself and happily opens an HTML page saved as ``x.pdf`` with its HTML engine, so
the PDF header is checked first. The PDF specification allows bytes before ``%PDF-``; readers accept
it within the first kilobyte, and so does this check.
"""

from __future__ import annotations

HEAD_BYTES = 1024
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (DOCX, ODT or EPUB?)"),
    (b"%!PS", "PostScript"),
    (b"\x1f\x8b", "gzip data"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file"),
    (b"{\\rtf", "RTF"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)


def not_a_pdf(head: bytes) -> str | None:
    """``None`` when ``head`` (a file's first bytes) starts a PDF; else what it looks like instead (``""``
    when it looks like nothing known)."""
    if b"%PDF-" in head[:HEAD_BYTES]:
        return None
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:512] or b"<body" in text:
        return "HTML"
    if text.startswith((b"<?xml", b"<svg")):
        return "XML or SVG"
    return "an empty file" if not head else ""
