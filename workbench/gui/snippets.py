"""Snippets of the hit list: each hit's text around the words its query tokens matched, those words bold,
and its page as a person reads it. Pure Python and NumPy, no Qt: a search worker makes them."""

from __future__ import annotations

import html

import numpy as np

from ..core import Hit, SearchResult
from .tokens_in_text import token_spans

MATCH_THRESHOLD = 0.5  # a passage token counts as "matched" when it is some query token's argmax at ≥ this
SNIPPET_CHARS = 220


def snippet_html(text: str, tokens, best_sims: dict[int, float]) -> str:
    """A window of ``text`` around the first matched token, matched words in bold."""
    spans = token_spans(text, tokens)
    strong = sorted(spans[j] for j, s in best_sims.items() if s >= MATCH_THRESHOLD and j < len(spans) and spans[j])
    start = max(0, strong[0][0] - 60) if strong else 0
    end = min(len(text), start + SNIPPET_CHARS)
    out, pos = ["…" if start else ""], start
    for a, b in strong:
        if a < pos or b > end:
            continue
        out += [html.escape(text[pos:a]), f"<b>{html.escape(text[a:b])}</b>"]
        pos = b
    out += [html.escape(text[pos:end]), "…" if end < len(text) else ""]
    return "".join(out)


def page_text(hit: Hit) -> str:
    """ "3", "3 (iii)" where the PDF labels the page otherwise, "3 · chapter “Storm”" where the format has its
    own location too, and "· OCR" for words read by OCR; an unpaged source's own location ("slide 3", "sheet
    “Q1”, A1:F25") or "—"."""
    if hit.page is None:
        return hit.location or "—"
    info = hit.info
    label = f" ({info.page_label})" if info is not None and info.page_label and info.page_label != str(hit.page) else ""
    where = f" · {hit.location}" if hit.location else ""
    return f"{hit.page}{label}{where}" + (" · OCR" if info is not None and info.text_source == "ocr" else "")


def hit_snippet(result: SearchResult, hit: Hit) -> str:
    """The snippet of one hit: its text around the words its query tokens matched best."""
    if hit.info is None:
        return ""
    al = result.alignment(hit)
    best: dict[int, float] = {}
    for j, s in zip(al.best.tolist(), al.row_max.tolist()):
        best[j] = max(best.get(j, -np.inf), s)
    return snippet_html(hit.info.text, hit.info.tokens, best)


def hit_snippets(result: SearchResult | None) -> tuple[str, ...]:
    """Every hit's snippet. Pure Python and NumPy, no Qt: a search worker makes them, so that the UI
    thread only shows them (token matching costs about a millisecond per hit)."""
    return tuple(hit_snippet(result, h) for h in result.hits) if result is not None else ()
