"""The query syntax of a search box: required phrases, exclusions and ``OR``, read off the typed text.

``"a phrase"`` must occur in a passage's text, ``-word`` and ``-"a phrase"`` exclude passages holding
them (both case-insensitive substrings of the passage text), ``OR`` in capitals between two terms is the
lexical side's alternative; every other word goes to the encoder as typed. The operators never reach
the encoder (so they never become query tokens or heatmap rows): a required phrase's words do — they
are what the user means — excluded ones do not. The phrases and exclusions become a
:class:`~.filters.PassageFilter` applied before stage 1 (:meth:`ParsedQuery.where`), never a second
search. A quote left open is dropped with the others — the query's words are searched without a
phrase, while ``-word`` and ``OR`` keep their meaning — and :attr:`ParsedQuery.notice` says so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import TypedDict

from .filters import PassageFilter

# A phrase in quotes (a leading minus excludes it) or a run of characters without spaces or quotes.
_TOKEN = re.compile(r'(-?)"([^"]*)"|([^\s"]+)')
OR = "OR"


class OnlyExclusions(ValueError):
    """A query that excludes words but asks for none: there is nothing to search for."""


@dataclass(frozen=True)
class ParsedQuery:
    """What :func:`parse_query` read from a query.

    ``text``: the query as typed. ``encoder_text``: the words the encoder gets (a required phrase's words
    included, operators and excluded words left out). ``phrases``: text every passage must contain.
    ``excluded``: words and phrases no passage may contain. ``lexical_text``: the words for the lexical
    (BM25) stage, with ``OR`` kept between alternatives. ``notice``: one line for people when the query
    was read other than as typed (an unbalanced quote), else ``""``.
    """

    text: str
    encoder_text: str
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    lexical_text: str = ""
    notice: str = ""

    def where(self, base: PassageFilter | None = None) -> PassageFilter | None:
        """``base`` (the caller's filter, ``None`` for none) with this query's phrases and exclusions
        added; ``None`` when the result admits every passage."""
        base = base or PassageFilter()
        merged = replace(base, contains=base.contains + self.phrases, excludes=base.excludes + self.excluded)
        return None if merged.is_empty else merged

    def to_dict(self) -> ParsedQueryDict:
        return {
            "text": self.text,
            "encoder_text": self.encoder_text,
            "phrases": self.phrases,
            "excluded": self.excluded,
            "lexical_text": self.lexical_text,
            "notice": self.notice,
        }


class ParsedQueryDict(TypedDict):
    """:meth:`ParsedQuery.to_dict`: its fields by name."""

    text: str
    encoder_text: str
    phrases: tuple[str, ...]
    excluded: tuple[str, ...]
    lexical_text: str
    notice: str


def parse_query(text: str) -> ParsedQuery:
    """Read the query syntax of ``text`` (see the module's docstring).

    A minus excludes only where a letter or a quote follows it (``-5`` and ``a - b`` stay words); ``OR``
    is an operator only in capitals between two terms (elsewhere it is a word). Raises
    :class:`OnlyExclusions` (a ``ValueError``) when the query excludes something but asks for nothing.
    An empty query parses to an empty ``encoder_text`` (the encoder refuses it)."""
    notice = ""
    if text.count('"') % 2:
        notice = 'a quote (") was left open: the quote marks were dropped and the words searched without a phrase'
        text_read = text.replace('"', " ")
    else:
        text_read = text
    terms: list[str | None] = []  # the positive terms in order; None marks an ``OR`` candidate
    phrases: list[str] = []
    excluded: list[str] = []
    for m in _TOKEN.finditer(text_read):
        minus, phrase, word = m.group(1), m.group(2), m.group(3)
        if phrase is not None:
            phrase = " ".join(phrase.split())
            if phrase:
                (excluded if minus else phrases).append(phrase)
                if not minus:
                    terms.append(phrase)
        elif word == OR:
            terms.append(None)
        elif len(word) > 1 and word[0] == "-" and unicodedata.category(word[1])[0] in "LM":
            kept = _trim(word[1:])
            if kept:
                excluded.append(kept)
        else:
            terms.append(word)
    encoder, lexical = _join(terms)
    if '"' not in text and not excluded and encoder == lexical:
        encoder = lexical = text  # no syntax at all: the encoder gets the text exactly as today
    if excluded and all(term is None for term in terms):  # a lone OR asks for nothing either
        raise OnlyExclusions(
            "the query only excludes (" + ", ".join("-" + e for e in excluded) + "): there is nothing to "
            "search for; add the words you want, e.g. 'compare files -difflib'"
        )
    return ParsedQuery(text, encoder, tuple(dict.fromkeys(phrases)), tuple(dict.fromkeys(excluded)), lexical, notice)


def _join(terms: list[str | None]) -> tuple[str, str]:
    """``(encoder text, lexical text)`` of the positive terms; ``None`` entries are ``OR`` — the operator
    between two terms, the plain word elsewhere."""
    encoder: list[str] = []
    lexical: list[str] = []
    for i, term in enumerate(terms):
        if term is not None:
            encoder.append(term)
            lexical.append(term)
        elif 0 < i < len(terms) - 1 and terms[i - 1] is not None and terms[i + 1] is not None:
            lexical.append(OR)
        else:
            encoder.append(OR)
            lexical.append(OR.lower())  # the word "or", which the lexical stage must not read as the operator
    return " ".join(encoder), " ".join(lexical)


def _trim(word: str) -> str:
    """``word`` without the punctuation around it (``-difflib,`` excludes ``difflib``)."""
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start])[0] not in "LMN":
        start += 1
    while end > start and unicodedata.category(word[end - 1])[0] not in "LMN":
        end -= 1
    return word[start:end]
