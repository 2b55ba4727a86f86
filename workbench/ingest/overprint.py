"""Text drawn twice over itself — overprinting for a bold or shadow effect — read once.

Typewriter-era documents and some PDF producers make a word bold by drawing it again a fraction of a
point to the side; MuPDF then extracts every word twice, and the page's passage would hold its text twice
(and win twice in a search). A word whose text equals that of a word already on the page, with boxes
overlapping by more than half their union, is that second drawing and is dropped.
"""

from __future__ import annotations

from collections import defaultdict

from .passages import Box, Word

OVERLAP = 0.5  # intersection over union above which two boxes of the same word are one drawing


def drop_overprints(words: list[Word]) -> tuple[list[Word], int]:
    """``(words without second drawings, how many were dropped)``; words without a box are kept."""
    seen: dict[str, list[Box]] = defaultdict(list)
    kept: list[Word] = []
    for w in words:
        if w.box is not None and any(_iou(w.box, b) > OVERLAP for b in seen[w.text]):
            continue
        if w.box is not None:
            seen[w.text].append(w.box)
        kept.append(w)
    return kept, len(words) - len(kept)


def _iou(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
