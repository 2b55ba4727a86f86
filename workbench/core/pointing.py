"""Arabic and Hebrew as a word search should see them: without their optional marks.

Both scripts are mostly written unpointed; vowel marks (Arabic harakat, Hebrew niqqud), cantillation and
the Arabic tatweel (a stretching stroke) appear in scripture, teaching texts and typeset titles. A reader
typing ``كتب`` means ``كَتَبَ`` as well, so the lexical index holds words without these marks, and queries
are read the same way. SQLite's ``remove_diacritics`` folds Latin accents only. As Lucene's
``ArabicNormalizer`` does, Arabic alef forms with hamza or madda become a bare alef, alef maksura a yeh and
teh marbuta a heh — spellings people vary on.

Only marks that are optional in writing are dropped: Thai, Devanagari and other scripts' vowel signs are
letters a word cannot do without, and are kept.
"""

from __future__ import annotations

import re

# Arabic: tanwin, harakat, shadda, sukun, maddah/hamza above and below, subscript alef, and the other
# Quranic annotation marks (U+064B–U+065F), superscript alef (U+0670), small high marks (U+06D6–U+06ED),
# tatweel (U+0640). Hebrew: cantillation and points (U+0591–U+05BD, U+05BF, U+05C1–U+05C2,
# U+05C4–U+05C5, U+05C7).
_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")
_LETTERS = str.maketrans(
    {"\u0622": "\u0627", "\u0623": "\u0627", "\u0625": "\u0627", "\u0649": "\u064a", "\u0629": "\u0647"}
)
POINTABLE = re.compile("[\u0590-\u05ff\u0600-\u06ff]")  # text a fold can change: Hebrew or Arabic


def unpointed(text: str) -> str:
    """``text`` without Arabic and Hebrew optional marks, Arabic letter variants folded (see the module);
    other text is returned as it is."""
    if not POINTABLE.search(text):
        return text
    return _MARKS.sub("", text).translate(_LETTERS)
