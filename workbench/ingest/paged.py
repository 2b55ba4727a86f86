"""Paginated documents — PDF and what MuPDF lays out into pages (:mod:`.ebooks`) — opened as hostile,
counted and rendered for the built-in viewer, the same way whatever their format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pymupdf

from .ebooks import Chapters, mupdf_type, open_ebook
from .errors import IngestError
from .passages import Word
from .pdf import OpenPdf, PageFacts, open_pdf, pdf_pages


def open_paged(path: Path) -> OpenPdf:
    """A PDF, EPUB, MOBI, FB2, XPS or CBZ file opened for reading (by its suffix); :class:`IngestError` with
    the cause in one line for a file that is gone, not what its name says, damaged, encrypted or empty."""
    kind = mupdf_type(path)
    return open_ebook(path, kind) if kind else open_pdf(path)


def located_pages(doc: OpenPdf, facts: list[PageFacts], ocr: bool = True) -> Iterator[tuple[int, str, list[Word]]]:
    """``(page, location, words)`` runs of an opened document, page by page (:func:`~.pdf.pdf_pages`, which
    fills ``facts`` and closes it): a PDF page is one run with no location, then a run per comment on it
    ("note by Jane Doe"); an e-book's page is cut where a chapter starts (:class:`~.ebooks.Chapters`)."""
    chapters = None if doc.doc.is_pdf else Chapters(doc.doc)
    for page, location, words in pdf_pages(doc, facts, ocr):
        for place, run in chapters.runs(page, words) if chapters and not location else [(location, words)]:
            yield page, place, run


def is_paged(path: Path) -> bool:
    """Whether ``path``'s type is one the built-in viewer shows page by page."""
    return path.suffix.lower() == ".pdf" or mupdf_type(path) is not None


def page_count(path: Path) -> int:
    """How many pages the document at ``path`` has (≥ 1), as :func:`open_paged` lays it out. Raises
    :class:`IngestError` in one plain line for a file that is gone, damaged, cut short or encrypted."""
    doc = open_paged(path)
    try:
        return int(doc.doc.page_count)
    finally:
        doc.close()


def render_page(path: Path, page_number: int, zoom: float = 1.5) -> tuple[np.ndarray, tuple[float, ...]]:
    """Page ``page_number`` (1-based) as an RGB uint8 array ``[h, w, 3]``, and the affine map
    ``(a, b, c, d, e, f)`` from the page's unrotated points (where word boxes live) to pixels:
    ``x' = a·x + c·y + e``, ``y' = b·x + d·y + f`` (the page's rotation, then the zoom)."""
    doc = open_paged(path)
    try:
        if not 1 <= page_number <= doc.doc.page_count:
            raise IngestError(f"page {page_number} is outside 1..{doc.doc.page_count}")
        page = doc.page(page_number - 1)
        zoomed = pymupdf.Matrix(zoom, zoom)
        pix = page.get_pixmap(matrix=zoomed, alpha=False)
        rgb = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3]
        m = page.rotation_matrix * zoomed
        return np.ascontiguousarray(rgb), (m.a, m.b, m.c, m.d, m.e, m.f)
    finally:
        doc.close()
