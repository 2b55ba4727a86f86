"""Is a page's extracted text real text? And if a page has none, why?

Undecodable text is detected by its characters: replacement characters (U+FFFD, U+FFFF), private-use
and control characters are what a font without a Unicode mapping extracts to, and a broken mapping
gives letters of many scripts in turn. A page where they are a large share of the characters (measured
on its raw text, before words are cut at control characters) is treated like a page without text (OCR'd
or reported), never indexed as good text. A page without text is an image, an empty form, text in such
a font, or blank — each reported as such.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import pymupdf

BAD_SHARE = 0.25  # above this share of undecodable characters a page's text is junk
SWITCH_SHARE = 0.3  # above this share of letters that change script from the letter before, it is noise
# Scripts written together: Japanese mixes kanji and kana in one word, Korean hangul and hanja, and CJK
# text uses full-width Latin; mathematical letters and modifier letters belong to no script of their own.
_FAMILY = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK", "FULLWIDTH": "CJK", "HALFWIDTH": "CJK"}
_NO_SCRIPT = ("MATHEMATICAL", "MODIFIER", "DOUBLE-STRUCK", "SCRIPT", "BLACK-LETTER")


def bad_char(c: str) -> bool:
    cat = unicodedata.category(c)
    return c in "\ufffd\uffff\ufffe" or cat in ("Co", "Cs") or (cat == "Cc" and c not in "\t\n\r")


def bad_share(texts: Sequence[str]) -> float:
    """Share of undecodable characters among the non-space characters of ``texts``."""
    chars = [c for t in texts for c in t if not c.isspace()]
    return sum(map(bad_char, chars)) / len(chars) if chars else 0.0


def script_switch_share(text: str) -> float:
    """Share of ``text``'s letters whose script differs from the letter before (spaces and punctuation
    skipped). Real text switches script at a few words at most; glyphs extracted through a broken Unicode
    map come out as letters of many scripts in turn ("ЖΩաق ξДחգ"), which is undecodable, not foreign."""
    scripts = [_script(c) for c in text if c.isalpha()]
    scripts = [x for x in scripts if x]
    if len(scripts) < 20:  # too little to judge
        return 0.0
    return sum(a != b for a, b in zip(scripts, scripts[1:])) / len(scripts)


def _script(c: str) -> str:
    """The script of letter ``c`` from its Unicode name ('LATIN', 'CYRILLIC', 'CJK' …; '' for none)."""
    first = unicodedata.name(c, "").split(" ", 1)[0]
    return "" if first in _NO_SCRIPT else _FAMILY.get(first, first)


def undecodable_text(text: str) -> bool:
    """Whether a page's raw text (control characters included) is junk: too many characters without a
    Unicode meaning (:func:`bad_share`), or letters that keep switching script (:func:`script_switch_share`)."""
    return bad_share([text]) > BAD_SHARE or script_switch_share(text) > SWITCH_SHARE


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
