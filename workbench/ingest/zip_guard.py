"""Checks a zip-based file (DOCX, PPTX, XLSX, ODF, EPUB, CBZ) before any library unpacks it.

A zip archive says in its directory how big each member is once unpacked, and a hostile one can say
"4 GB" of a member that takes 45 KB on disk (a zip bomb), list millions of members, or hold members
encrypted with a password. Python's ``zipfile`` never yields more bytes of a member than its declared
size (its reader cuts decompressed data at ``file_size``, and the CRC check fails a member that would
run longer), so refusing archives whose *declared* sizes are out of bounds bounds the work every
library does later. That holds for deflate, which ``zipfile`` decompresses in bounded steps; bzip2 and
LZMA are decompressed a whole read at a time, so those rare methods are refused too (no Office, ODF or
e-book writer uses them).
"""

from __future__ import annotations

import os
import struct
import zipfile
from typing import BinaryIO

from .errors import IngestError

MAX_MEMBERS = 20_000  # a 500-slide deck with media holds a few thousand; more is a denial-of-service attempt
MAX_TOTAL_UNPACKED = 10**9  # bytes, all members together: every library here may hold them in memory at once
MAX_DIRECTORY = 32 << 20  # bytes of zip directory: zipfile builds ~0.5 KB of objects per entry it lists
BOMB_RATIO = 100  # unpacked / packed size of one member; real XML packs 5-30 times, media about once
BOMB_MIN_UNPACKED = 10 << 20  # bytes: a small member may pack well without harm
ALLOWED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "Deflate64"}
_ENCRYPTED_FLAG = 0x1  # general-purpose bit 0 of a zip entry: the member is encrypted
_END_RECORD = struct.Struct("<4s4H2LH")  # end-of-central-directory record, as the zip specification lays it out
_END_SIGNATURE = b"PK\x05\x06"
_MAX_COMMENT = 0xFFFF  # the archive comment that may follow the end record
# What a zip archive really holds: the folder of an OOXML main part, or an ODF/EPUB ``mimetype`` member.
_OOXML_FOLDERS = (("word/", "a Word document"), ("ppt/", "a PowerPoint presentation"), ("xl/", "an Excel workbook"))
_MIMETYPES = (
    ("application/vnd.oasis.opendocument.text", "an OpenDocument text"),
    ("application/vnd.oasis.opendocument.presentation", "an OpenDocument presentation"),
    ("application/vnd.oasis.opendocument.spreadsheet", "an OpenDocument spreadsheet"),
    ("application/vnd.oasis.opendocument.graphics", "an OpenDocument drawing"),
    ("application/epub+zip", "an EPUB e-book"),
)
_MAX_MIMETYPE = 256  # bytes; the member holds one short line


def human_size(n: int) -> str:
    """``n`` bytes for people: ``"45 KB"``, ``"4.2 GB"`` (decimal units, as file managers show them)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= scale:
            value = n / scale
            shown = f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"
            return f"{shown} {unit}"
    return f"{n} bytes"


def _end_record(fh: BinaryIO) -> tuple[int, int] | None:
    """(members listed, directory bytes) from the archive's end record, or ``None`` where there is none.

    Read before ``zipfile`` lists the members, because listing them is where a hostile directory of
    millions of entries would cost memory."""
    size = fh.seek(0, os.SEEK_END)
    tail_len = min(size, _END_RECORD.size + _MAX_COMMENT)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(_END_SIGNATURE)
    if at < 0 or at + _END_RECORD.size > len(tail):
        return None
    fields = _END_RECORD.unpack_from(tail, at)
    return fields[4], fields[5]  # entries in total, directory size (0xFFFF / 0xFFFFFFFF mean zip64: huge)


def check_zip(fh: BinaryIO, what: str) -> list[zipfile.ZipInfo]:
    """The members of the zip archive open in ``fh`` (a binary file, any position; left at 0), after
    checking it is safe to hand to a library; ``what`` names the file for people ("Word document").

    Raises :class:`IngestError` with a plain reason for: not a zip archive, an unreadable one, an empty
    one, too many members, too large a directory or total unpacked size, a member packed like a zip
    bomb, an encrypted member, or a compression method outside stored/deflate."""
    fh.seek(0)
    is_zip_head = fh.read(4).startswith(b"PK")
    listed = _end_record(fh)
    if listed is None:
        fh.seek(0)
        if is_zip_head:
            raise IngestError(f"is damaged: not a valid {what} (zip archive unreadable)")
        raise IngestError(f"is not a valid {what} (not a zip archive)")
    entries, directory = listed
    if entries > MAX_MEMBERS:
        raise IngestError(f"is a zip archive of more than {MAX_MEMBERS:,} files; not opened")
    if directory > MAX_DIRECTORY:
        raise IngestError(f"has a zip directory of {human_size(directory)}, too large to be real; not opened")
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise IngestError(f"is damaged: not a valid {what} (zip archive unreadable)") from None
    finally:
        fh.seek(0)
    if not members:
        raise IngestError(f"is not a valid {what} (an empty zip archive)")
    if len(members) > MAX_MEMBERS:
        raise IngestError(f"is a zip archive of more than {MAX_MEMBERS:,} files; not opened")
    total = 0
    for member in members:
        if member.flag_bits & _ENCRYPTED_FLAG:
            raise IngestError("is password-protected (encrypted); open it and save it without a password to index it")
        if member.compress_type not in ALLOWED_METHODS:
            method = _METHOD_NAMES.get(member.compress_type, f"method {member.compress_type}")
            raise IngestError(f"uses {method} zip compression, which this app does not unpack; not opened")
        unpacked = member.file_size
        if unpacked > BOMB_MIN_UNPACKED and unpacked > BOMB_RATIO * max(member.compress_size, 1):
            packed = human_size(member.compress_size)
            raise IngestError(f"looks like a zip bomb: {human_size(unpacked)} packed into {packed}; not opened")
        total += unpacked
    if total > MAX_TOTAL_UNPACKED:
        limit = human_size(MAX_TOTAL_UNPACKED)
        raise IngestError(f"unpacks to {human_size(total)}, more than the {limit} this app opens; not opened")
    return members


def zip_holds(archive: zipfile.ZipFile, names: frozenset[str]) -> str | None:
    """What a zip archive really holds ("a Word document", "an EPUB e-book"), from its member ``names`` (an
    OOXML main part's folder) or its ``mimetype`` member (ODF, EPUB); ``None`` when it is none of the known.
    A file whose name claims one format and holds another is refused saying which."""
    for folder, what in _OOXML_FOLDERS:
        if any(name.startswith(folder) for name in names):
            return what
    if "mimetype" not in names or archive.getinfo("mimetype").file_size > _MAX_MIMETYPE:
        return None
    mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
    return next((what for prefix, what in _MIMETYPES if mimetype.startswith(prefix)), None)
