"""Opening an Office (OOXML) or OpenDocument file as hostile input, and what its readers share.

A ``.docx`` name is a claim: the file may be an old binary ``.doc``, a password-protected document
(Office wraps those in an OLE compound file), a PDF renamed, a spreadsheet under the wrong name, or a zip
bomb. :func:`office_file` checks all of that from the first bytes and the zip directory before any
library sees the file, so people get one plain sentence instead of a library's traceback; and
:func:`plain_errors` turns whatever a library raises on a damaged file into such a sentence too.
"""

from __future__ import annotations

import functools
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import IngestError, with_article
from .files import ReadPosition, open_regular
from .passages import Word
from .sections import Section, SectionReader, text_section_words
from .sniff import HEAD_BYTES, not_a_pdf
from .zip_guard import check_zip, human_size, zip_holds

ENTITY_BOMB = "contains an XML entity bomb; not opened"
EXTERNAL_ENTITY = "contains XML entities that point outside the file (a way to read other files); not opened"
MACROS_NOTE = "macros not indexed (never run)"
ENCRYPTED = "is password-protected (encrypted); open it and save it without a password to index it"
MAX_LXML_PART = 128 << 20  # bytes of one XML part python-docx, python-pptx or openpyxl hold as a tree (~5x)
MAX_ODF_PART = 64 << 20  # bytes of one XML part odfpy holds as Python objects (~12x: 9 MB took 112 MB)
MAX_TITLE = 80  # characters of a heading, slide title or sheet name kept in a location
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names (UTF-16 in the OLE directory) that say what an OLE compound file holds.
_OLE_STREAMS = (
    ("EncryptedPackage", None),  # an OOXML file encrypted with a password (MS-OFFCRYPTO)
    ("WordDocument", "an old-format Word document (.doc)"),
    ("Workbook", "an old-format Excel workbook (.xls)"),
    ("Book", "an old-format Excel workbook (.xls)"),
    ("PowerPoint Document", "an old-format PowerPoint presentation (.ppt)"),
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class OfficeKind:
    """A format read here: ``name`` for people ("Word document"); ``marker`` the folder of its main part
    (OOXML) or its ``mimetype`` (ODF); ``streamed`` the folder of parts its library streams rather than
    loading whole (``None``: every XML part is loaded whole)."""

    name: str
    suffix: str
    marker: str
    streamed: str | None = None

    @property
    def a_name(self) -> str:
        """The name with its article: "a Word document", "an Excel workbook"."""
        return with_article(self.name)

    @property
    def is_odf(self) -> bool:
        """True for the OpenDocument formats (read with odfpy)."""
        return self.marker.startswith("application/")


DOCX = OfficeKind("Word document", ".docx", "word/")
ODT = OfficeKind("OpenDocument text", ".odt", "application/vnd.oasis.opendocument.text")
PPTX = OfficeKind("PowerPoint presentation", ".pptx", "ppt/")
ODP = OfficeKind("OpenDocument presentation", ".odp", "application/vnd.oasis.opendocument.presentation")
XLSX = OfficeKind("Excel workbook", ".xlsx", "xl/", streamed="xl/worksheets/")
ODS = OfficeKind("OpenDocument spreadsheet", ".ods", "application/vnd.oasis.opendocument.spreadsheet")


@dataclass(frozen=True)
class OfficePackage:
    """A checked file: ``file`` open at byte 0 for the library; ``names`` its zip members; ``has_macros``
    whether it holds macros (never run, never indexed)."""

    file: BinaryIO
    names: frozenset[str]
    has_macros: bool


def _ole_reason(fh: BinaryIO, kind: OfficeKind) -> str:
    """Why an OLE compound file under an Office name cannot be read, from its first directory sector
    (where Office writes the top-level stream names)."""
    fh.seek(0)
    header = fh.read(512)
    shift = int.from_bytes(header[0x1E:0x20], "little")  # sector size as a power of two: 512 or 4096
    first = int.from_bytes(header[0x30:0x34], "little")  # first sector of the directory
    directory = b""
    if shift in (9, 12) and first < 0xFFFFFFFA:  # higher values are end-of-chain / free markers
        fh.seek((first + 1) << shift)
        directory = fh.read(1 << shift)
    for stream, what in _OLE_STREAMS:
        if stream.encode("utf-16-le") + b"\x00\x00" in directory:
            if what is None:
                return ENCRYPTED
            return f"is {what}, which this app does not read; open it and save it as {kind.suffix} to index it"
    return (
        f"is encrypted (password-protected) or an old-format Office file; "
        f"save it as {kind.suffix} without a password to index it"
    )


def _not_zip_reason(fh: BinaryIO, head: bytes, kind: OfficeKind, named: str) -> str:
    """Why a file under an Office name whose first bytes are not a zip archive cannot be read; ``named``
    is what its name claims (" (its name says .docx)")."""
    if head.startswith(_OLE_MAGIC):
        return _ole_reason(fh, kind)
    if not head:
        return f"is empty (0 bytes), not {kind.a_name}"
    looks_like = not_a_pdf(head)
    if looks_like is None:
        return f"is a PDF, not {kind.a_name}{named}"
    if looks_like:
        return f"is {looks_like}, not {kind.a_name}{named}"
    return f"is not a valid {kind.name} (not a zip archive)"


def _has_macros(names: frozenset[str]) -> bool:
    """True when the archive holds VBA (OOXML ``vbaProject.bin``) or Basic/script modules (ODF)."""
    return any(
        name.endswith("vbaProject.bin")
        or (name.startswith(("Basic/", "Scripts/")) and not name.endswith(("/", "script-lc.xml", "script-lb.xml")))
        for name in names
    )


def _check_parts(fh: BinaryIO, members: list[zipfile.ZipInfo], kind: OfficeKind, named: str) -> frozenset[str]:
    """The member names, after checking the archive holds ``kind`` (``named``: what the file's name
    claims), no XML part its library loads whole is too big for memory, and (ODF) its content is not
    encrypted."""
    names = frozenset(m.filename for m in members)
    limit = MAX_ODF_PART if kind.is_odf else MAX_LXML_PART
    for member in members:
        loaded_whole = not (kind.streamed and member.filename.startswith(kind.streamed))
        if member.filename.endswith((".xml", ".rels")) and loaded_whole and member.file_size > limit:
            size, most = human_size(member.file_size), human_size(limit)
            raise IngestError(f"is too large to open: its part {member.filename} unpacks to {size} (at most {most})")
    with zipfile.ZipFile(fh) as archive:
        holds = zip_holds(archive, names)
        if holds != kind.a_name:
            raise IngestError(f"is {holds or 'a zip archive'}, not {kind.a_name}{named}")
        # ODF encrypts member contents (not the zip) and says so in the manifest; odfpy would only see
        # undecodable bytes. The manifest is a small XML part, bounded by the size check above.
        if kind.is_odf and b"encryption-data" in archive.read("META-INF/manifest.xml"):
            raise IngestError(ENCRYPTED)
    fh.seek(0)
    return names


@contextmanager
def office_file(path: Path, kind: OfficeKind, where: ReadPosition) -> Iterator[OfficePackage]:
    """``path`` opened as hostile input and checked to really be ``kind`` (see the module docstring);
    :class:`IngestError` with a plain reason otherwise. ``where`` gets the file's size, and is marked
    done when the block ends without an error."""
    with open_regular(path) as fh:
        where.size = os.fstat(fh.fileno()).st_size
        head = fh.read(HEAD_BYTES)
        named = f" (its name says {path.suffix.lower()})" if path.suffix else ""
        if not head.startswith(b"PK"):
            raise IngestError(_not_zip_reason(fh, head, kind, named))
        members = check_zip(fh, kind.name)
        try:
            names = _check_parts(fh, members, kind, named)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
            raise IngestError(f"is damaged: not a valid {kind.name} (zip archive unreadable)") from None
        yield OfficePackage(fh, names, _has_macros(names))
        where.done = where.size


def _entity_limit(exc: BaseException) -> bool:
    """True for lxml's refusal of entities that would expand without bound: libxml2 does not expand
    entities for python-docx, python-pptx or openpyxl (``resolve_entities=False``), but still stops a
    document whose entity references loop or amplify past its limit."""
    from lxml import etree

    if not isinstance(exc, etree.XMLSyntaxError):
        return False
    return exc.code == etree.ErrorTypes.ERR_ENTITY_LOOP or (
        exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT and "entity" in str(exc).lower()
    )


def _reason(kind: OfficeKind, exc: BaseException) -> str:
    """A plain one-line reason for a library's exception on a damaged file."""
    from xml.parsers.expat import ExpatError
    from xml.sax import SAXException

    from defusedxml import DefusedXmlException

    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and len(chain) < 8:  # openpyxl re-raises a parse error as a bare ValueError
        chain.append(link)
        link = link.__cause__ or link.__context__
    refused = next((e for e in chain if isinstance(e, DefusedXmlException)), None)
    if refused is not None:  # defusedxml refuses every entity declaration; one naming a file is no bomb
        return EXTERNAL_ENTITY if getattr(refused, "sysid", None) else ENTITY_BOMB
    if any(_entity_limit(e) for e in chain):
        return ENTITY_BOMB
    if isinstance(exc, MemoryError):
        return "is too large to open (ran out of memory)"
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError)):
        detail = "zip archive unreadable"
    elif any(isinstance(e, (SyntaxError, SAXException, ExpatError)) for e in chain):
        detail = "XML unreadable"  # lxml's and ElementTree's parse errors are SyntaxErrors
    elif isinstance(exc, KeyError):
        detail = "a part it needs is missing"
    elif isinstance(exc, RecursionError):
        detail = "nested too deeply"
    else:
        detail = "unreadable content"
    return f"is damaged: not a valid {kind.name} ({detail})"


def plain_errors(kind: OfficeKind) -> Callable[[SectionReader], SectionReader]:
    """Decorates a section reader so that any library exception becomes :class:`IngestError` with a
    plain reason (:class:`IngestError` itself passes through), however far the reading got."""

    def wrap(read: SectionReader) -> SectionReader:
        @functools.wraps(read)
        def guarded(path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]:
            try:
                yield from read(path, notes, where)
            except IngestError:
                raise
            except Exception as exc:  # a library's own error on a damaged file, of whatever type
                raise IngestError(_reason(kind, exc)) from None

        return guarded

    return wrap


def titled(text: str) -> str:
    """``text`` on one line, cut to :data:`MAX_TITLE` characters, for a location."""
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"


def append_block(words: list[Word], text: str) -> None:
    """Adds the words of ``text`` to ``words`` as the next block (nothing for blank text)."""
    words.extend(text_section_words(text, words[-1].block + 1 if words else 0))


def with_text(package: OfficePackage, notes: list[str], what: str, sections: Iterator[Section]) -> Iterator[Section]:
    """``sections`` passed through, noting once that macros were left out where the file has them;
    :class:`IngestError` when there was none: "the <what> holds no text", or "holds only macros"."""
    found = False
    for section in sections:
        if not found and package.has_macros:
            notes.append(MACROS_NOTE)
        found = True
        yield section
    if not found:
        raise IngestError("holds only macros, no text" if package.has_macros else f"the {what} holds no text")
