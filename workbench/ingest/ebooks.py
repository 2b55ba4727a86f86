"""E-books, XPS and comic books through PyMuPDF: EPUB, MOBI, FB2, XPS/OXPS and CBZ are laid out into
pages by MuPDF, so they are read, OCR'd, rendered and highlighted by the PDF path (:mod:`.pdf`).

What differs is opening them: each format's bytes are checked for what they claim (a ``.epub`` that is
a PDF or an HTML page is said to be so), zip-based ones pass :func:`~.zip_guard.check_zip` first (a zip
bomb is refused before MuPDF inflates anything), a DRM-protected EPUB is named as such instead of
indexed as ciphertext, and each passage gets its chapter from the book's table of contents as its location.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pymupdf

from .errors import IngestError, with_article
from .files import NOT_REGULAR, is_regular, open_regular
from .passages import Word
from .pdf import OpenPdf, short_reason, utf8_name
from .sniff import HEAD_BYTES, not_a_pdf
from .zip_guard import check_zip, zip_holds

# MuPDF's name for each suffix's format.
MUPDF_TYPES = {".epub": "epub", ".mobi": "mobi", ".fb2": "fb2", ".xps": "xps", ".oxps": "xps", ".cbz": "cbz"}
NAMES = {
    "epub": "EPUB e-book",
    "mobi": "MOBI e-book",
    "fb2": "FictionBook (FB2) e-book",
    "xps": "XPS document",
    "cbz": "comic-book archive (CBZ)",
}
ZIPPED = {"epub", "xps", "cbz"}
# encryption.xml also lists fonts obfuscated by these two algorithms, which every reader undoes: that is
# not DRM. Anything else encrypted in an EPUB is content only its vendor's reader can open.
FONT_OBFUSCATION = (b"http://www.idpf.org/2008/embedding", b"http://ns.adobe.com/pdf/enc#RC")
MOBI_MAGIC_AT = 60  # a Palm database's type and creator: "BOOKMOBI" for MOBI and AZW3


def mupdf_type(path: Path) -> str | None:
    """MuPDF's format name for ``path``'s suffix (``"epub"``…), or ``None`` for a PDF or another type."""
    return MUPDF_TYPES.get(path.suffix.lower())


def open_ebook(path: Path, kind: str) -> OpenPdf:
    """Open a file of MuPDF format ``kind`` (:data:`MUPDF_TYPES`) as hostile; :class:`IngestError` with the
    real cause in one line for a file that is something else, damaged, a zip bomb, DRM-protected or empty."""
    what = NAMES[kind]
    if not is_regular(path):
        raise IngestError(NOT_REGULAR if path.exists() else "no such file")
    with open_regular(path) as fh:
        head = fh.read(HEAD_BYTES)
        _check_claim(head, kind, what)
        if kind in ZIPPED:
            fh.seek(0)
            check_zip(fh, what)
            _check_package(fh, kind, what)
        try:
            if utf8_name(path):
                doc = pymupdf.open(path, filetype=kind)
            else:  # MuPDF takes UTF-8 file names only; hand it the bytes instead
                fh.seek(0)
                doc = pymupdf.open(stream=fh.read(), filetype=kind)
        except Exception as exc:  # PyMuPDF raises several types for damaged files
            raise IngestError(f"not a readable {what} (damaged: {_damage(exc)})") from None
    try:
        if doc.needs_pass:
            raise IngestError(f"the {what} is encrypted and needs a password")
        if doc.page_count == 0:
            raise IngestError(f"the {what} has no pages (empty or damaged)")
    except IngestError:
        doc.close()
        raise
    except Exception as exc:
        doc.close()
        raise IngestError(f"not a readable {what} (damaged: {_damage(exc)})") from None
    return OpenPdf(doc)


def _damage(exc: Exception) -> str:
    """MuPDF's reason, without the file's path its "Failed to open file" message repeats."""
    reason = short_reason(exc)
    return "its structure could not be read" if reason.startswith("Failed to open file") else reason


def _check_claim(head: bytes, kind: str, what: str) -> None:
    """Refuse a file whose first bytes are not the format its name claims, saying what it looks like."""
    if kind in ZIPPED:
        ok = head.startswith(b"PK\x03\x04")
    elif kind == "mobi":
        ok = head[MOBI_MAGIC_AT : MOBI_MAGIC_AT + 8] in (b"BOOKMOBI", b"TEXtREAd")
    else:  # fb2: XML whose root is FictionBook
        ok = b"<FictionBook" in head or (
            head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml") and b"Fiction" in head
        )
    if ok:
        return
    if not head:
        raise IngestError("the file is empty")
    seen = not_a_pdf(head)
    looks = "a PDF" if seen is None else seen
    raise IngestError(
        f"not {with_article(what)} (looks like {looks})"
        if looks
        else f"not {with_article(what)} (damaged or another format)"
    )


# What a zip of each kind must hold. MuPDF opens a Word document named .epub as if it were a book, so the
# package's own parts are checked, not just that it is a zip.
_REQUIRED = {
    "epub": lambda names: "META-INF/container.xml" in names,
    "xps": lambda names: any(n.lower().endswith(".fdseq") for n in names),
    "cbz": lambda names: any(
        n.lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")) for n in names
    ),
}


def _check_package(fh, kind: str, what: str) -> None:
    """Refuse a zip (checked by :func:`check_zip`) that lacks the parts of ``kind`` — naming what it holds
    instead where that is clear — or an EPUB whose content a vendor's DRM encrypted; leaves ``fh`` at 0."""
    try:
        with zipfile.ZipFile(fh) as archive:
            names = frozenset(archive.namelist())
            if not _REQUIRED[kind](names):
                other = zip_holds(archive, names)
                if other and other != with_article(what):
                    raise IngestError(f"is {other}, not {with_article(what)}")
                raise IngestError(f"not {with_article(what)} (a zip archive without its parts)")
            if kind == "epub":
                _refuse_drm(archive, names)
    except zipfile.BadZipFile as exc:
        raise IngestError(f"not a readable {what} (damaged zip: {exc})") from None
    fh.seek(0)


def _refuse_drm(archive: zipfile.ZipFile, names: frozenset[str]) -> None:
    """Refuse an EPUB whose content is encrypted by a vendor's DRM (``META-INF/encryption.xml`` naming
    another algorithm than font obfuscation, or a ``rights.xml``): MuPDF would lay out ciphertext."""
    if "META-INF/rights.xml" in names:
        raise IngestError("the e-book is DRM-protected (Adobe ADEPT rights file); only its vendor's reader opens it")
    if "META-INF/encryption.xml" in names:
        info = archive.getinfo("META-INF/encryption.xml")
        data = archive.read(info) if info.file_size <= 1 << 20 else b""
        if data.count(b"Algorithm=") > sum(data.count(a) for a in FONT_OBFUSCATION):
            raise IngestError(
                "the e-book is DRM-protected (its content is encrypted); only its vendor's reader opens it"
            )


class Chapters:
    """Where each chapter of a laid-out book starts — ``(page, y)`` of every table-of-contents entry — and
    so the location of any word: ``chapter “Title”``, with the deepest heading under it as ``chapter
    “Title” › “Heading”``. A page can hold several chapters (an FB2 book often is one long page), so
    locations are cut by position on the page, not per page. A damaged table of contents gives no
    locations, never an error."""

    def __init__(self, doc: pymupdf.Document) -> None:
        self.starts: list[tuple[int, float, str]] = []  # (1-based page, y in points, location from there on)
        chapter = deepest = ""
        for page, y, level, title in sorted(_toc_entries(doc)):
            if level <= 1:
                chapter, deepest = title, ""
            else:
                deepest = title
            where = " › ".join(f"“{t}”" for t in (chapter, deepest) if t)
            self.starts.append((page, y, ("chapter " if chapter else "") + where))

    def runs(self, page: int, words: list[Word]) -> list[tuple[str, list[Word]]]:
        """``words`` (one page's, in reading order) cut where a chapter or heading starts: ``(location,
        words)`` runs in order, the location ``""`` before the first entry."""
        if not self.starts:
            return [("", words)]
        before = [s for s in self.starts if s[0] < page]
        location = before[-1][2] if before else ""
        marks = [(y, where) for p, y, where in self.starts if p == page]
        out: list[tuple[str, list[Word]]] = []
        for word in words:
            top = word.box[1] if word.box else 0.0
            # The mark is the top of the chapter's box (its margin above the heading included): a line that
            # starts above it is the end of the chapter before, as its own box may reach past the mark.
            while marks and top > marks[0][0]:
                location = marks.pop(0)[1]
            if not out or out[-1][0] != location:
                out.append((location, []))
            out[-1][1].append(word)
        return out


def _toc_entries(doc: pymupdf.Document) -> list[tuple[int, float, int, str]]:
    """``(page 1-based, y, level, title)`` of every outline entry that resolves to a place in ``doc``."""
    found: list[tuple[int, float, int, str]] = []
    try:
        stack = [(doc.outline, 1)]
        while stack:
            node, level = stack.pop()
            while node is not None:
                place = _place(doc, node)
                title = " ".join(str(node.title or "").split())
                if place is not None and title:
                    found.append((place[0], place[1], level, title))
                if node.down is not None:
                    stack.append((node.down, level + 1))
                node = node.next
    except Exception:
        return []
    return found


def _place(doc: pymupdf.Document, node) -> tuple[int, float] | None:
    """The 1-based page and y of an outline entry: MuPDF gives them for FB2; an EPUB's entries are links
    into its chapters, resolved in the laid-out book."""
    if node.page is not None and node.page >= 0:
        return node.page + 1, float(node.y or 0.0)
    if not node.uri or node.is_external:
        return None
    target = doc.resolve_link(node.uri)
    if not target or target[0] is None:
        return None
    page = target[0] if isinstance(target[0], int) else doc.page_number_from_location(target[0])
    return (page + 1, float(target[2] or 0.0)) if page is not None and page >= 0 else None
