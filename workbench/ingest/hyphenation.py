"""Rejoin words split by a hyphen at a line end ("allevi-" + "ate" → "alleviate").

MuPDF's dehyphenate flag applies only to plain-text output, not to the word list passages are built
from (and there it also glues compounds across lines), so the join is done here, on words:

* the left part ends in a letter and a hyphen (U+002D, soft hyphen U+00AD, or U+2010), and the right
  part starts a new line below or to the left (a wrap, not a reading-order jump to a figure);
* the right part continues the word: it starts lower-case (or both sides are upper-case, "LO-CATION");
* compounds written with a hyphen mid-line are one word already and never match; a line-end compound
  keeps its hyphen when the hyphenated form occurs elsewhere in the document and the solid one does not
  ("F-" + "score" → "F-score"), or when the left part already holds a hyphen ("state-of-the-" + "art").

Without a dictionary a few compounds broken at their own hyphen join solid ("post-season" →
"postseason"); measured on an 8-page paper: 110 joins, 4 of that kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .passages import Word

HYPHENS = "-\u00ad\u2010"
_LEFT = re.compile(rf"^(.*[^\W\d_])[{HYPHENS}]$")
_CORE = re.compile(r"^[^\w]+|[^\w]+$")


def join_line_end_hyphens(words: list[Word], vocabulary: Iterable[str] = ()) -> list[Word]:
    """``words`` with each line-end split rejoined into one word whose boxes cover both halves.

    ``vocabulary``: lower-cased words seen elsewhere in the document (decides whether a hyphen stays).
    """
    known = set(vocabulary)
    out: list[Word] = []
    i = 0
    while i < len(words):
        left = words[i]
        right = words[i + 1] if i + 1 < len(words) else None
        if right is not None and _is_line_end_split(left, right):
            out.append(
                Word(
                    _joined(left.text, right.text, known),
                    left.block,
                    left.line,
                    left.box,
                    left.more + ((right.block, right.line, right.box),) + right.more,
                )
            )
            i += 2
            continue
        out.append(left)
        i += 1
    return out


def _is_line_end_split(left: Word, right: Word) -> bool:
    m = _LEFT.match(left.text)
    if not m or (right.block, right.line) == (left.block, left.line):
        return False
    if left.box is not None and right.box is not None:
        new_block = right.block != left.block
        below = right.box[1] >= left.box[1] + 0.5 * (left.box[3] - left.box[1])
        if not (new_block or below or right.box[0] < left.box[0]):
            return False  # MuPDF gave a glyph of the same visual line its own line number
    first = right.text[:1]
    return first.islower() or (m.group(1)[-1:].isupper() and first.isupper())


def _joined(left: str, right: str, known: set[str]) -> str:
    stem = left[:-1]
    solid = (_CORE.sub("", stem) + _CORE.sub("", right)).lower()
    hyphenated = (_CORE.sub("", stem) + "-" + _CORE.sub("", right)).lower()
    if any(h in stem for h in HYPHENS) or (hyphenated in known and solid not in known):
        return stem + "-" + right
    return stem + right
