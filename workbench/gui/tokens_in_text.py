"""Map encoder tokens back onto the passage text, so the GUI can tint and bold the words themselves.

Word-piece tokens (``##ing``) are searched for in order, case-insensitively, from where the previous
token ended; a token that cannot be found (accents the tokenizer stripped, say) gets no span.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence


def _fold(text: str) -> str:
    """Lower-case and strip accents, as uncased BERT tokenizers do, keeping one char per char."""
    return "".join(unicodedata.normalize("NFD", ch)[0].lower() if ch else ch for ch in text)


def token_spans(text: str, tokens: Sequence[str]) -> list[tuple[int, int] | None]:
    """Character span of each token in ``text`` (``None`` where it is not found)."""
    folded = _fold(text)
    spans: list[tuple[int, int] | None] = []
    cursor = 0
    for tok in tokens:
        piece = _fold(tok[2:] if tok.startswith("##") else tok)
        at = folded.find(piece, cursor) if piece else -1
        if at < 0 or at - cursor > 200:  # not found nearby: leave it unplaced, keep the cursor
            spans.append(None)
            continue
        spans.append((at, at + len(piece)))
        cursor = at + len(piece)
    return spans


def tinted_html(
    text: str,
    spans: Sequence[tuple[int, int] | None],
    weights: Sequence[float],
    bold: Sequence[bool],
    color: tuple[int, int, int] = (255, 170, 0),
) -> str:
    """HTML of ``text`` with each placed token's background alpha set by its weight (0..1)."""
    marks = sorted((s[0], s[1], w, b) for s, w, b in zip(spans, weights, bold) if s is not None)
    out, pos = [], 0
    for start, end, weight, strong in marks:
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        alpha = max(0.0, min(1.0, weight))
        style = f"background-color: rgba({color[0]},{color[1]},{color[2]},{alpha:.2f});"
        inner = html.escape(text[start:end])
        out.append(f'<span style="{style}">{"<b>" + inner + "</b>" if strong else inner}</span>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)
