"""OCR of a PDF page: words with boxes from PyMuPDF's OCR text page (Tesseract bundled inside MuPDF).

PyMuPDF's wheel carries its own Tesseract; what it lacks is the language data (``eng.traineddata``),
which Debian ships as ``tesseract-ocr-eng`` (``/usr/share/tesseract-ocr/5/tessdata``). The folder is
always passed explicitly (``tessdata=``) so that a wrong guess inside PyMuPDF never reaches Tesseract,
which would print "Failed loading language" to stderr and raise ``FzErrorLibrary``.

A page that OCRs to junk (:mod:`.ocr_quality`: too few English words) is read again turned 90°, 270° and
180° — a scan fed sideways or upside down — and the first reading of real words is kept; its word boxes
stay in the page's own (unturned) coordinates, so highlights land where the words are. A page junk in
every orientation raises :class:`OcrJunk`: it is a caveat, never indexed as text.

Known limits (measured, see the field report): no per-word confidences; on two-column pages the OCR's
block/line grouping can run across both columns.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import io
import os
from pathlib import Path

import pymupdf

from .ocr_quality import is_junk

OCR_MISSING = (
    "OCR needs Tesseract's English data: apt-get install tesseract-ocr tesseract-ocr-eng (or set TESSDATA_PREFIX)"
)

# Where Debian/Ubuntu (tesseract-ocr-<lang>: /usr/share/tesseract-ocr/<major>/tessdata) and Fedora/Arch
# (/usr/share/tessdata) put the language data; newest major version first.
_SYSTEM_GLOBS = ("/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata")

# A kept token has at least this share of letters/digits (str.isalnum, so any script counts).
_MIN_ALNUM_SHARE = 0.6


TURNS = (90, 270, 180)  # tried in this order on a junk reading: sideways scans outnumber upside-down ones


class OcrUnavailable(Exception):
    """No Tesseract language data was found; ``str(err)`` says how to install it (one line)."""


class OcrJunk(Exception):
    """OCR read no words in any orientation; ``str(err)`` says what it read instead (one line)."""


def _holds(folder: str | os.PathLike | None, language: str) -> Path | None:
    if not folder:
        return None
    path = Path(folder)
    return path if (path / f"{language}.traineddata").is_file() else None


@functools.cache
def find_tessdata(language: str = "eng") -> Path | None:
    """The folder holding ``<language>.traineddata``, or None when there is none.

    Looked for, in order: ``$TESSDATA_PREFIX`` (or its ``tessdata`` subfolder, the Tesseract 3
    convention); what ``pymupdf.get_tessdata()`` reports (it runs ``tesseract --list-langs``); the
    system folders in ``_SYSTEM_GLOBS``. Cached per language for the life of the process
    (``find_tessdata.cache_clear()`` after changing the environment)."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        found = _holds(prefix, language) or _holds(Path(prefix) / "tessdata", language)
        if found:
            return found
    try:  # it raises RuntimeError when nothing is installed; keep any chatter off the user's terminal
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            reported = pymupdf.get_tessdata()
    except Exception:
        reported = None
    found = _holds(reported, language)
    if found:
        return found
    for pattern in _SYSTEM_GLOBS:
        for folder in sorted(glob.glob(pattern), reverse=True):
            found = _holds(folder, language)
            if found:
                return found
    return None


def unavailable_reason(language: str = "eng") -> str:
    """The one-line reason OCR in ``language`` is off (the Debian package is tesseract-ocr-<language>)."""
    if language == "eng":
        return OCR_MISSING
    return (
        f"OCR needs Tesseract's '{language}' data: apt-get install tesseract-ocr "
        f"tesseract-ocr-{language} (or set TESSDATA_PREFIX)"
    )


def keep_token(text: str) -> bool:
    """Whether an OCR token looks like a word rather than photo noise.

    Kept: at least 2 characters, at least one letter or digit, and letters/digits make up ≥ 60 % of it
    ("back!", "3.14", "e-mail"). Dropped: punctuation and symbol soup ("‘", "*®", "':", ")") and lone
    characters, which in a photo are nearly always noise ("3", "j", "|"); see :func:`ocr_words` for the
    one exception (a lone letter or digit on a line with real words, such as "a" or "I")."""
    alnum = sum(ch.isalnum() for ch in text)
    return len(text) >= 2 and alnum >= 1 and alnum / len(text) >= _MIN_ALNUM_SHARE


def ocr_words(page: pymupdf.Page, dpi: int = 300, language: str = "eng") -> list[tuple]:
    """The words of ``page`` read by OCR (the whole page rendered at ``dpi`` and given to Tesseract).

    Returns the tuples of ``page.get_text("words")``: ``(x0, y0, x1, y1, text, block, line, word)`` —
    a box in PDF points in unrotated page coordinates (like the digital words), the text, and MuPDF's
    block/line/word numbers — in reading order, with noise dropped: tokens failing :func:`keep_token`,
    except a lone letter or digit whose (block, line) also holds a kept token. There are no confidences.

    Costs about 0.35 s for a mostly-photo A4 page at dpi 300 and several seconds for a dense text page
    (2-core machine). Raises :class:`OcrUnavailable` when no language data is found; any error from
    MuPDF/Tesseract propagates unchanged (``FzErrorLibrary`` is not a ``RuntimeError``)."""
    tessdata = _tessdata(language)
    textpage = page.get_textpage_ocr(
        flags=pymupdf.TEXT_MEDIABOX_CLIP, language=language, dpi=dpi, full=True, tessdata=str(tessdata)
    )
    return _kept(page.get_text("words", textpage=textpage))


def _tessdata(language: str) -> Path:
    """:func:`find_tessdata`, or :class:`OcrUnavailable` saying how to install the language's data."""
    tessdata = find_tessdata(language)
    if tessdata is None:
        raise OcrUnavailable(unavailable_reason(language))
    return tessdata


def _kept(words: list[tuple]) -> list[tuple]:
    """OCR words without noise: tokens passing :func:`keep_token`, and a lone letter or digit on a line
    that also holds a kept token."""
    lines_with_words = {(w[5], w[6]) for w in words if keep_token(w[4])}
    return [
        w for w in words if keep_token(w[4]) or (len(w[4]) == 1 and w[4].isalnum() and (w[5], w[6]) in lines_with_words)
    ]


def _ocr_turned(page: pymupdf.Page, turn: int, dpi: int, language: str) -> list[tuple]:
    """:func:`ocr_words` of ``page`` rendered turned by ``turn`` degrees. MuPDF's own OCR of a page given
    a turned ``/Rotate`` renders a landscape page into a portrait-sized image and loses what falls
    outside it, so the turned image is rendered and OCR'd here, and each box mapped back through the
    inverse turn and the page's own rotation into unrotated page coordinates."""
    tessdata = _tessdata(language)
    render = pymupdf.Matrix(dpi / 72, dpi / 72).prerotate(turn)
    pix = page.get_pixmap(matrix=render)
    origin = page.rect * render  # the turned page's rectangle in pixels; the image starts at its corner
    with pymupdf.open("pdf", pix.pdfocr_tobytes(language=language, tessdata=str(tessdata))) as ocr:
        scanned = ocr[0]
        sx, sy = pix.width / scanned.rect.width, pix.height / scanned.rect.height
        back = ~render * page.derotation_matrix
        words = []
        for x0, y0, x1, y1, *rest in scanned.get_text("words"):
            box = pymupdf.Rect(x0 * sx + origin.x0, y0 * sy + origin.y0, x1 * sx + origin.x0, y1 * sy + origin.y0)
            box = box * back
            words.append((box.x0, box.y0, box.x1, box.y1, *rest))
    return _kept(words)


def ocr_upright(page: pymupdf.Page, dpi: int = 300, language: str = "eng") -> tuple[list[tuple], int]:
    """``(words, degrees)``: :func:`ocr_words` of ``page``, turned upright — read as it stands, and when that
    is junk (:func:`~.ocr_quality.is_junk`) turned by each of :data:`TURNS` until a reading is not;
    ``degrees`` is the turn that read it (0: as it stands). Raises :class:`OcrJunk` when every reading is
    junk, :class:`OcrUnavailable` without language data."""
    words = ocr_words(page, dpi, language)
    if not is_junk(w[4] for w in words):
        return words, 0
    first = " ".join(w[4] for w in words[:6])
    for turn in TURNS:
        turned = _ocr_turned(page, turn, dpi, language)
        if not is_junk(w[4] for w in turned):
            return turned, turn
    raise OcrJunk(f"OCR read no words in any orientation (it read “{first} …”)")


__all__ = [
    "OCR_MISSING",
    "OcrJunk",
    "OcrUnavailable",
    "find_tessdata",
    "keep_token",
    "ocr_upright",
    "ocr_words",
    "unavailable_reason",
]
