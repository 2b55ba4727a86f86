"""The Office and OpenDocument section readers by file suffix, as :mod:`.readers` hands them out.

Importing this is cheap: each reader imports its library (python-docx, python-pptx, openpyxl, odfpy)
only when it first reads a file.
"""

from __future__ import annotations

from .sections import SectionReader
from .sheets import read_ods, read_xlsx
from .slides import read_odp, read_pptx
from .word_processing import read_docx, read_odt

READERS: dict[str, SectionReader] = {
    ".docx": read_docx,
    ".odt": read_odt,
    ".pptx": read_pptx,
    ".odp": read_odp,
    ".xlsx": read_xlsx,
    ".ods": read_ods,
}
