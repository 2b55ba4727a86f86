"""OCR of a PDF page: words with boxes from PyMuPDF's OCR text page (Tesseract bundled inside MuPDF).

PyMuPDF's wheel carries its own Tesseract; what it lacks is the language data (``eng.traineddata``),
which Debian ships as ``tesseract-ocr-eng`` (``/usr/share/tesseract-ocr/5/tessdata``). The folder is
always passed explicitly (``tessdata=``) so that a wrong guess inside PyMuPDF never reaches Tesseract,
which would print "Failed loading language" to stderr and raise ``FzErrorLibrary``.

Known limits (measured, see the field report): no per-word confidences; a sideways (rotated) page
OCRs as garbage (no orientation detection); on two-column pages the OCR's block/line grouping can run
across both columns.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import io
import os
from pathlib import Path

import pymupdf

OCR_MISSING = (
    "OCR needs Tesseract's English data: apt-get install tesseract-ocr tesseract-ocr-eng (or set TESSDATA_PREFIX)"
)

# Where Debian/Ubuntu (tesseract-ocr-<lang>: /usr/share/tesseract-ocr/<major>/tessdata) and Fedora/Arch
# (/usr/share/tessdata) put the language data; newest major version first.
_SYSTEM_GLOBS = ("/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata")

# A kept token has at least this share of letters/digits (str.isalnum, so any script counts).
_MIN_ALNUM_SHARE = 0.6


class OcrUnavailable(Exception):
    """No Tesseract language data was found; ``str(err)`` says how to install it (one line)."""


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
    tessdata = find_tessdata(language)
    if tessdata is None:
        raise OcrUnavailable(unavailable_reason(language))
    textpage = page.get_textpage_ocr(
        flags=pymupdf.TEXT_MEDIABOX_CLIP, language=language, dpi=dpi, full=True, tessdata=str(tessdata)
    )
    words = page.get_text("words", textpage=textpage)
    kept = [w for w in words if keep_token(w[4])]
    lines_with_words = {(w[5], w[6]) for w in kept}
    return [
        w for w in words if keep_token(w[4]) or (len(w[4]) == 1 and w[4].isalnum() and (w[5], w[6]) in lines_with_words)
    ]


__all__ = ["OCR_MISSING", "OcrUnavailable", "find_tessdata", "keep_token", "ocr_words", "unavailable_reason"]
