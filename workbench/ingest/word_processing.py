"""Word processing documents (DOCX through python-docx, ODT through odfpy) → sections by heading.

A new section starts at each heading (styles "Heading 1"…"Heading 9" and "Title" in DOCX, ``text:h``
in ODT), located ``section “Installation”``; text before the first heading has location ``""``. Each
paragraph and each table row is one block; a section longer than :data:`MAX_SECTION_WORDS` words goes on
in a further section of the same location. Headers and footers follow once, in a section "headers and
footers", and comments in a section "comments".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from .files import ReadPosition
from .odf_content import body, comment_texts, load_odf, margin_texts, odf_blocks
from .office_package import DOCX, ODT, append_block, office_file, plain_errors, titled, with_text
from .passages import Word
from .sections import Section

if TYPE_CHECKING:
    from docx.document import Document
    from lxml.etree import _Element

MAX_SECTION_WORDS = 20_000  # a long stretch without headings is handed on in parts of this size, not held whole
_HEADING_STYLE = re.compile(r"Heading [1-9]|Title")
# Main-part content types of macro-enabled and template Word files: the same markup as a .docx, but
# python-docx only maps the plain .docx one to its document class.
_WORD_MAIN_PARTS = (
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _document_sections(
    body: Iterable[tuple[str | None, str]], margins: Iterable[str], comments: Iterable[str]
) -> Iterator[Section]:
    """Sections from ``(heading, text)`` blocks in reading order (``heading`` set where the block is a
    heading), then one section of the distinct header/footer paragraphs that hold a letter, and one of the
    comments."""
    location = ""
    words: list[Word] = []
    for heading, text in body:
        if heading is not None and heading.strip():
            if words:
                yield Section(words, location=location)
            location, words = f"section “{titled(heading)}”", []
        append_block(words, text)
        if len(words) >= MAX_SECTION_WORDS:
            yield Section(words, location=location)
            words = []
    if words:
        yield Section(words, location=location)
    # A header or footer holding no letter is a page number or a date field's value: nothing to search for.
    margins = (t for t in dict.fromkeys(margins) if any(c.isalpha() for c in t))
    for location, texts in (("headers and footers", margins), ("comments", comments)):
        words = []
        for text in texts:
            append_block(words, text)
        if words:
            yield Section(words, location=location)


def _open_docx(file: BinaryIO) -> Document:
    """The python-docx document in ``file``, whatever Word main-part type it has."""
    from docx.opc.part import PartFactory
    from docx.package import Package
    from docx.parts.document import DocumentPart

    for content_type in _WORD_MAIN_PARTS:
        PartFactory.part_type_for.setdefault(content_type, DocumentPart)
    return cast("Document", Package.open(file).main_document_part.document)


def _own_text_boxes(paragraph: _Element) -> Iterator[_Element]:
    """The text boxes anchored in ``paragraph`` itself (not in a nested one), each once: Word stores a
    box twice, as a drawing and as a VML fallback for old readers, and only the first is read."""
    for box in paragraph.iter(f"{_W}txbxContent"):
        if next(box.iterancestors(f"{_W}p")) is paragraph and next(box.iterancestors(_FALLBACK), None) is None:
            yield box


def _docx_blocks(container: _Element, heading_styles: frozenset[str]) -> Iterator[tuple[str | None, str]]:
    """``(heading, text)`` for each paragraph, table row and text-box paragraph in a body, cell, header
    or text box, in document order; ``heading`` is the text where the paragraph's style is in
    ``heading_styles``. Content controls (``w:sdt``) are walked into; a cell merged into the one above
    is read once, in its first row."""
    for child in container.iterchildren(f"{_W}p", f"{_W}tbl", f"{_W}sdt"):
        if child.tag == f"{_W}sdt":
            for content in child.iterchildren(f"{_W}sdtContent"):
                yield from _docx_blocks(content, heading_styles)
        elif child.tag == f"{_W}tbl":
            for row in child.tr_lst:
                cells = (_docx_text(cell) for cell in row.tc_lst if cell.vMerge != "continue")
                yield None, " ".join(cells)
        else:
            text = child.text  # python-docx's paragraph element gives its runs' and hyperlinks' text
            yield (text if child.style in heading_styles else None), text
            for box in _own_text_boxes(child):
                yield from _docx_blocks(box, frozenset())


def _docx_text(container: _Element) -> str:
    """All the text in ``container`` (a table cell) on one line."""
    return " ".join(text for _, text in _docx_blocks(container, frozenset()))


def _docx_margins(document: Document) -> Iterator[str]:
    """The paragraphs of every header and footer the document defines (a header "linked to previous"
    has no definition of its own and is skipped, so each is read once)."""
    for section in document.sections:
        for margin in (
            section.header,
            section.first_page_header,
            section.even_page_header,
            section.footer,
            section.first_page_footer,
            section.even_page_footer,
        ):
            if not margin.is_linked_to_previous:
                yield from (text for _, text in _docx_blocks(margin.part.element, frozenset()))


@plain_errors(DOCX)
def read_docx(path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]:
    """A DOCX file's sections (see the module docstring); :class:`IngestError` for a file that is not a
    readable Word document or holds no text. Macros are never run; a note says they were left out."""
    from docx.enum.style import WD_STYLE_TYPE

    with office_file(path, DOCX, where) as package:
        document = _open_docx(package.file)
        heading_styles = frozenset(
            style.style_id
            for style in document.styles
            if style.type == WD_STYLE_TYPE.PARAGRAPH and _HEADING_STYLE.fullmatch(style.name or "")
        )
        body = _docx_blocks(document.element.body, heading_styles)
        comments = (comment.text for comment in document.comments)
        yield from with_text(package, notes, "document", _document_sections(body, _docx_margins(document), comments))


@plain_errors(ODT)
def read_odt(path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]:
    """An ODT file's sections (see the module docstring); :class:`IngestError` for a file that is not a
    readable OpenDocument text or holds no text. Macros are never run; a note says they were left out."""
    with office_file(path, ODT, where) as package:
        doc = load_odf(package)
        sections = _document_sections(odf_blocks(text := body(doc, "text")), margin_texts(doc), comment_texts(text))
        yield from with_text(package, notes, "document", sections)
