"""The text a user typed, as what a search runs: checked as UTF-8, its query syntax read, its words encoded.

:func:`prepare_query` is the one place where a typed query becomes the encoder's text, the lexical
stage's text and the filter of its phrases and exclusions (:mod:`workbench.core.query_syntax`), so that
:meth:`~.facade.Collection.search`, the GUI's staged search and the CLI's Qdrant search read it alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..core import LateQuery, ParsedQuery, PassageFilter, parse_query


def prepare_query(
    text: str, where: PassageFilter | None, encode: Callable[[str], LateQuery]
) -> tuple[LateQuery, PassageFilter | None, ParsedQuery]:
    """``(query, filter, syntax)`` for the typed ``text``: the encoder's words encoded by ``encode`` (the
    lexical stage's text with ``OR`` kept on the query), ``where`` with the phrases and exclusions added
    (``None`` when nothing limits the search) and what was read. Raises ``ValueError`` for text that is
    not UTF-8, an empty query or one that only excludes (:class:`~workbench.core.OnlyExclusions`)."""
    parsed = parse_query(require_utf8(text, "query"))
    query = encode(parsed.encoder_text)
    if parsed.lexical_text != query.text:
        query = replace(query, lexical_text=parsed.lexical_text)
    return query, parsed.where(where), parsed


def require_utf8(text: str, what: str) -> str:
    """``text`` if it can be written as UTF-8; ``ValueError`` naming ``what`` when it holds undecodable
    bytes (lone surrogates: from a command line typed in another encoding, or a string built by a script),
    shown with each as U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
        raise ValueError(f"the {what} {shown!r} holds bytes that are not UTF-8 text") from None
    return text
