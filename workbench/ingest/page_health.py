"""Is a page's extracted text real text? And if a page has none, why?

Undecodable text is detected by its characters: replacement characters (U+FFFD, U+FFFF), private-use
and control characters are what a font without a Unicode mapping extracts to. A page where they are a
large share of the characters is treated like a page without text (OCR'd or reported), never indexed
as good text. A page without text is an image, an empty form, text in such a font, or blank — each
reported as such.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import pymupdf

BAD_SHARE = 0.25  # above this share of undecodable characters a page's text is junk


def bad_char(c: str) -> bool:
    cat = unicodedata.category(c)
    return c in "\ufffd\uffff\ufffe" or cat in ("Co", "Cs") or (cat == "Cc" and c not in "\t\n\r")


def bad_share(texts: Sequence[str]) -> float:
    """Share of undecodable characters among the non-space characters of ``texts``."""
    chars = [c for t in texts for c in t if not c.isspace()]
    return sum(map(bad_char, chars)) / len(chars) if chars else 0.0


def fonts_without_unicode(page: pymupdf.Page) -> list[str]:
    """Names of the page's fonts that map glyphs to no Unicode: Type3 or Identity-encoded CID fonts with
    no ``/ToUnicode`` (a missing ``/ToUnicode`` alone is normal for standard fonts)."""
    doc, found = page.parent, []
    try:
        fonts = page.get_fonts()
    except Exception:
        return []
    for xref, _ext, ftype, name, *_ in fonts:
        if xref <= 0:
            continue
        try:
            if doc.xref_get_key(xref, "ToUnicode")[0] == "null" and (
                ftype == "Type3" or doc.xref_get_key(xref, "Encoding")[1] in ("/Identity-H", "/Identity-V")
            ):
                found.append(name or ftype)
        except Exception:
            continue
    return found


def why_no_text(page: pymupdf.Page, undecodable: bool) -> tuple[str, bool]:
    """``(reason, ocr_may_help)`` for a page whose text is missing or undecodable."""
    if not page.parent.is_pdf:  # a comic book's or e-book's page image: no fonts or form fields to blame
        return "no text on the page (an image?)", True
    fonts = fonts_without_unicode(page)
    if undecodable or fonts:
        what = (
            f"font{'s' if len(fonts) > 1 else ''} without Unicode mapping ({', '.join(fonts)})"
            if fonts
            else "undecodable characters"
        )
        return f"text present but not extractable: {what}", True
    try:
        images = len(page.get_images())
    except Exception:
        images = 0
    if images:
        return "image-only page (scanned?)", True
    try:
        widgets = list(page.widgets())
    except Exception:
        widgets = []
    if widgets:
        return f"a form without text ({len(widgets)} empty field{'s' if len(widgets) > 1 else ''})", False
    return "blank page", False
