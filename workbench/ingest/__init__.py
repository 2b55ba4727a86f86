"""Ingest: files → passages (page or location, reading order, line boxes). Parses only; never encodes or stores.

:func:`parse_file` turns one file into a :class:`ParsedFile` or raises :class:`IngestError` with a plain
one-line reason; :func:`discover` expands folders into the supported files inside them. The types read
are listed in :mod:`.formats`; paginated ones go through MuPDF (:mod:`.paged`), the rest through a
section reader each (:mod:`.sections`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import IngestError
from .files import NOT_REGULAR, ReadPosition, is_regular
from .formats import FORMATS, SUFFIXES, TEXT_SUFFIXES, Format, format_of
from .passages import PassageDraft, TokenCounter, Word, approx_token_counts, cut_passages, iter_passages
from .sections import Section

BEIR_NAMES = ("corpus.jsonl",)


@dataclass
class ParsedFile:
    """``pages``: the page count for PDFs, else 0; ``passages`` in reading order, produced as they are
    read (a file without text raises :class:`IngestError` while iterating). Filled while reading:
    ``notes``, document-level facts for people ("embedded files not indexed: …"), for PDFs
    ``page_facts``, one :class:`~.pdf.PageFacts` per page (label, text source, problem, OCR time) — as for
    the e-books, XPS and comic books MuPDF lays out into pages — and for
    unpaged files ``read``, the bytes read so far (the share done of a big one)."""

    pages: int
    passages: Iterator[PassageDraft]
    notes: list[str] = field(default_factory=list)
    page_facts: list = field(default_factory=list)
    read: ReadPosition = field(default_factory=ReadPosition)

    def share_done(self, page: int | None) -> float | None:
        """The share of the file read once its passages up to one on ``page`` are out: pages for a PDF,
        bytes for an unpaged file; ``None`` where unknown."""
        return page / self.pages if page and self.pages else self.read.share


def is_supported(path: Path) -> bool:
    """Whether ingest reads files of ``path``'s type (:data:`~.formats.SUFFIXES`)."""
    return format_of(path.name) is not None


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files to ingest under ``paths`` (folders recursed without following links to folders, hidden
    entries skipped), and rejected paths with the reason. FIFOs, devices and sockets are rejected, never
    opened."""
    found: list[Path] = []
    rejected: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    path = Path(root) / f
                    if f.startswith(".") or not is_supported(path):
                        continue
                    (found.append(path) if is_regular(path) else rejected.append((path, NOT_REGULAR)))
        elif p.is_file():
            if is_supported(p):
                found.append(p)
            else:
                rejected.append((p, f"unsupported file type (supported: {', '.join(SUFFIXES)})"))
        elif p.exists():
            rejected.append((p, NOT_REGULAR))
        else:
            rejected.append((p, "no such file or folder"))
    return found, rejected


def parse_file(
    path: Path, max_tokens: int, count_tokens: TokenCounter = approx_token_counts, ocr: bool = True
) -> ParsedFile:
    """Parse one file into passages of at most ``max_tokens`` tokens. A paginated document (PDF, EPUB,
    MOBI, FB2, XPS, CBZ) is opened (and refused with its reason) here; passages are produced lazily,
    page by page, section by section or chunk by chunk. ``ocr``: read pages without usable text by OCR
    where Tesseract is installed."""
    from .paged import is_paged

    name = path.name.lower()
    if is_paged(path):
        return _parse_paged(path, max_tokens, count_tokens, ocr)
    if name.endswith(TEXT_SUFFIXES):
        from .text import text_words

        parsed = ParsedFile(0, iter(()))
        words = text_words(path, parsed.read, parsed.notes)
        parsed.passages = _nonempty(
            iter_passages(words, None, max_tokens, count_tokens), lambda: "the file holds no text"
        )
        return parsed
    if name.endswith(".jsonl"):
        from .beir import beir_records

        parsed = ParsedFile(0, iter(()))
        parsed.passages = (
            p
            for key, words in beir_records(path, parsed.read)
            for p in iter_passages(words, None, max_tokens, count_tokens, source_key=key)
        )
        return parsed
    from .readers import section_reader

    reader = section_reader(path, ocr)
    if reader is None:
        raise IngestError(f"unsupported file type (supported: {', '.join(SUFFIXES)})")
    parsed = ParsedFile(0, iter(()))
    sections = reader(path, parsed.notes, parsed.read)
    parsed.passages = _nonempty(_section_passages(sections, max_tokens, count_tokens), lambda: "the file holds no text")
    return parsed


def _parse_paged(path: Path, max_tokens: int, count_tokens: TokenCounter, ocr: bool) -> ParsedFile:
    from .paged import located_pages, open_paged
    from .pdf import no_text_reason

    doc = open_paged(path)
    parsed = ParsedFile(doc.doc.page_count, iter(()), doc.notes)
    passages = (
        p
        for page, location, words in located_pages(doc, parsed.page_facts, ocr)
        for p in iter_passages(words, page, max_tokens, count_tokens, location=location)
    )
    parsed.passages = _nonempty(passages, lambda: no_text_reason(parsed.page_facts))
    return parsed


def _section_passages(
    sections: Iterator[Section], max_tokens: int, count_tokens: TokenCounter
) -> Iterator[PassageDraft]:
    """The passages of each section in turn: a passage never crosses a section."""
    for s in sections:
        yield from iter_passages(s.words, s.page, max_tokens, count_tokens, source_key=s.key, location=s.location)


def _nonempty(passages: Iterator[PassageDraft], reason: Callable[[], str]) -> Iterator[PassageDraft]:
    """``passages``, raising :class:`IngestError` with ``reason()`` at the end if there were none."""
    found = False
    for passage in passages:
        found = True
        yield passage
    if not found:
        raise IngestError(reason())


__all__ = [
    "FORMATS",
    "Format",
    "IngestError",
    "ParsedFile",
    "PassageDraft",
    "SUFFIXES",
    "Section",
    "Word",
    "approx_token_counts",
    "cut_passages",
    "discover",
    "is_supported",
    "iter_passages",
    "parse_file",
]
