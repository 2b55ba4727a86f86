"""PDF pages → words with boxes, through PyMuPDF. Every opened file is treated as hostile."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pymupdf

from .errors import IngestError
from .files import NOT_REGULAR, is_regular, open_regular
from .passages import Word

pymupdf.TOOLS.mupdf_display_errors(False)  # MuPDF's own stderr chatter is not for people; we report


def open_pdf(path: Path) -> "pymupdf.Document":
    """Open a PDF for reading or raise :class:`IngestError` with a plain reason."""
    if not is_regular(path):
        raise IngestError(NOT_REGULAR if path.exists() else "no such file")
    try:
        if _utf8_name(path):
            doc = pymupdf.open(path, filetype="pdf")
        else:  # MuPDF takes UTF-8 file names only; hand it the bytes instead
            with open_regular(path) as fh:
                doc = pymupdf.open(stream=fh.read(), filetype="pdf")
    except IngestError:
        raise
    except Exception as exc:  # PyMuPDF raises several types for damaged files
        raise IngestError(f"not a readable PDF (damaged or not a PDF: {_short(exc)})") from None
    if doc.needs_pass and not doc.authenticate(""):
        doc.close()
        raise IngestError("the PDF is encrypted and needs a password")
    if doc.page_count == 0:
        doc.close()
        raise IngestError("the PDF has no pages")
    return doc


def pdf_pages(doc: "pymupdf.Document") -> Iterator[tuple[int, list[Word]]]:
    """Yield ``(page_number, words)`` page by page (page numbers 1-based); closes ``doc`` when done."""
    try:
        for i in range(doc.page_count):
            try:
                raw = doc[i].get_text("words", flags=pymupdf.TEXT_DEHYPHENATE | pymupdf.TEXT_MEDIABOX_CLIP)
            except Exception as exc:
                raise IngestError(f"page {i + 1} could not be read ({_short(exc)})") from None
            words = [Word(_clean(w[4]), int(w[5]), int(w[6]), (w[0], w[1], w[2], w[3]))
                     for w in raw if _clean(w[4])]
            yield i + 1, words
    finally:
        doc.close()


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable()).strip()


def _short(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:160]


def render_page(path: Path, page_number: int, zoom: float = 1.5) -> tuple[np.ndarray, float]:
    """Page ``page_number`` (1-based) as an RGB uint8 array ``[h, w, 3]`` and the points→pixels scale."""
    doc = open_pdf(path)
    try:
        if not 1 <= page_number <= doc.page_count:
            raise IngestError(f"page {page_number} is outside 1..{doc.page_count}")
        pix = doc[page_number - 1].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
        rgb = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3]
        return np.ascontiguousarray(rgb), zoom
    finally:
        doc.close()
