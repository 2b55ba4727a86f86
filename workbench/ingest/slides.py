"""Presentations (PPTX through python-pptx, ODP through odfpy) → one section per slide.

A slide's section holds the text of every shape in the slide's order — text frames paragraph by
paragraph, tables row by row, groups walked into — at location ``slide 3``, or ``slide 3 · Results``
where the title placeholder holds text; a hidden slide is still read, at ``slide 3 (hidden)``. Its
speaker notes follow as a section of their own at ``slide 3 notes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .files import ReadPosition
from .odf_content import DRAW, PRESENTATION, body, elements, load_odf, odf_blocks, styles_with
from .office_package import ODP, PPTX, append_block, office_file, plain_errors, titled, with_text
from .passages import Word
from .sections import Section

if TYPE_CHECKING:
    from odf.opendocument import OpenDocument
    from pptx.presentation import Presentation
    from pptx.shapes.shapetree import SlideShapes


def _slide_sections(
    number: int, title: str, hidden: bool, texts: Iterable[str], notes: Iterable[str]
) -> Iterator[Section]:
    """The section of slide ``number`` (1-based) and that of its notes, each only where it holds text."""
    location = f"slide {number}" + (" (hidden)" if hidden else "") + (f" · {titled(title)}" if title.strip() else "")
    for place, blocks in ((location, texts), (f"slide {number} notes", notes)):
        words: list[Word] = []
        for text in blocks:
            append_block(words, text)
        if words:
            yield Section(words, location=place)


def _shape_texts(shapes: SlideShapes) -> Iterator[str]:
    """The text of each paragraph and table row of ``shapes``, groups walked into, in the slide's order
    (a cell covered by a merged cell holds nothing)."""
    from pptx.shapes.group import GroupShape

    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _shape_texts(shape.shapes)  # type: ignore[arg-type]
        elif shape.has_text_frame:
            yield from (paragraph.text for paragraph in shape.text_frame.paragraphs)  # type: ignore[attr-defined]
        elif shape.has_table:
            for row in shape.table.rows:  # type: ignore[attr-defined]
                yield " ".join(cell.text for cell in row.cells if not cell.is_spanned)


def _pptx_sections(presentation: Presentation) -> Iterator[Section]:
    """The sections of every slide of a python-pptx presentation."""
    for number, slide in enumerate(presentation.slides, 1):
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text if title_shape is not None and title_shape.has_text_frame else ""
        hidden = slide.element.get("show") in ("0", "false")  # python-pptx does not expose <p:sld show="0">
        notes_frame = slide.notes_slide.notes_text_frame if slide.has_notes_slide else None
        notes = (paragraph.text for paragraph in notes_frame.paragraphs) if notes_frame is not None else ()
        yield from _slide_sections(number, title, hidden, _shape_texts(slide.shapes), notes)


def _odp_sections(doc: OpenDocument) -> Iterator[Section]:
    """The sections of every slide (``draw:page``) of an odfpy presentation."""
    hidden_styles = styles_with(doc, "drawing-page-properties", (PRESENTATION, "visibility"), "hidden")
    pages = (child for child in elements(body(doc, "presentation")) if child.qname == (DRAW, "page"))
    for number, page in enumerate(pages, 1):
        title = next(
            (
                " ".join(text for _, text in odf_blocks(frame))
                for frame in elements(page)
                if frame.getAttrNS(PRESENTATION, "class") == "title"
            ),
            "",
        )
        hidden = page.getAttrNS(DRAW, "style-name") in hidden_styles
        notes = (
            text for child in elements(page) if child.qname == (PRESENTATION, "notes") for _, text in odf_blocks(child)
        )
        yield from _slide_sections(number, title, hidden, (text for _, text in odf_blocks(page)), notes)


@plain_errors(PPTX)
def read_pptx(path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]:
    """A PPTX file's sections (see the module docstring); :class:`IngestError` for a file that is not a
    readable PowerPoint presentation or holds no text. Macros are never run; a note says they were left out."""
    from pptx import Presentation

    with office_file(path, PPTX, where) as package:
        yield from with_text(package, notes, "presentation", _pptx_sections(Presentation(package.file)))


@plain_errors(ODP)
def read_odp(path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]:
    """An ODP file's sections (see the module docstring); :class:`IngestError` for a file that is not a
    readable OpenDocument presentation or holds no text. Macros are never run; a note says they were left out."""
    with office_file(path, ODP, where) as package:
        yield from with_text(package, notes, "presentation", _odp_sections(load_odf(package)))
