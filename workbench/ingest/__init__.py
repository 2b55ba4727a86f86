"""Ingest: files → passages (page number, reading order, line boxes). Parses only; never encodes or stores.

:func:`parse_file` turns one file into a :class:`ParsedFile` or raises :class:`IngestError` with a plain
one-line reason; :func:`discover` expands folders into the supported files inside them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .errors import IngestError
from .passages import PassageDraft, TokenCounter, Word, approx_token_counts, cut_passages

PDF_SUFFIXES = (".pdf",)
TEXT_SUFFIXES = (".txt", ".md", ".markdown")
BEIR_NAMES = ("corpus.jsonl",)
SUFFIXES = PDF_SUFFIXES + TEXT_SUFFIXES + (".jsonl",)


@dataclass
class ParsedFile:
    """``pages``: the page count for PDFs, else 0; ``passages`` in reading order."""

    pages: int
    passages: list[PassageDraft]


def is_supported(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(PDF_SUFFIXES + TEXT_SUFFIXES) or name.endswith(".jsonl")


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files to ingest under ``paths`` (folders recursed, hidden entries skipped), and rejected paths."""
    found: list[Path] = []
    rejected: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(root) / f for f in sorted(files)
                             if not f.startswith(".") and is_supported(Path(f)))
        elif p.is_file():
            if is_supported(p):
                found.append(p)
            else:
                rejected.append((p, f"unsupported file type (supported: {', '.join(SUFFIXES)})"))
        else:
            rejected.append((p, "no such file or folder"))
    return found, rejected


def parse_file(path: Path, max_tokens: int, count_tokens: TokenCounter = approx_token_counts) -> ParsedFile:
    """Parse one file into passages of at most ``max_tokens`` tokens."""
    name = path.name.lower()
    if name.endswith(PDF_SUFFIXES):
        from .pdf import pdf_pages  # PyMuPDF loads only when a PDF is met
        passages: list[PassageDraft] = []
        pages = 0
        for page, pages, words in pdf_pages(path):
            passages.extend(cut_passages(words, page, max_tokens, count_tokens))
        if not passages:
            raise IngestError(f"no extractable text on any of its {pages} page(s): image-only or scanned? "
                              "(OCR is not supported)")
        return ParsedFile(pages, passages)
    if name.endswith(TEXT_SUFFIXES):
        from .text import text_words
        passages = cut_passages(text_words(path), None, max_tokens, count_tokens)
        if not passages:
            raise IngestError("the file holds no text")
        return ParsedFile(0, passages)
    if name.endswith(".jsonl"):
        from .beir import beir_records
        passages = [p for key, words in beir_records(path)
                    for p in cut_passages(words, None, max_tokens, count_tokens, source_key=key)]
        return ParsedFile(0, passages)
    raise IngestError(f"unsupported file type (supported: {', '.join(SUFFIXES)})")


__all__ = ["IngestError", "ParsedFile", "PassageDraft", "Word", "approx_token_counts", "cut_passages",
           "discover", "is_supported", "parse_file"]
