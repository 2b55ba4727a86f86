"""Every file type ingest reads, by name and group: what ``discover`` accepts, the type filter's menu and
the file dialogs list, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """A group of file types read the same way: ``name`` for people, ``suffixes`` lower-case with the dot."""

    name: str
    suffixes: tuple[str, ...]


TEXT_SUFFIXES = (".txt", ".md", ".markdown")  # read as plain text in any encoding

FORMATS: tuple[Format, ...] = (
    Format("PDF", (".pdf",)),
    Format("E-book", (".epub", ".mobi", ".fb2")),
    Format("XPS", (".xps", ".oxps")),
    Format("Comic book", (".cbz",)),
    Format("Web page", (".html", ".htm", ".xhtml")),
    Format("Word processing", (".docx", ".odt", ".rtf")),
    Format("Presentation", (".pptx", ".odp")),
    Format("Spreadsheet", (".xlsx", ".ods")),
    Format("E-mail", (".eml", ".mbox")),
    Format("Text", TEXT_SUFFIXES),
    Format("BEIR corpus", (".jsonl",)),
)
SUFFIXES: tuple[str, ...] = tuple(s for f in FORMATS for s in f.suffixes)


def format_of(name: str) -> Format | None:
    """The :class:`Format` a file name's suffix belongs to (case-insensitive), or ``None``."""
    lower = name.lower()
    return next((f for f in FORMATS if lower.endswith(f.suffixes)), None)
