"""Spreadsheets (XLSX through openpyxl, ODS through odfpy) → sections of at most 25 rows.

Each sheet's non-empty rows are read in order, each row one block of its cells' values, and those
within 25 rows of a section's first row make the section, at location ``sheet “Budget”, A1:F25`` — the
range the non-empty cells of those rows actually span (``B7`` for a single cell); a hidden sheet is still read, at ``sheet “Budget”
(hidden), …``. Values read as text: numbers without float noise, dates in ISO form, formulas as the
value the spreadsheet program last computed (the file's cached value; a formula never computed by
one, as in files written by scripts, has none and is skipped).

A workbook is read a row at a time (openpyxl's read-only mode streams the sheet XML), and at most
:data:`MAX_CELLS` cell positions are walked per file, so a sheet claiming a million rows of sixteen
thousand columns ends with a note rather than hours later. In ODS a row or cell repeated many times
(``table:number-rows-repeated="1048576"``) costs nothing while it is empty and counts every repeat
against the same budget when it is not.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .files import ReadPosition
from .odf_content import OFFICE, TABLE, body, cell_text, elements, load_odf, styles_with, table_rows
from .office_package import ODS, XLSX, append_block, office_file, plain_errors, titled, with_text
from .passages import Word
from .sections import Section

if TYPE_CHECKING:
    from odf.element import Element
    from odf.opendocument import OpenDocument
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

ROWS_PER_SECTION = 25
MAX_CELLS = 2_000_000  # cell positions walked per file, empty ones between values included
Row = tuple[int, list[tuple[int, str]]]  # 1-based row number, (1-based column, text) of its non-empty cells


class CellBudget:
    """How many more cell positions a file may have walked; notes where the budget ran out."""

    def __init__(self, notes: list[str], limit: int) -> None:
        self.notes = notes
        self.limit = limit
        self.left = limit

    def spend(self, cells: int, sheet: str) -> bool:
        """Takes ``cells`` from the budget; ``False`` (and a note naming ``sheet``) once it is spent."""
        self.left -= cells
        if self.left < 0 and self.left + cells >= 0:
            self.notes.append(f"stopped after {self.limit:,} cells of sheet “{titled(sheet)}”")
        return self.left >= 0


def column_letters(column: int) -> str:
    """The A1-notation letters of a 1-based column number: 1 → A, 26 → Z, 27 → AA, 16384 → XFD."""
    letters = ""
    while column > 0:
        column, digit = divmod(column - 1, 26)
        letters = chr(ord("A") + digit) + letters
    return letters


def number_text(value: float) -> str:
    """A number as people write it: whole numbers without ``.0``, others without float noise
    (0.1 + 0.2 → ``0.3``)."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def value_text(value: object) -> str:
    """A cell value as text: numbers by :func:`number_text`, dates and times in ISO form (a date with no
    time of day as the date alone), booleans as ``TRUE``/``FALSE``."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _range_section(sheet: str, block: list[Row]) -> Section:
    """The section of a block of non-empty rows, located by the range their cells span."""
    columns = [column for _, cells in block for column, _ in cells]
    first = f"{column_letters(min(columns))}{block[0][0]}"
    last = f"{column_letters(max(columns))}{block[-1][0]}"
    words: list[Word] = []
    for _, cells in block:
        append_block(words, " ".join(text for _, text in cells))
    return Section(words, location=f"{sheet}, {first if first == last else f'{first}:{last}'}")


def _sheet_sections(title: str, hidden: bool, rows: Iterable[Row]) -> Iterator[Section]:
    """Sections of one sheet's non-empty rows, each section's rows within :data:`ROWS_PER_SECTION` rows
    of its first (so no range spans more than that many rows, however sparse the sheet)."""
    sheet = f"sheet “{titled(title)}”" + (" (hidden)" if hidden else "")
    block: list[Row] = []
    for row in rows:
        if not row[1]:
            continue
        if block and row[0] - block[0][0] >= ROWS_PER_SECTION:
            yield _range_section(sheet, block)
            block = []
        block.append(row)
    if block:
        yield _range_section(sheet, block)


def _xlsx_rows(sheet: ReadOnlyWorksheet, budget: CellBudget) -> Iterator[Row]:
    """The rows of an openpyxl read-only sheet, within ``budget``."""
    # The sheet's own <dimension> may claim A1:XFD1048576 for one cell, and openpyxl pads every row to
    # it; without it, a row is only as long as its last cell and a missing row is an empty tuple.
    sheet.reset_dimensions()
    for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
        if not budget.spend(max(1, len(values)), sheet.title):
            return
        yield (
            number,
            [(column, text) for column, v in enumerate(values, 1) if v is not None and (text := value_text(v))],
        )


def _ods_value(cell: Element) -> str:
    """An ODS cell's value as text: typed values (numbers, dates, booleans) from their attributes, the
    rest (strings, times, cells without a type) as the text the cell shows, as is any typed value
    written in a form Python does not parse (a date with nanoseconds)."""
    kind = cell.getAttrNS(OFFICE, "value-type")
    try:
        if kind in ("float", "percentage", "currency") and cell.getAttrNS(OFFICE, "value"):
            return number_text(float(cell.getAttrNS(OFFICE, "value")))
        if kind == "date" and cell.getAttrNS(OFFICE, "date-value"):
            return value_text(dt.datetime.fromisoformat(cell.getAttrNS(OFFICE, "date-value")))
    except ValueError:
        pass
    if kind == "boolean":
        return value_text(cell.getAttrNS(OFFICE, "boolean-value") == "true")
    return cell_text(cell).strip()


def _repeats(element: Element, attribute: str) -> int:
    """How many rows or columns ``element`` stands for (``table:number-…-repeated``, at least 1)."""
    return max(1, int(element.getAttrNS(TABLE, attribute) or 1))


def _ods_cells(row: Element, title: str, budget: CellBudget) -> list[tuple[int, str]] | None:
    """(column, text) of one ODS row's non-empty cells; ``None`` once ``budget`` is spent. Empty cells
    repeated any number of times only move the column on."""
    cells: list[tuple[int, str]] = []
    column = 1
    for cell in elements(row):
        repeat = _repeats(cell, "number-columns-repeated")
        text = _ods_value(cell) if cell.qname == (TABLE, "table-cell") else ""
        if text:
            if not budget.spend(repeat, title):
                return None
            cells.extend((column + i, text) for i in range(repeat))
        column += repeat
    return cells


def _ods_rows(table: Element, title: str, budget: CellBudget) -> Iterator[Row]:
    """The rows of an odfpy sheet, repeats honoured, within ``budget``."""
    number = 1
    for row in table_rows(table):
        repeat = _repeats(row, "number-rows-repeated")
        cells = _ods_cells(row, title, budget)
        if cells is None:
            return
        for copy in range(repeat if cells else 0):
            if copy and not budget.spend(len(cells), title):  # the first copy was paid for above
                return
            yield number + copy, cells
        number += repeat


def _xlsx_sections(workbook: Workbook, notes: list[str], where: ReadPosition) -> Iterator[Section]:
    """The sections of every worksheet of an openpyxl read-only workbook (chart sheets hold no cells)."""
    budget = CellBudget(notes, MAX_CELLS)
    sheets = workbook.worksheets
    for index, sheet in enumerate(sheets):
        yield from _sheet_sections(sheet.title, sheet.sheet_state != "visible", _xlsx_rows(sheet, budget))
        if budget.left < 0:
            return
        where.done = where.size * (index + 1) // len(sheets)


def _ods_sections(doc: OpenDocument, notes: list[str]) -> Iterator[Section]:
    """The sections of every sheet (``table:table``) of an odfpy spreadsheet."""
    budget = CellBudget(notes, MAX_CELLS)
    hidden_styles = styles_with(doc, "table-properties", (TABLE, "display"), "false")
    for table in elements(body(doc, "spreadsheet")):
        if table.qname != (TABLE, "table"):
            continue
        title = table.getAttrNS(TABLE, "name") or ""
        hidden = table.getAttrNS(TABLE, "style-name") in hidden_styles
        yield from _sheet_sections(title, hidden, _ods_rows(table, title, budget))
        if budget.left < 0:
            return


@plain_errors(XLSX)
def read_xlsx(path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]:
    """An XLSX file's sections (see the module docstring); :class:`IngestError` for a file that is not a
    readable Excel workbook or holds no values. Macros are never run; a note says they were left out."""
    from openpyxl import load_workbook

    with office_file(path, XLSX, where) as package:
        workbook = load_workbook(package.file, read_only=True, data_only=True, keep_links=False)
        try:
            yield from with_text(package, notes, "workbook", _xlsx_sections(workbook, notes, where))
        finally:
            workbook.close()


@plain_errors(ODS)
def read_ods(path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]:
    """An ODS file's sections (see the module docstring); :class:`IngestError` for a file that is not a
    readable OpenDocument spreadsheet or holds no values. Macros are never run; a note says they were
    left out."""
    with office_file(path, ODS, where) as package:
        yield from with_text(package, notes, "spreadsheet", _ods_sections(load_odf(package), notes))
