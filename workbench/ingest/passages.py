"""Cut a page's words into passages of bounded token length, keeping page, order and boxes.

A passage never crosses a page. It is cut before it would exceed ``max_tokens``; once it is at least
``SOFT_FILL`` full it is cut at the next block or sentence end instead, so passages tend to end where
the text does. Word boxes are merged per line into the rectangles a viewer highlights.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice

from ..core.scripts import join_words

Box = tuple[float, float, float, float]
TokenCounter = Callable[[Sequence[str]], list[int]]

SOFT_FILL = 0.6
COUNT_BATCH = 4096  # words whose tokens are counted in one tokenizer call
_SENTENCE_END = re.compile(r"[.!?;:]['\")\]]*$")
_PIECES = re.compile(r"\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Word:
    """A word in reading order; ``block``/``line`` group words as the source laid them out. ``more``:
    further ``(block, line, box)`` parts of a word the source split (a hyphenated line end), so the
    highlight still covers every part."""

    text: str
    block: int = 0
    line: int = 0
    box: Box | None = None
    more: tuple[tuple[int, int, Box | None], ...] = ()


@dataclass
class PassageDraft:
    """A passage before it is encoded: ``page`` 1-based or ``None``; ``boxes`` one rectangle per line;
    ``source_key`` the record inside the file (BEIR ``_id``, a mail message); ``location`` where it is in
    its format's terms (``""`` where the page says it)."""

    page: int | None
    text: str
    boxes: list[Box] = field(default_factory=list)
    source_key: str | None = None
    location: str = ""


def approx_token_counts(words: Sequence[str]) -> list[int]:
    """Word-piece count estimate used when no tokenizer is given: pieces, long ones split in 6s."""
    return [max(1, sum(math.ceil(len(p) / 6) for p in _PIECES.findall(w))) for w in words]


def line_boxes(words: Sequence[Word]) -> list[Box]:
    """One bounding rectangle per (block, line) of the words that carry boxes, in reading order."""
    merged: dict[tuple[int, int], list[float]] = {}
    for key, box in (
        (k, b) for w in words for k, b in [((w.block, w.line), w.box)] + [((blk, ln), bx) for blk, ln, bx in w.more]
    ):
        if box is None:
            continue
        if key not in merged:
            merged[key] = list(box)
        else:
            b = merged[key]
            b[0], b[1] = min(b[0], box[0]), min(b[1], box[1])
            b[2], b[3] = max(b[2], box[2]), max(b[3], box[3])
    return [tuple(round(v, 2) for v in b) for b in merged.values()]  # type: ignore[misc]


def iter_passages(
    words: Iterable[Word],
    page: int | None,
    max_tokens: int,
    count_tokens: TokenCounter = approx_token_counts,
    source_key: str | None = None,
    location: str = "",
) -> Iterator[PassageDraft]:
    """Passages of at most ``max_tokens`` tokens (a single longer word stands alone), as the words
    arrive: tokens are counted ``COUNT_BATCH`` words at a time, so memory stays bounded however long
    the source is."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    current: list[Word] = []
    used = 0
    for word, n, nxt in _counted(words, count_tokens):
        if current and used + n > max_tokens:
            yield PassageDraft(page, join_words(w.text for w in current), line_boxes(current), source_key, location)
            current, used = [], 0
        current.append(word)
        used += n
        at_boundary = nxt is None or nxt.block != word.block or bool(_SENTENCE_END.search(word.text))
        if at_boundary and used >= SOFT_FILL * max_tokens:
            yield PassageDraft(page, join_words(w.text for w in current), line_boxes(current), source_key, location)
            current, used = [], 0
    if current:
        yield PassageDraft(page, join_words(w.text for w in current), line_boxes(current), source_key, location)


def cut_passages(
    words: Iterable[Word],
    page: int | None,
    max_tokens: int,
    count_tokens: TokenCounter = approx_token_counts,
    source_key: str | None = None,
) -> list[PassageDraft]:
    """:func:`iter_passages` as a list."""
    return list(iter_passages(words, page, max_tokens, count_tokens, source_key))


def _counted(words: Iterable[Word], count_tokens: TokenCounter) -> Iterator[tuple[Word, int, Word | None]]:
    """``(word, its token count, the next word or None)``, counting a bounded batch at a time."""
    it = iter(words)
    batch = list(islice(it, COUNT_BATCH))
    while batch:
        counts = count_tokens([w.text for w in batch])
        following = list(islice(it, COUNT_BATCH))
        for i, (word, n) in enumerate(zip(batch, counts)):
            yield word, n, batch[i + 1] if i + 1 < len(batch) else (following[0] if following else None)
        batch = following
