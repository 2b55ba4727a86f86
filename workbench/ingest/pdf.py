"""PDF pages → words with boxes, through PyMuPDF. Every opened file is treated as hostile.

A document is opened only if its bytes are a PDF (:mod:`.sniff`); a file cut short or with a damaged
page tree is named as such. Pages are read one at a time and each in isolation: a page that cannot be
read, or whose text is undecodable, is reported and the others are indexed. A page without usable
text is OCR'd where Tesseract is available (:mod:`.ocr`), and otherwise reported with its cause. Filled
form fields and the content of XFA forms are indexed too; an encrypted attachment is skipped while
the pages (stored unencrypted) are read.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from ..platform.messages import first_line
from .annotations import page_comments
from .errors import IngestError
from .files import NOT_REGULAR, is_regular, open_regular
from .hyphenation import join_line_end_hyphens
from .overprint import drop_overprints
from .page_health import undecodable_text, why_no_text
from .passages import Word
from .sniff import HEAD_BYTES, not_a_pdf
from .xfa import has_xfa, needs_rendering, xfa_lines

pymupdf.TOOLS.mupdf_display_errors(False)  # MuPDF's own stderr chatter is not for people; we report
pymupdf.TOOLS.mupdf_display_warnings(False)

# Dehyphenation is done on words (:mod:`.hyphenation`): MuPDF's flag does not reach the word list.
# CID_FOR_UNKNOWN_UNICODE: a glyph without a Unicode mapping keeps its code instead of becoming U+FFFD,
# which keeps word spaces drawn with a .notdef glyph as spaces ("Words�that" → "Words that").
TEXT_FLAGS = pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_CID_FOR_UNKNOWN_UNICODE


@dataclass(frozen=True)
class PageFacts:
    """What reading one page gave: ``source`` of its words (``text``, ``ocr``, ``form``, ``xfa``, or
    ``none``), its ``label`` (``''`` without page labels), ``problem`` why it gave no usable text, and
    ``ocr_seconds`` spent on it."""

    number: int
    label: str
    source: str
    problem: str | None = None
    ocr_seconds: float = 0.0


@dataclass
class OpenPdf:
    """An opened PDF and what its opening found. ``locked_attachments``: only embedded files are
    encrypted (pages are read without a password, the attachments are skipped)."""

    doc: pymupdf.Document
    locked_attachments: bool = False
    notes: list[str] = field(default_factory=list)

    def page(self, index: int) -> pymupdf.Page:
        """Page ``index`` (0-based). With attachment-only encryption PyMuPDF's guard refuses every page,
        although page content is stored unencrypted; MuPDF itself reads it."""
        if self.locked_attachments:
            return pymupdf.Page(pymupdf.mupdf.fz_load_page(self.doc.this, index), self.doc)
        return self.doc[index]

    def close(self) -> None:
        self.doc.close()


def open_pdf(path: Path) -> OpenPdf:
    """Open a PDF for reading or raise :class:`IngestError` with the real cause in one line."""
    if not is_regular(path):
        raise IngestError(NOT_REGULAR if path.exists() else "no such file")
    with open_regular(path) as fh:
        head = fh.read(HEAD_BYTES)
        fh.seek(max(0, fh.seek(0, 2) - HEAD_BYTES))
        tail = fh.read(HEAD_BYTES)
        what = not_a_pdf(head)
        if what is not None:
            raise IngestError(
                f"not a PDF (looks like {what})"
                if what
                else "not a PDF (no %PDF- header in its first kilobyte; damaged or another format)"
            )
        try:
            if utf8_name(path):
                doc = pymupdf.open(path, filetype="pdf")
            else:  # MuPDF takes UTF-8 file names only; hand it the bytes instead
                fh.seek(0)
                doc = pymupdf.open(stream=fh.read(), filetype="pdf")
        except Exception as exc:  # PyMuPDF raises several types for damaged files
            raise IngestError(f"not a readable PDF (damaged: {short_reason(exc)})") from None
    pdf = OpenPdf(doc)
    try:
        _check(pdf, tail)
    except BaseException:
        doc.close()
        raise
    return pdf


def _check(pdf: OpenPdf, tail: bytes) -> None:
    doc = pdf.doc
    if not doc.is_pdf:
        raise IngestError("not a PDF (its content is another format)")
    if doc.needs_pass and not doc.authenticate(""):
        if not _only_attachments_encrypted(doc):
            raise IngestError("the PDF is encrypted and needs a password")
        pdf.locked_attachments = True
        pdf.notes.append("its embedded files are encrypted and were skipped (the pages are not)")
    try:
        count = doc.page_count
    except Exception as exc:
        raise IngestError(f"damaged PDF: its page tree is invalid ({short_reason(exc)})") from None
    if count == 0:
        if b"%%EOF" not in tail:  # every complete PDF ends with %%EOF; a cut-short file loses it
            raise IngestError("damaged or truncated PDF: no page could be read (the file may have been cut short)")
        raise IngestError(
            "the PDF has no pages" + (" (its structure was damaged and repaired)" if doc.is_repaired else "")
        )
    try:
        names = doc.embfile_names()
    except Exception:
        names = []
    if names and not pdf.locked_attachments:
        pdf.notes.append(f"embedded files not indexed: {', '.join(names[:5])}" + (" …" if len(names) > 5 else ""))


def _only_attachments_encrypted(doc: pymupdf.Document) -> bool:
    """The encryption dictionary leaves streams and strings unencrypted (``/Identity``): only embedded
    files (``/EFF``) are encrypted."""
    try:
        key = lambda k: doc.xref_get_key(-1, k)  # noqa: E731
        return (
            key("Encrypt")[0] != "null"
            and key("Encrypt/StmF") == ("name", "/Identity")
            and key("Encrypt/StrF") == ("name", "/Identity")
        )
    except Exception:
        return False


def pdf_pages(pdf: OpenPdf, facts: list[PageFacts], ocr: bool = True) -> Iterator[tuple[int, str, list[Word]]]:
    """Yield ``(page_number, location, words)`` page by page (1-based): the page's words (location ``""``),
    then each comment on it (:func:`~.annotations.page_comments`: "note by Jane Doe"), appending one
    :class:`PageFacts` per page to ``facts``; the words of an XFA form follow as page 1. Closes the
    document when done."""
    from .ocr import OcrJunk, OcrUnavailable, ocr_upright

    doc = pdf.doc
    placeholder = has_xfa(doc) and needs_rendering(doc)
    vocabulary: set[str] = set()
    turned: list[str] = []  # pages OCR read turned upright: "3 (90°)"
    commented: list[int] = []  # the page of each comment indexed
    overprinted: list[int] = []  # pages whose text was drawn twice over itself
    try:
        for i in range(doc.page_count):
            try:
                page = pdf.page(i)
                label = _label(page)
                textpage = None if placeholder else page.get_textpage(flags=TEXT_FLAGS)
                raw = page.get_text("words", textpage=textpage) if textpage is not None else []
                # Judged on the page's raw text: the word list has already lost the control characters a
                # font without a Unicode map extracts to (MuPDF splits words at them).
                undecodable = textpage is not None and undecodable_text(page.get_text("text", textpage=textpage))
            except Exception as exc:
                facts.append(PageFacts(i + 1, "", "none", f"unreadable ({short_reason(exc)})"))
                continue
            words, twice = ([], 0) if undecodable else drop_overprints(_words(raw))
            if twice:
                overprinted.append(i + 1)
            source, problem, seconds = "text", None, 0.0
            if not words and not placeholder:
                words = _form_words(page)
                source = "form"
            if not words and not placeholder:
                problem, ocr_may_help = why_no_text(page, undecodable)
                source = "none"
                if ocr_may_help and ocr:
                    started = time.perf_counter()
                    try:
                        read, turn = ocr_upright(page)
                        words = _words(read)
                        source = "ocr" if words else "none"
                        problem = None if words else f"{problem}; OCR found no text"
                        if words and turn:
                            turned.append(f"{i + 1} ({turn}°)")
                    except (OcrUnavailable, OcrJunk) as exc:
                        problem = f"{problem}; {exc}"
                    except Exception as exc:
                        problem = f"{problem}; OCR failed ({short_reason(exc)})"
                    seconds = time.perf_counter() - started
                elif ocr_may_help:
                    problem = f"{problem}; OCR is off"
            if placeholder:
                source, problem = "xfa", None  # a placeholder; the form's content follows from its XFA data
            vocabulary.update(w.text.lower() for w in words)
            facts.append(PageFacts(i + 1, label, source, problem, seconds))
            if words:
                yield i + 1, "", join_line_end_hyphens(words, vocabulary)
            for location, comment in page_comments(page, words):
                commented.append(i + 1)
                yield i + 1, location, comment
        if commented:
            n = len(commented)
            pdf.notes.append(
                f"{n} comment{'s' if n > 1 else ''} indexed (notes and annotations on {_pages(commented)})"
            )
        if overprinted:
            pdf.notes.append(f"text drawn twice over itself (bold by overprinting) read once on {_pages(overprinted)}")
        if turned:
            pdf.notes.append(
                f"scanned turned: OCR read page{'s' if len(turned) > 1 else ''} {', '.join(turned)} upright"
            )
        if has_xfa(doc):
            lines = xfa_lines(doc)
            if lines:
                pdf.notes.append(f"XFA form: {len(lines)} captions and values indexed as page 1")
                yield 1, "", [Word(w, block, 0) for block, line in enumerate(lines) for w in line.split()]
            else:
                pdf.notes.append("XFA form: its content is not in the page text and could not be read")
    finally:
        pdf.close()


def _pages(numbers: list[int]) -> str:
    """ "page 3" or "pages 1, 2, 5" for the distinct page ``numbers``."""
    distinct = sorted(set(numbers))
    return f"page{'s' if len(distinct) > 1 else ''} " + ", ".join(map(str, distinct))


def no_text_reason(facts: list[PageFacts]) -> str:
    """Why a PDF gave no passage, from its pages' problems: the most common one, with its pages."""
    problems = Counter(f.problem for f in facts if f.problem)
    if not problems:
        return "no extractable text on any page"
    problem, n = problems.most_common(1)[0]
    where = (
        "its only page" if len(facts) == 1 else (f"all {n} pages" if n == len(facts) else f"{n} of {len(facts)} pages")
    )
    return f"no extractable text ({where}: {problem})"


def _words(raw: list) -> list[Word]:
    return [Word(text, int(w[5]), int(w[6]), (w[0], w[1], w[2], w[3])) for w in raw if (text := _clean(w[4]))]


def _form_words(page: pymupdf.Page) -> list[Word]:
    """The values of filled form fields, each field its own block, boxed by its widget."""
    words: list[Word] = []
    try:
        widgets = list(page.widgets())
    except Exception:
        return []
    for block, widget in enumerate(widgets):
        value = widget.field_value
        if isinstance(value, str) and value.strip() and value not in ("Off", "Yes"):
            r = widget.rect
            words += [Word(_clean(t), block, 0, (r.x0, r.y0, r.x1, r.y1)) for t in value.split() if _clean(t)]
    return words


def _label(page: pymupdf.Page) -> str:
    try:
        return page.get_label() or ""
    except Exception:
        return ""


def utf8_name(path: Path) -> bool:
    """Whether MuPDF can be given ``path`` by name (it takes UTF-8 names only; else hand it the bytes)."""
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable()).strip()


def short_reason(exc: Exception) -> str:
    """An exception as one short line, MuPDF's ``code=N:`` prefix dropped."""
    text = first_line(exc)
    return text.split(": ", 1)[1] if text.startswith("code=") and ": " in text else text
