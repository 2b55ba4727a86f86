"""Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar).

PDF extraction often yields one "word" per character for them; joined with spaces, such text neither
reads right nor matches a substring search. ``join_words`` and ``squash_unspaced`` keep their runs whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff"
    "\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
)
UNSPACED_CHAR = re.compile(f"[{UNSPACED}]")
_GAP = re.compile(f"(?<=[{UNSPACED}])\\s+(?=[{UNSPACED}])")


def squash_unspaced(text: str) -> str:
    """``text`` without the whitespace between two characters of unspaced scripts."""
    return _GAP.sub("", text)


def join_words(words: Iterable[str]) -> str:
    """Words joined by spaces, except between two characters of unspaced scripts."""
    out: list[str] = []
    for w in words:
        if out and not (UNSPACED_CHAR.match(out[-1][-1:]) and UNSPACED_CHAR.match(w[:1])):
            out.append(" ")
        out.append(w)
    return "".join(out)
