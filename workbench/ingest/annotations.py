"""Comments people put on a PDF page — sticky notes, comments on highlights, text boxes — as passages.

A page's own text never holds a sticky note's words, nor the comment attached to a highlight or a
stamp: MuPDF draws only the icon. Each annotation with a comment becomes a run of its own on its page,
located as what it is ("note by Jane Doe", "comment on a highlight by Ann"), boxed by the annotation,
so a search finds it and the viewer shows where it sits. A text box (FreeText) usually draws its words
on the page, where they are read already: an annotation whose words are all on the page is skipped.
Links, form fields (:func:`~.pdf._form_words`) and pop-up windows (which repeat their parent's comment)
are not comments.
"""

from __future__ import annotations

import pymupdf

from .errors import with_article
from .passages import Word

# What a comment is called, by annotation type (PDF 32000, 12.5.6); others are "comment on a <type>".
_KINDS = {"Text": "note", "FreeText": "text box", "Stamp": "stamp", "FileAttachment": "attachment note"}
_NOT_COMMENTS = {"Link", "Widget", "Popup"}
MAX_COMMENT_CHARS = 20_000  # a comment longer than this is cut (a hostile file could hold megabytes)


def page_comments(page: pymupdf.Page, page_words: list[Word]) -> list[tuple[str, list[Word]]]:
    """``(location, words)`` of each comment on ``page`` not already in ``page_words`` (its text), in the
    page's annotation order; ``[]`` when it has none or they cannot be read."""
    on_page = {w.text.lower() for w in page_words}
    out: list[tuple[str, list[Word]]] = []
    try:
        annots = list(page.annots())
    except Exception:
        return []
    for n, annot in enumerate(annots):
        try:
            kind = annot.type[1]
            info = annot.info
            r = annot.rect
        except Exception:
            continue  # one damaged annotation loses only itself
        text = str(info.get("content") or "")[:MAX_COMMENT_CHARS]
        words = [t for t in text.split() if t.isprintable()]
        if kind in _NOT_COMMENTS or not words or all(t.lower() in on_page for t in words):
            continue
        author = " ".join(str(info.get("title") or "").split())[:80]
        what = _KINDS.get(kind, f"comment on {with_article(kind).lower()}")
        box = (r.x0, r.y0, r.x1, r.y1)
        out.append((what + (f" by {author}" if author else ""), [Word(t, n, 0, box) for t in words]))
    return out
