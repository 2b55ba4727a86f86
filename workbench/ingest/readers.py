"""Which section reader reads a file that is neither paginated (:mod:`.paged`) nor plain text nor BEIR:
web pages, Office and OpenDocument files, RTF and mail — and how a mail attachment is read by the same
readers, the paginated ones included, each of its pages named as its location."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import IngestError
from .files import ReadPosition
from .formats import TEXT_SUFFIXES, format_of
from .sections import Section, SectionReader

MAX_ATTACHMENT_DEPTH = 3  # a message attached to a message attached to …: deeper ones are listed only


def section_reader(path: Path, ocr: bool = True) -> SectionReader | None:
    """The reader for ``path``'s type, or ``None`` for a type no section reader reads. ``ocr`` carries to
    the paginated attachments of a mail."""
    return _reader(path.suffix.lower(), ocr, 0)


def _reader(suffix: str, ocr: bool, depth: int) -> SectionReader | None:
    if suffix in (".html", ".htm", ".xhtml"):
        from .html import read_html

        return read_html
    if suffix == ".rtf":
        from .rtf import read_rtf

        return read_rtf
    if suffix in (".docx", ".odt", ".pptx", ".odp", ".xlsx", ".ods"):
        from . import office

        return office.READERS[suffix]
    if suffix in (".eml", ".mbox"):
        from .mail import read_eml, read_mbox

        read = read_eml if suffix == ".eml" else read_mbox

        def read_mail(path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]:
            def attachment(name: str, data: bytes) -> Iterator[Section]:
                return attachment_sections(name, data, notes, ocr, depth + 1)

            return read(path, notes, where, attachment if depth < MAX_ATTACHMENT_DEPTH else None)

        return read_mail
    return None


def attachment_sections(name: str, data: bytes, notes: list[str], ocr: bool, depth: int = 1) -> Iterator[Section]:
    """The sections of an attachment named ``name`` holding ``data``, read by its type's reader from a
    private temporary copy; a paginated one's pages become locations ("page 3"), since the built-in viewer
    shows files, not attachments. :class:`IngestError` for a type not read."""
    suffix = Path(name).suffix.lower()
    if format_of(name) is None or suffix == ".jsonl":
        raise IngestError(f"its type ({suffix or 'no extension'}) is not read")
    with tempfile.TemporaryDirectory(prefix="kayak-attachment-") as folder:
        path = Path(folder) / f"attachment{suffix}"
        path.write_bytes(data)
        yield from _file_sections(path, notes, ocr, depth)


def _file_sections(path: Path, notes: list[str], ocr: bool, depth: int) -> Iterator[Section]:
    from .paged import is_paged

    if is_paged(path):
        from .paged import located_pages, open_paged

        for page, chapter, words in located_pages(open_paged(path), [], ocr):
            yield Section(words, None, " · ".join(w for w in (f"page {page}", chapter) if w))
        return
    if path.suffix.lower() in TEXT_SUFFIXES:
        from .text import text_words

        yield Section(text_words(path, ReadPosition(), notes))
        return
    reader = _reader(path.suffix.lower(), ocr, depth)
    if reader is None:
        raise IngestError(f"its type ({path.suffix}) is not read")
    yield from reader(path, notes, ReadPosition())
