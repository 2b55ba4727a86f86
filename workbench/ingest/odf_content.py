"""OpenDocument content through odfpy: loading it safely, and its text in reading order.

odfpy parses with ``defusedxml`` (an entity declaration raises instead of expanding), but when a part
is not well-formed XML it prints the whole part to standard output and carries on with what it got.
So each part odfpy will parse is first run through lxml's parser with no tree built (bounded memory,
no entity expansion, libxml2's default limits of 256 levels of nesting and 10 MB per text node), and a
damaged file fails there with an exception :func:`~.office_package.plain_errors` turns into a reason.
Those limits also bound the recursion of the walkers below.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .office_package import OfficePackage

if TYPE_CHECKING:
    from odf.element import Element
    from odf.opendocument import OpenDocument

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
PRESENTATION = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
_PARSED_PARTS = ("content.xml", "styles.xml", "meta.xml", "settings.xml", "manifest.xml")  # what odfpy parses
_PARAGRAPHS = ((TEXT, "p"), (TEXT, "h"))
_SPACES = ((TEXT, "s"), (TEXT, "tab"), (TEXT, "line-break"))
_LEFT_OUT = (
    (TEXT, "note-citation"),  # the footnote's number, which would glue onto the word before it
    (OFFICE, "annotation"),  # comments: read on their own (:func:`comment_texts`)
    (TEXT, "tracked-changes"),  # the text of deletions still tracked
    (PRESENTATION, "notes"),  # a slide's speaker notes: read on their own
)
_ROW_GROUPS = ((TABLE, "table-header-rows"), (TABLE, "table-rows"), (TABLE, "table-row-group"))
_MARGINS = frozenset(
    (STYLE, name) for name in ("header", "footer", "header-left", "footer-left", "header-first", "footer-first")
)


class _NoTree:
    """An lxml parser target that keeps nothing: the parse only checks the XML."""

    def close(self) -> None:
        """Called by lxml at the end of the document; nothing was kept."""


def load_odf(package: OfficePackage) -> OpenDocument:
    """The odfpy document of a checked ODF ``package``, after checking that every XML part odfpy will
    parse is well-formed (lxml's ``XMLSyntaxError`` otherwise)."""
    from lxml import etree
    from odf.opendocument import load

    parser = etree.XMLParser(target=_NoTree(), resolve_entities=False, no_network=True, load_dtd=False)
    with zipfile.ZipFile(package.file) as archive:
        for name in sorted(package.names):
            if name.rsplit("/", 1)[-1] in _PARSED_PARTS:
                with archive.open(name) as part:
                    etree.parse(part, parser)
    package.file.seek(0)
    return load(package.file)


def body(doc: OpenDocument, kind: str) -> Element:
    """The document's ``office:<kind>`` element (``text``, ``presentation``, ``spreadsheet``) as loaded.
    Not odfpy's ``doc.text`` and the like: for a file whose ``office:body`` holds whitespace before it
    (pandoc's ODT) those stay the empty element odfpy made before loading."""
    for child in elements(doc.body):
        if child.qname == (OFFICE, kind):
            return child
    raise ValueError(f"the document has no office:{kind} body")


def elements(element: Element) -> Iterator[Element]:
    """The child elements of ``element`` (odfpy's child lists mix in text nodes)."""
    return (child for child in element.childNodes if child.nodeType == child.ELEMENT_NODE)


def odf_text(element: Element) -> str:
    """The text of a paragraph-like element. Any run of spaces, tabs or line breaks counts as one space
    (a ``text:s`` may claim a billion spaces); paragraphs nested inside it (a footnote's body, a text
    box) are set off by spaces, and note numbers and comments are left out."""
    parts: list[str] = []
    for child in element.childNodes:
        if child.nodeType == child.TEXT_NODE:
            parts.append(child.data)
        elif child.nodeType != child.ELEMENT_NODE or child.qname in _LEFT_OUT:
            continue
        elif child.qname in _SPACES:
            parts.append(" ")
        elif child.qname in _PARAGRAPHS:
            parts.append(f" {odf_text(child)} ")
        else:
            parts.append(odf_text(child))
    return "".join(parts)


def odf_blocks(element: Element) -> Iterator[tuple[str | None, str]]:
    """``(heading, text)`` for each paragraph and each table row under ``element``, in document order;
    ``heading`` is the text again for a ``text:h``, else ``None``. Lists, sections, frames, text boxes
    and shape groups are walked into; comments, tracked deletions and speaker notes are not."""
    for child in elements(element):
        if child.qname == (TEXT, "h"):
            text = odf_text(child)
            yield text, text
        elif child.qname == (TEXT, "p"):
            yield None, odf_text(child)
        elif child.qname == (TABLE, "table"):
            yield from ((None, row) for row in _row_lines(child))
        elif child.qname not in _LEFT_OUT:
            yield from odf_blocks(child)


def cell_text(cell: Element) -> str:
    """The text of a table cell (its paragraphs and any nested table, on one line)."""
    return " ".join(text for _, text in odf_blocks(cell))


def table_rows(table: Element) -> Iterator[Element]:
    """The ``table:table-row`` elements of a table, through header-row and row-group wrappers."""
    for child in elements(table):
        if child.qname == (TABLE, "table-row"):
            yield child
        elif child.qname in _ROW_GROUPS:
            yield from table_rows(child)


def _row_lines(table: Element) -> Iterator[str]:
    """Each row of a text or slide table as one line: its cells' text joined (cells covered by a merged
    cell hold nothing). A row's repeat count is ignored: in text tables it only repeats empty rows."""
    for row in table_rows(table):
        yield " ".join(cell_text(cell) for cell in elements(row) if cell.qname == (TABLE, "table-cell"))


def comment_texts(element: Element) -> Iterator[str]:
    """The text of each comment (``office:annotation``) under ``element``, without author and date."""
    for annotation in _descendants(element, (OFFICE, "annotation")):
        yield " ".join(text for _, text in odf_blocks(annotation))


def _descendants(element: Element, qname: tuple[str, str]) -> Iterator[Element]:
    """The elements named ``qname`` under ``element``, in document order."""
    for child in elements(element):
        if child.qname == qname:
            yield child
        else:
            yield from _descendants(child, qname)


def margin_texts(doc: OpenDocument) -> Iterator[str]:
    """The paragraphs of every page style's headers and footers (``styles.xml``)."""
    for page in elements(doc.masterstyles):
        for child in elements(page):
            if child.qname in _MARGINS:
                yield from (text for _, text in odf_blocks(child))


def styles_with(doc: OpenDocument, properties: str, attribute: tuple[str, str], value: str) -> set[str]:
    """Names of the automatic styles whose ``style:<properties>`` element sets ``attribute`` to ``value``
    (a hidden sheet's table style, a hidden slide's page style)."""
    return {
        style.getAttrNS(STYLE, "name")
        for style in elements(doc.automaticstyles)
        for props in elements(style)
        if props.qname == (STYLE, properties) and props.getAttrNS(*attribute) == value
    }
