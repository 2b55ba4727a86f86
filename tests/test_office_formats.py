"""Office and OpenDocument readers (DOCX, ODT, PPTX, ODP, XLSX, ODS) and the zip guard in front of them.

Files are built with the libraries themselves (python-docx, python-pptx, openpyxl, odfpy) in a
temporary folder, then read back: the words and their locations, tables, headers, notes, hidden parts,
and the plain reasons given for files that cannot be read — encrypted, old-format, renamed, damaged,
zip bombs and XML entity bombs. Files written by LibreOffice and pandoc are read in
``tests/test_format_corpus.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import resource
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml
from odf.draw import Frame, G, Page, TextBox
from odf.namespaces import PRESENTATIONNS
from odf.office import Annotation
from odf.opendocument import OpenDocumentPresentation, OpenDocumentSpreadsheet, OpenDocumentText
from odf.presentation import Notes
from odf.style import DrawingPageProperties, Footer, Header, MasterPage, PageLayout, Style, TableProperties
from odf.table import CoveredTableCell, Table, TableColumn, TableRow
from odf.table import TableCell as OdfCell
from odf.text import H, Note, NoteBody, NoteCitation, P, S
from pptx import Presentation
from pptx.util import Inches

from workbench.ingest import sheets, word_processing, zip_guard
from workbench.ingest.errors import IngestError
from workbench.ingest.files import ReadPosition
from workbench.ingest.office_package import ENCRYPTED, ENTITY_BOMB, MACROS_NOTE
from workbench.ingest.sections import Section
from workbench.ingest.sheets import column_letters, number_text, read_ods, read_xlsx, value_text
from workbench.ingest.slides import read_odp, read_pptx
from workbench.ingest.word_processing import read_docx, read_odt
from workbench.ingest.zip_guard import check_zip

Reader = Callable[[Path, list[str], ReadPosition], Iterator[Section]]


def read(reader: Reader, path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """(location, text) of each section, and the notes."""
    notes: list[str] = []
    found = [(s.location, " ".join(w.text for w in s.words)) for s in reader(path, notes, ReadPosition())]
    return found, notes


def blocks(section: Section) -> list[str]:
    """The section's words grouped by block, each block as one string."""
    grouped: dict[int, list[str]] = {}
    for word in section.words:
        grouped.setdefault(word.block, []).append(word.text)
    return [" ".join(words) for words in grouped.values()]


def refusal(reader: Reader, path: Path) -> str:
    """The reason the reader gives for refusing ``path`` (the test fails if it reads it)."""
    with pytest.raises(IngestError) as caught:
        list(reader(path, [], ReadPosition()))
    return str(caught.value)


def rewrite_zip(
    src: Path, dst: Path, change: Callable[[str, bytes], bytes], extra: dict[str, bytes] | None = None
) -> None:
    """Copies the zip ``src`` to ``dst``, each member's bytes through ``change``, and adds the ``extra``
    members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info.filename)))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)


def within_bounds(action: Callable[[], object], seconds: float = 5.0, megabytes: float = 200.0) -> object:
    """``action()``'s result (or the IngestError it raised), checking it took less than ``seconds`` and
    raised this process's peak memory by less than ``megabytes``."""
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    start = time.perf_counter()
    try:
        result: object = action()
    except IngestError as err:
        result = err
    elapsed = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert grown < megabytes, f"peak memory grew {grown:.0f} MB"
    return result


# ----------------------------------------------------------------------------------------------- DOCX

_MC = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
_WPS = 'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
_V = 'xmlns:v="urn:schemas-microsoft-com:vml"'
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
# A text box as Word writes it: once as a drawing, once more as a VML fallback for old readers.
_TEXT_BOX_RUN = f"""<w:r {_W} {_MC} {_WPS} {_V}><mc:AlternateContent>
  <mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>
    <w:p><w:r><w:t>Boxed words</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>
  <mc:Fallback><w:pict><v:textbox><w:txbxContent>
    <w:p><w:r><w:t>Boxed words</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback>
</mc:AlternateContent></w:r>"""
_CONTENT_CONTROL = f"<w:sdt {_W}><w:sdtContent><w:p><w:r><w:t>Controlled words</w:t></w:r></w:p></w:sdtContent></w:sdt>"


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("Preface words")
    document.add_heading("User Guide", 0)  # the "Title" style
    document.add_paragraph("Welcome aboard")
    document.add_heading("Installation", 1)
    document.add_paragraph("Run setup").runs[0]._r.addnext(parse_xml(_TEXT_BOX_RUN))
    table = document.add_table(rows=3, cols=3)
    tall = table.cell(1, 0).merge(table.cell(2, 0))
    wide = table.cell(0, 1).merge(table.cell(0, 2))
    table.cell(0, 0).text, wide.text = "Part", "Spanning header"
    tall.text, table.cell(1, 1).text, table.cell(1, 2).text = "Tall cell", "b1", "c1"
    table.cell(2, 1).text, table.cell(2, 2).text = "b2", "c2"
    body = document.element.body
    body.insert(len(body) - 1, parse_xml(_CONTENT_CONTROL))  # before the final section properties
    document.add_heading("Usage", 2)
    document.add_paragraph("Use it daily")
    document.sections[0].header.paragraphs[0].text = "Company Confidential"
    document.sections[0].footer.paragraphs[0].text = "Page footer"
    document.add_section()  # its header is "linked to previous": the same one, read once
    document.add_paragraph("Second section words")
    document.add_comment(document.paragraphs[0].runs, text="Check this figure", author="Ann")
    document.save(path)
    return path


def test_docx_sections_follow_headings_with_tables_boxes_headers_and_comments(tmp_path):
    path = make_docx(tmp_path / "guide.docx")
    where = ReadPosition()
    sections = list(read_docx(path, [], where))
    assert [s.location for s in sections] == [
        "",
        "section “User Guide”",
        "section “Installation”",
        "section “Usage”",
        "headers and footers",
        "comments",
    ]
    assert blocks(sections[0]) == ["Preface words"]
    assert blocks(sections[1]) == ["User Guide", "Welcome aboard"]
    # The heading opens its section; the text box follows its paragraph once (not again from the VML
    # fallback); each table row is one block, a merged cell read once; the content control is read.
    assert blocks(sections[2]) == [
        "Installation",
        "Run setup",
        "Boxed words",
        "Part Spanning header",
        "Tall cell b1 c1",
        "b2 c2",
        "Controlled words",
    ]
    assert blocks(sections[3]) == ["Usage", "Use it daily", "Second section words"]
    assert blocks(sections[4]) == ["Company Confidential", "Page footer"]
    assert blocks(sections[5]) == ["Check this figure"]
    assert where.size == path.stat().st_size and where.done == where.size


def test_long_stretch_without_headings_goes_on_in_sections_of_the_same_location(tmp_path, monkeypatch):
    monkeypatch.setattr(word_processing, "MAX_SECTION_WORDS", 4)
    document = docx.Document()
    for words in ("one two three", "four five", "six", "seven eight nine ten eleven"):
        document.add_paragraph(words)
    document.add_heading("Next", 1)
    document.save(tmp_path / "long.docx")
    sections = list(read_docx(tmp_path / "long.docx", [], ReadPosition()))
    assert [(s.location, blocks(s)) for s in sections] == [
        ("", ["one two three", "four five"]),
        ("", ["six", "seven eight nine ten eleven"]),
        ("section “Next”", ["Next"]),
    ]


def test_docx_without_text_and_with_macros(tmp_path):
    empty = tmp_path / "empty.docx"
    docx.Document().save(empty)
    assert refusal(read_docx, empty) == "the document holds no text"

    def macro_enabled(name: str, data: bytes) -> bytes:
        # A real .docm: its main part has the macro-enabled type, which python-docx does not map itself.
        if name == "[Content_Types].xml":
            return data.replace(
                b"wordprocessingml.document.main+xml", b"application/vnd.ms-word.document.macroEnabled.main+xml"
            ).replace(b"application/vnd.openxmlformats-officedocument.application/", b"application/")
        return data

    macros = {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 pretend VBA"}
    only_macros = tmp_path / "only-macros.docx"
    rewrite_zip(empty, only_macros, macro_enabled, macros)
    assert refusal(read_docx, only_macros) == "holds only macros, no text"

    written = tmp_path / "written.docx"
    document = docx.Document()
    document.add_paragraph("Quarterly figures")
    document.save(written)
    with_macros = tmp_path / "with-macros.docx"
    rewrite_zip(written, with_macros, macro_enabled, macros)
    found, notes = read(read_docx, with_macros)
    assert found == [("", "Quarterly figures")]
    assert notes == [MACROS_NOTE]


# ------------------------------------------------------------------------------------------------ ODT


def make_odt(path: Path) -> Path:
    doc = OpenDocumentText()
    layout = PageLayout(name="pm1")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header, footer = Header(), Footer()
    header.addElement(P(text="Company Confidential"))
    footer.addElement(P(text="Page footer"))
    master.addElement(header)
    master.addElement(footer)
    doc.masterstyles.addElement(master)

    doc.text.addElement(P(text="Preface words"))
    doc.text.addElement(H(outlinelevel=1, text="Installation"))
    para = P(text="Run setup")
    note = Note(id="ftn1", noteclass="footnote")
    note.addElement(NoteCitation(text="1"))
    note_body = NoteBody()
    note_body.addElement(P(text="Footnote words"))
    note.addElement(note_body)
    para.addElement(note)
    comment = Annotation()
    comment.addElement(P(text="Check this figure"))
    para.addElement(comment)
    para.addText(" now")
    para.addElement(S(c=1_000_000_000))  # claims a billion spaces
    para.addText("please")
    doc.text.addElement(para)
    boxed = P(text="Anchor")
    frame = Frame(anchortype="as-char", width="3cm", height="1cm")
    box = TextBox()
    box.addElement(P(text="Boxed words"))
    frame.addElement(box)
    boxed.addElement(frame)
    doc.text.addElement(boxed)
    table = Table(name="Parts")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for cells in (("Part", "Count"), ("Bolt", "12")):
        row = TableRow()
        for text in cells:
            cell = OdfCell()
            cell.addElement(P(text=text))
            row.addElement(cell)
        table.addElement(row)
    doc.text.addElement(table)
    doc.text.addElement(H(outlinelevel=2, text="Usage"))
    doc.text.addElement(P(text="Use it daily"))
    doc.save(str(path))
    return path


def test_odt_sections_follow_headings_with_tables_notes_boxes_headers_and_comments(tmp_path):
    path = make_odt(tmp_path / "guide.odt")
    sections = list(read_odt(path, [], ReadPosition()))
    assert [s.location for s in sections] == [
        "",
        "section “Installation”",
        "section “Usage”",
        "headers and footers",
        "comments",
    ]
    # The footnote's body is set off from the word before it (its number left out), the comment is
    # read on its own, the billion spaces are one, the text box is read, each table row one block.
    assert blocks(sections[1]) == [
        "Installation",
        "Run setup Footnote words now please",
        "Anchor Boxed words",
        "Part Count",
        "Bolt 12",
    ]
    assert blocks(sections[2]) == ["Usage", "Use it daily"]
    assert blocks(sections[3]) == ["Company Confidential", "Page footer"]
    assert blocks(sections[4]) == ["Check this figure"]


def test_odt_empty_encrypted_and_malformed(tmp_path, capsys):
    empty = tmp_path / "empty.odt"
    OpenDocumentText().save(str(empty))
    assert refusal(read_odt, empty) == "the document holds no text"

    written = make_odt(tmp_path / "written.odt")
    encrypted = tmp_path / "encrypted.odt"

    def encrypt(name: str, data: bytes) -> bytes:
        if name == "META-INF/manifest.xml":  # how ODF marks a member encrypted with a password
            return re.sub(
                rb'(<manifest:file-entry [^>]*"content.xml"[^>]*)/>',
                rb"\1><manifest:encryption-data/></manifest:file-entry>",
                data,
            )
        return data

    rewrite_zip(written, encrypted, encrypt)
    assert b"encryption-data" in zipfile.ZipFile(encrypted).read("META-INF/manifest.xml")
    assert refusal(read_odt, encrypted) == ENCRYPTED

    malformed = tmp_path / "malformed.odt"
    rewrite_zip(written, malformed, lambda name, data: data[: len(data) // 2] if name == "content.xml" else data)
    assert refusal(read_odt, malformed) == "is damaged: not a valid OpenDocument text (XML unreadable)"
    assert capsys.readouterr().out == ""  # odfpy prints a part it cannot parse; it never gets to


# ----------------------------------------------------------------------------------------------- PPTX


def make_pptx(path: Path) -> Path:
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
    first.shapes.title.text = "Results"
    first.placeholders[1].text_frame.text = "Revenue grew"
    group = first.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(1), Inches(2), Inches(1)).text_frame.text = "Grouped words"
    table = first.shapes.add_table(3, 2, Inches(1), Inches(3), Inches(4), Inches(2)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "Region", "Sales"
    table.cell(1, 0).text, table.cell(1, 1).text = "North", "12"
    table.cell(2, 0).merge(table.cell(2, 1))
    table.cell(2, 0).text = "Total row"
    first.notes_slide.notes_text_frame.text = "Say the numbers slowly"
    second = deck.slides.add_slide(deck.slide_layouts[6])  # blank: no title placeholder
    second.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1)).text_frame.text = "Untitled words"
    third = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    third.shapes.title.text = "Secret plan"
    third.element.set("show", "0")  # hidden in the slide show
    deck.slides.add_slide(deck.slide_layouts[6])  # an empty slide: no section
    deck.save(path)
    return path


def test_pptx_one_section_per_slide_with_titles_groups_tables_notes_and_hidden(tmp_path):
    sections = list(read_pptx(make_pptx(tmp_path / "deck.pptx"), [], ReadPosition()))
    assert [s.location for s in sections] == [
        "slide 1 · Results",
        "slide 1 notes",
        "slide 2",
        "slide 3 (hidden) · Secret plan",
    ]
    assert blocks(sections[0]) == ["Results", "Revenue grew", "Grouped words", "Region Sales", "North 12", "Total row"]
    assert blocks(sections[1]) == ["Say the numbers slowly"]
    assert blocks(sections[2]) == ["Untitled words"]
    assert blocks(sections[3]) == ["Secret plan"]


def test_pptx_without_text(tmp_path):
    path = tmp_path / "blank.pptx"
    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[6])
    deck.save(path)
    assert refusal(read_pptx, path) == "the presentation holds no text"


# ------------------------------------------------------------------------------------------------ ODP


def _frame(text: str, presentation_class: str | None = None) -> Frame:
    frame = Frame(width="10cm", height="2cm", x="1cm", y="1cm")
    if presentation_class:
        frame.setAttrNS(PRESENTATIONNS, "class", presentation_class)
    box = TextBox()
    box.addElement(P(text=text))
    frame.addElement(box)
    return frame


def make_odp(path: Path) -> Path:
    doc = OpenDocumentPresentation()
    layout = PageLayout(name="pl1")
    doc.automaticstyles.addElement(layout)
    hidden = Style(name="dpHidden", family="drawing-page")
    hidden.addElement(DrawingPageProperties(visibility="hidden"))
    doc.automaticstyles.addElement(hidden)
    master = MasterPage(name="Default", pagelayoutname=layout)
    doc.masterstyles.addElement(master)

    first = Page(name="p1", masterpagename=master)
    first.addElement(_frame("Results", "title"))
    first.addElement(_frame("Revenue grew"))
    group = G()
    group.addElement(_frame("Grouped words"))
    first.addElement(group)
    notes = Notes()
    notes.addElement(_frame("Say the numbers slowly", "notes"))
    first.addElement(notes)
    doc.presentation.addElement(first)
    second = Page(name="p2", masterpagename=master, stylename=hidden)
    second.addElement(_frame("Hidden words"))
    doc.presentation.addElement(second)
    doc.save(str(path))
    return path


def test_odp_one_section_per_slide_with_titles_groups_notes_and_hidden(tmp_path):
    sections = list(read_odp(make_odp(tmp_path / "deck.odp"), [], ReadPosition()))
    assert [s.location for s in sections] == ["slide 1 · Results", "slide 1 notes", "slide 2 (hidden)"]
    assert blocks(sections[0]) == ["Results", "Revenue grew", "Grouped words"]
    assert blocks(sections[1]) == ["Say the numbers slowly"]
    assert blocks(sections[2]) == ["Hidden words"]


# ----------------------------------------------------------------------------------------------- XLSX


def test_xlsx_sections_of_25_rows_with_exact_ranges_values_and_hidden_sheets(tmp_path):
    workbook = openpyxl.Workbook()
    budget = workbook.active
    budget.title = "Budget"
    for row in range(1, 31):
        budget.cell(row, 2, f"item{row}")
        budget.cell(row, 28, row * 1.5)  # column AB
    budget["C40"] = "late note"
    types = workbook.create_sheet("Types")
    types.append([0.1 + 0.2, 3.0, dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 14, 30), True, "=1+1", "  "])
    secret = workbook.create_sheet("Secret")
    secret["D7"] = "hush"
    secret.sheet_state = "hidden"
    path = tmp_path / "book.xlsx"
    workbook.save(path)

    where = ReadPosition()
    sections = list(read_xlsx(path, [], where))
    assert [s.location for s in sections] == [
        "sheet “Budget”, B1:AB25",
        "sheet “Budget”, B26:AB40",
        "sheet “Types”, A1:E1",
        "sheet “Secret” (hidden), D7",
    ]
    assert blocks(sections[0])[:2] == ["item1 1.5", "item2 3"]
    assert blocks(sections[1])[-1] == "late note"
    assert len(blocks(sections[0])) == 25 and len(blocks(sections[1])) == 6
    # The formula was never computed (openpyxl writes no cached value), and a blank string is no value.
    assert blocks(sections[2]) == ["0.3 3 2024-03-05 2024-03-05 14:30:00 TRUE"]
    assert where.done == where.size == path.stat().st_size


def test_xlsx_ignores_a_dimension_claiming_the_whole_grid(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "first"
    written, claimed = tmp_path / "written.xlsx", tmp_path / "claimed.xlsx"
    workbook.save(written)
    # openpyxl pads every row to the sheet's declared <dimension>: 1,048,576 rows of 16,384 cells here.
    rewrite_zip(
        written, claimed, lambda name, data: data.replace(b'<dimension ref="A1:A1"', b'<dimension ref="A1:XFD1048576"')
    )
    assert b'<dimension ref="A1:XFD1048576"/>' in zipfile.ZipFile(claimed).read("xl/worksheets/sheet1.xml")
    assert within_bounds(lambda: read(read_xlsx, claimed), seconds=2) == ([("sheet “Sheet”, A1", "first")], [])


def test_xlsx_cells_at_the_far_corner_of_the_grid(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "first"
    workbook.active["XFD1048576"] = "last"
    path = tmp_path / "corners.xlsx"
    workbook.save(path)
    found = within_bounds(lambda: read(read_xlsx, path), seconds=8)
    assert found == ([("sheet “Sheet”, A1", "first"), ("sheet “Sheet”, XFD1048576", "last")], [])


def test_xlsx_stops_at_the_cell_budget_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_CELLS", 500)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Big"
    for row in range(100):
        workbook.active.append([f"r{row}c{col}" for col in range(10)])
    path = tmp_path / "big.xlsx"
    workbook.save(path)
    found, notes = read(read_xlsx, path)
    assert notes == ["stopped after 500 cells of sheet “Big”"]
    assert [location for location, _ in found] == ["sheet “Big”, A1:J25", "sheet “Big”, A26:J50"]


def test_xlsx_without_values(tmp_path):
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    assert refusal(read_xlsx, path) == "the workbook holds no text"


# ------------------------------------------------------------------------------------------------ ODS


def _cell(text: str | None = None, **attributes: object) -> OdfCell:
    cell = OdfCell(**attributes)
    if text is not None:
        cell.addElement(P(text=text))
    return cell


def _row(*cells: OdfCell, **attributes: object) -> TableRow:
    row = TableRow(**attributes)
    for cell in cells:
        row.addElement(cell)
    return row


def make_ods(path: Path, *tables: Table, hidden_style: Style | None = None) -> Path:
    doc = OpenDocumentSpreadsheet()
    if hidden_style is not None:
        doc.automaticstyles.addElement(hidden_style)
    for table in tables:
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def test_ods_values_repeats_covered_cells_and_hidden_sheets(tmp_path):
    budget = Table(name="Budget")
    budget.addElement(
        _row(
            _cell("1,234.50", valuetype="currency", value="1234.5"),
            _cell("25%", valuetype="percentage", value="0.25"),
            _cell("05/03/24", valuetype="date", datevalue="2024-03-05"),
            _cell("TRUE", valuetype="boolean", booleanvalue="true"),
            _cell("text shown"),
        )
    )
    budget.addElement(_row(_cell(numbercolumnsrepeated=1_000_000)))  # an empty row, as wide as can be
    budget.addElement(_row(_cell(numbercolumnsrepeated=27), _cell("in AB")))
    budget.addElement(_row(_cell("x", numbercolumnsrepeated=3), CoveredTableCell(), _cell("after cover")))
    budget.addElement(_row(_cell(), numberrowsrepeated=1_048_570))  # empty rows: cost nothing
    budget.addElement(_row(_cell("far down"), _cell("twice"), numberrowsrepeated=2))
    hidden_style = Style(name="taHidden", family="table")
    hidden_style.addElement(TableProperties(display=False))
    secret = Table(name="Secret", stylename=hidden_style)
    secret.addElement(_row(_cell("hush")))
    path = make_ods(tmp_path / "book.ods", budget, secret, hidden_style=hidden_style)

    found = within_bounds(lambda: read(read_ods, path))
    assert found == (
        [
            ("sheet “Budget”, A1:AB4", "1234.5 0.25 2024-03-05 TRUE text shown in AB x x x after cover"),
            ("sheet “Budget”, A1048575:B1048576", "far down twice far down twice"),
            ("sheet “Secret” (hidden), A1", "hush"),
        ],
        [],
    )


def test_ods_repeated_rows_bomb_is_bounded(tmp_path, monkeypatch):
    # One row of a cell repeated across 16,384 columns, the row repeated 1,048,576 times: 17 billion
    # cells declared in a few bytes. Reading stops at the cell budget (lowered here to keep the test
    # short; the real one, 2,000,000, takes a few seconds of making words).
    monkeypatch.setattr(sheets, "MAX_CELLS", 100_000)
    sheet = Table(name="Bomb")
    sheet.addElement(_row(_cell("boom", numbercolumnsrepeated=16_384), numberrowsrepeated=1_048_576))
    path = make_ods(tmp_path / "bomb.ods", sheet)
    notes: list[str] = []
    words = within_bounds(lambda: sum(len(list(s.words)) for s in read_ods(path, notes, ReadPosition())), seconds=3)
    assert words == 6 * 16_384  # the seventh row would pass 100,000 cells
    assert notes == ["stopped after 100,000 cells of sheet “Bomb”"]


def test_ods_without_values(tmp_path):
    empty = Table(name="Empty")
    empty.addElement(_row(_cell(numbercolumnsrepeated=1024), numberrowsrepeated=1_048_576))
    assert refusal(read_ods, make_ods(tmp_path / "empty.ods", empty)) == "the spreadsheet holds no text"


def test_cell_text_helpers():
    assert [column_letters(n) for n in (1, 26, 27, 52, 53, 702, 703, 16384)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD",
    ]  # fmt: skip
    assert [number_text(x) for x in (3.0, 0.1 + 0.2, -2.5, 1e20, 1 / 3)] == [
        "3",
        "0.3",
        "-2.5",
        "1e+20",
        "0.333333333333333",
    ]
    assert value_text(dt.datetime(2024, 3, 5)) == "2024-03-05"
    assert value_text(dt.time(9, 5)) == "09:05:00"
    assert value_text(False) == "FALSE"


# ------------------------------------------------------------------------------- files that are not


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is a PDF, not a Word document (its name says .docx)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a PNG image, not a Word document (its name says .docx)"),
        (b"just some words, no zip at all", "is not a valid Word document (not a zip archive)"),
        (b"", "is empty (0 bytes), not a Word document"),
        (b"PK\x03\x04 and then nothing a zip needs", "is damaged: not a valid Word document (zip archive unreadable)"),
    ],
)
def test_not_a_docx_at_all(tmp_path, content, reason):
    path = tmp_path / "report.docx"
    path.write_bytes(content)
    assert refusal(read_docx, path) == reason


def test_office_file_under_another_office_name(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "numbers"
    workbook.save(tmp_path / "sheet.docx")
    assert (
        refusal(read_docx, tmp_path / "sheet.docx") == "is an Excel workbook, not a Word document (its name says .docx)"
    )
    make_odt(tmp_path / "text.ods")
    assert refusal(read_ods, tmp_path / "text.ods") == (
        "is an OpenDocument text, not an OpenDocument spreadsheet (its name says .ods)"
    )
    with zipfile.ZipFile(tmp_path / "photos.pptx", "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8\xff")
    assert refusal(read_pptx, tmp_path / "photos.pptx") == (
        "is a zip archive, not a PowerPoint presentation (its name says .pptx)"
    )


def _ole_file(*streams: str) -> bytes:
    """A minimal OLE compound file: header, then a directory sector naming ``streams``."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x1E:0x20] = (9).to_bytes(2, "little")  # 512-byte sectors
    header[0x30:0x34] = (0).to_bytes(4, "little")  # the directory starts at sector 0, just after the header
    directory = b"".join(
        (name.encode("utf-16-le") + b"\x00\x00").ljust(128, b"\x00") for name in ("Root Entry", *streams)
    )
    return bytes(header) + directory.ljust(512, b"\x00")


@pytest.mark.parametrize(
    ("streams", "reason"),
    [
        (("EncryptionInfo", "EncryptedPackage"), ENCRYPTED),
        (
            ("WordDocument", "1Table"),
            "is an old-format Word document (.doc), which this app does not read; open it and save it as .docx to index it",
        ),
        (
            ("SummaryInformation",),
            "is encrypted (password-protected) or an old-format Office file; save it as .docx without a password to index it",
        ),
    ],
)
def test_ole_compound_file_under_docx_name(tmp_path, streams, reason):
    path = tmp_path / "locked.docx"
    path.write_bytes(_ole_file(*streams))
    assert refusal(read_docx, path) == reason


def test_truncated_docx_is_damaged(tmp_path):
    whole = make_docx(tmp_path / "whole.docx").read_bytes()
    (tmp_path / "cut.docx").write_bytes(whole[: len(whole) // 2])
    assert refusal(read_docx, tmp_path / "cut.docx") == "is damaged: not a valid Word document (zip archive unreadable)"
    broken = tmp_path / "broken-xml.docx"
    rewrite_zip(tmp_path / "whole.docx", broken, lambda n, d: d[:-40] if n == "word/document.xml" else d)
    assert refusal(read_docx, broken) == "is damaged: not a valid Word document (XML unreadable)"


# -------------------------------------------------------------------------------------- the zip guard


def _zip_bomb(path: Path, member: str, first: tuple[str, bytes]) -> Path:
    """An archive whose ``member`` is 200 MB of zeros (under 1 MB packed), after a small ``first`` member."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(*first)
        with archive.open(member, "w") as out:
            chunk = bytes(1 << 20)
            for _ in range(200):
                out.write(chunk)
    return path


def test_zip_bombs_disguised_as_documents_are_refused_before_unpacking(tmp_path):
    docx_bomb = _zip_bomb(tmp_path / "bomb.docx", "word/document.xml", ("[Content_Types].xml", b"<Types/>"))
    odt_bomb = _zip_bomb(tmp_path / "bomb.odt", "content.xml", ("mimetype", b"application/vnd.oasis.opendocument.text"))
    for reader, bomb in ((read_docx, docx_bomb), (read_odt, odt_bomb)):
        reason = within_bounds(lambda r=reader, b=bomb: refusal(r, b), seconds=1, megabytes=50)
        assert isinstance(reason, str) and reason.startswith("looks like a zip bomb: 210 MB packed into ")
        assert reason.endswith(" KB; not opened")


def test_zip_with_too_many_members_is_refused_before_listing_them(tmp_path, monkeypatch):
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(zip_guard.MAX_MEMBERS + 1):
            archive.writestr(f"word/part{index}.xml", b"")

    def listing_forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("zipfile was asked to list the members")

    with monkeypatch.context() as patched:
        patched.setattr(zip_guard.zipfile, "ZipFile", listing_forbidden)
        assert refusal(read_docx, path) == "is a zip archive of more than 20,000 files; not opened"
    # The end record may lie about the count; the listing is counted too.
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (1).to_bytes(2, "little") * 2
    path.write_bytes(bytes(data))
    assert refusal(read_docx, path) == "is a zip archive of more than 20,000 files; not opened"


def _archive(*members: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer


def test_zip_guard_limits(monkeypatch):
    members = check_zip(_archive(("a.xml", b"<a/>"), ("b.xml", b"<b/>")), "Word document")
    assert [m.filename for m in members] == ["a.xml", "b.xml"]

    monkeypatch.setattr(zip_guard, "MAX_TOTAL_UNPACKED", 1000)
    with pytest.raises(IngestError, match=r"^unpacks to 2 KB, more than the 1 KB this app opens; not opened$"):
        check_zip(_archive(("big.bin", bytes(2000))), "Word document")
    monkeypatch.setattr(zip_guard, "MAX_DIRECTORY", 10)
    with pytest.raises(IngestError, match=r"^has a zip directory of \d+ bytes, too large to be real; not opened$"):
        check_zip(_archive(("a.xml", b"<a/>")), "Word document")
    monkeypatch.undo()

    with pytest.raises(IngestError, match=r"^uses bzip2 zip compression, which this app does not unpack; not opened$"):
        check_zip(_archive(("a.xml", b"<a/>"), method=zipfile.ZIP_BZIP2), "Word document")
    with pytest.raises(IngestError, match=r"^is not a valid Word document \(an empty zip archive\)$"):
        check_zip(_archive(), "Word document")

    encrypted = bytearray(_archive(("a.xml", b"<a/>")).getvalue())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local and directory headers
        at = encrypted.find(signature) + flag_at
        encrypted[at] |= 0x1
    with pytest.raises(IngestError) as caught:
        check_zip(io.BytesIO(bytes(encrypted)), "Word document")
    assert str(caught.value) == ENCRYPTED


# ---------------------------------------------------------------------------------- XML entity bombs

_LAUGHS = (
    '<!DOCTYPE bomb [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)


def _with_laughs(levels: int) -> Callable[[str, bytes], bytes]:
    """A member rewrite that declares the billion laughs and uses ``&lol<levels>;`` for ``BOMB``."""

    def change(name: str, data: bytes) -> bytes:
        if b"BOMB" not in data:
            return data
        text = data.decode()
        end = text.index("?>") + 2 if text.startswith("<?xml") else 0
        return (text[:end] + _LAUGHS + text[end:]).replace("BOMB", f"&lol{levels};").encode()

    return change


def _bomb_sources(tmp_path: Path) -> list[tuple[Reader, Path]]:
    document = docx.Document()
    document.add_paragraph("before BOMB after")
    document.save(tmp_path / "plain.docx")
    text = OpenDocumentText()
    text.text.addElement(P(text="before BOMB after"))
    text.save(str(tmp_path / "plain.odt"))
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "before BOMB after"  # openpyxl writes it inline, in the sheet's own XML
    workbook.save(tmp_path / "plain.xlsx")
    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[6]).shapes.add_textbox(0, 0, 10, 10).text_frame.text = "before BOMB after"
    deck.save(tmp_path / "plain.pptx")
    return [(read_docx, tmp_path / "plain.docx"), (read_odt, tmp_path / "plain.odt"),
            (read_xlsx, tmp_path / "plain.xlsx"), (read_pptx, tmp_path / "plain.pptx")]  # fmt: skip


def test_billion_laughs_are_refused_quickly_in_small_memory(tmp_path):
    for reader, source in _bomb_sources(tmp_path):
        bomb = tmp_path / f"laughs{source.suffix}"
        rewrite_zip(source, bomb, _with_laughs(9))
        assert b"&lol9;" in b"".join(zipfile.ZipFile(bomb).read(n) for n in zipfile.ZipFile(bomb).namelist())
        result = within_bounds(lambda r=reader, b=bomb: read(r, b), seconds=3)
        assert isinstance(result, IngestError) and str(result) == ENTITY_BOMB, (source.suffix, result)


def test_small_entity_expansions_are_refused_or_never_expanded(tmp_path):
    # A thousand "lol"s is under libxml2's amplification limit: python-docx and python-pptx parse with
    # resolve_entities=False (the reference is never expanded, and the run's text after it is lost),
    # odfpy and openpyxl's sheet parser use defusedxml (refused).
    outcome = {}
    for reader, source in _bomb_sources(tmp_path):
        small = tmp_path / f"small{source.suffix}"
        rewrite_zip(source, small, _with_laughs(3))
        result = within_bounds(lambda r=reader, s=small: read(r, s), seconds=3)
        outcome[source.suffix] = str(result) if isinstance(result, IngestError) else result[0][0][1]
    assert outcome == {".docx": "before", ".odt": ENTITY_BOMB, ".xlsx": ENTITY_BOMB, ".pptx": "before"}
