"""E-mail files → sections, one record per message: ``.eml`` (one message) and ``.mbox`` (a mailbox of many).

Every section of a message carries its key (:attr:`Section.key`): its Message-ID, or ``message N`` (its place
in the file, from 1) when it has none or an earlier message in the file already has that one — a mailbox is
read in one pass, so a key never depends on what follows. The message's first section holds its header
fields (so they are searchable), its body (text/plain preferred, else text/html as text) and the names of
its attachments; the sections of attached messages and, through the caller's ``attachment_sections``, of
attached files follow under the same key.

Messages are parsed with the stdlib's compat32 policy and the few fields shown are decoded here:
``email.policy.default`` parses Content-Type afresh on every access (about 0.2 ms, several times a
message), which makes a 10⁵-message mailbox take minutes, and its decoders raise on an unknown charset;
these fall back to detection instead. A mailbox is split here a line at a time rather than by
``mailbox.mbox``, which opens the file read-write, bypasses :func:`open_regular` and indexes every message
before the first can be read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .errors import IngestError
from .files import ReadPosition, open_regular, read_capped
from .html import html_text
from .passages import Word
from .sections import Section
from .text import detect_encoding, looks_like, paragraph_words

if TYPE_CHECKING:
    from email.message import Message

AttachmentReader = Callable[[str, bytes], Iterator[Section]]

MAX_MESSAGE = 100 << 20  # bytes of one message held and parsed at once
MAX_ATTACHMENT = 50 << 20  # decoded bytes of one attachment handed to the caller's reader
MAX_NESTING = 3  # messages attached to attached messages, this deep
MAX_MIME_DEPTH = 32  # multipart levels followed: real mail has a handful, a hostile one thousands
MAX_LINE = 1 << 20  # bytes read as one mbox line at most, so a file without line breaks stays bounded
NOTE_LIMIT = 20  # attachment notes given one by one; the rest are counted, not to bury the others
SUBJECT_SHOWN = 80  # characters of a subject in a location
_MAIL_FIELDS = frozenset(
    "from to cc bcc subject date message-id sender reply-to received return-path mime-version newsgroups "
    "delivered-to in-reply-to references".split()
)
_FIELD_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")  # a header field's name, as RFC 5322 spells it
_ESCAPED_FROM = re.compile(rb">+From ")  # a body line "From …" that mboxrd/mboxo writers escaped
# A From_ line as mail programs write it: with a time of day ("From ann@x.org Sat Mar  2 12:00:00 2024",
# "From - Tue Oct 02 00:26:47 2007") or bare ("From "); a body line "From time to time" a writer failed to
# escape has neither, and stays in its message.
_SEPARATOR = re.compile(rb"From (?:\s*$|.*\b\d{1,2}:\d\d)")
_NAMED_ADDRESS = re.compile(r'\s*(?:"([^"]*)"|([^"<]*?))\s*<([^<>]*)>')  # Ann Lee <ann@example.com>
_ASCII = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968"})  # declared by many a mailer sending 8-bit text


def read_eml(
    path: Path, notes: list[str], where: ReadPosition, attachment_sections: AttachmentReader | None = None
) -> Iterator[Section]:
    """The sections of the one message in the ``.eml`` at ``path`` (key its Message-ID or ``message 1``;
    locations without the ``message 1`` a mailbox would give). ``attachment_sections(name, data)`` reads
    an attached file, else attachments are only named. :class:`IngestError` for a file that is too large,
    empty, not an e-mail message or damaged past reading."""
    data = read_capped(path, where, MAX_MESSAGE, "an e-mail message")
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise IngestError("the file is empty")
    if not (start.startswith(b"From ") or _FIELD_LINE.match(start)):
        raise IngestError(f"not an e-mail message (it looks like {looks_like(data[:1024])})")
    msg = _parse(start)
    try:
        record = _record(msg)
    except Exception:  # the email package's own errors on a broken structure, a RecursionError, …
        raise IngestError("the e-mail message is damaged and could not be read") from None
    reading = _Reading(notes, attachment_sections)
    yield from _sections(record, reading, "", _key(record.message_id, 1, set()), 0)
    reading.close()


def read_mbox(
    path: Path, notes: list[str], where: ReadPosition, attachment_sections: AttachmentReader | None = None
) -> Iterator[Section]:
    """The sections of every message in the mailbox at ``path``, one message parsed at a time (memory stays
    bounded by the largest message), locations starting ``message N``. Messages that cannot be read are
    skipped and counted in ``notes``. :class:`IngestError` when the file is not an mbox or holds no message
    that could be read."""
    reading = _Reading(notes, attachment_sections)
    seen: set[int] = set()
    read = failed = too_large = 0
    with open_regular(path) as fh:
        where.size = os.fstat(fh.fileno()).st_size
        for number, data in enumerate(_mbox_messages(fh, where), 1):
            if data is None:
                too_large += 1
                continue
            try:
                msg = _parse(data)
                record = _record(msg)
            except Exception:  # IngestError from _parse, or the email package's own on a broken structure
                failed += 1
                continue
            read += 1
            yield from _sections(record, reading, f"message {number}", _key(record.message_id, number, seen), 0)
    if too_large:
        notes.append(f"{_count(too_large, 'message')} larger than {MAX_MESSAGE >> 20} MB skipped")
    if failed:
        notes.append(f"{_count(failed, 'message')} could not be read")
    reading.close()
    if not read:
        unread = failed + too_large
        raise IngestError(
            f"holds no readable e-mail messages ({unread} skipped)" if unread else "holds no e-mail messages"
        )


@dataclass
class _Reading:
    """One file's reading: where notes go (attachment notes up to :data:`NOTE_LIMIT` one by one, then
    counted) and the caller's reader of attached files."""

    notes: list[str]
    attachment_sections: AttachmentReader | None
    unsaid: int = 0
    said: int = 0

    def note(self, line: str) -> None:
        """Tell ``line``, or count it once :data:`NOTE_LIMIT` notes were told."""
        if self.said < NOTE_LIMIT:
            self.notes.append(line)
            self.said += 1
        else:
            self.unsaid += 1

    def close(self) -> None:
        """Tell how many attachment notes were only counted."""
        if self.unsaid:
            self.notes.append(f"{_count(self.unsaid, 'more note')} like these about attachments")


@dataclass
class _Record:
    """A message decoded: what its location shows, its own words, its attachments as ``(name, part)`` and
    its Message-ID as written."""

    subject: str
    sender: str
    date: str
    words: list[Word]
    attachments: list[tuple[str, Message]]
    message_id: str


def _sections(record: _Record, reading: _Reading, trail: str, key: str, depth: int) -> Iterator[Section]:
    """The sections of a decoded message and of its attachments, all under ``key``; ``trail`` is the part
    of every location before the message's own (``message 12``, ``message 12 · attached message``)."""
    subject = record.subject if len(record.subject) <= SUBJECT_SHOWN else record.subject[: SUBJECT_SHOWN - 1] + "…"
    yield Section(record.words, None, _join(trail, f"“{subject}”" if subject else "", record.sender, record.date), key)
    told = f"{trail}: " if trail else ""
    for name, part in record.attachments:
        if part.get_content_type() in ("message/rfc822", "message/global"):
            if depth >= MAX_NESTING:
                reading.note(f"{told}attached message “{name}” not indexed: nested more than {MAX_NESTING} deep")
                continue
            try:
                inner = _record(_attached_message(part))
            except Exception:  # as for a message of a mailbox: a damaged one is told, not raised
                reading.note(f"{told}attached message “{name}” not indexed: it could not be read")
                continue
            yield from _sections(inner, reading, _join(trail, "attached message"), key, depth + 1)
        elif reading.attachment_sections is not None:
            here = _join(trail, f"attachment “{name}”")
            yield from _attachment(reading.attachment_sections, name, part, reading, here, key, told)


def _attachment(
    read: AttachmentReader, name: str, part: Message, reading: _Reading, here: str, key: str, told: str
) -> Iterator[Section]:
    """The sections ``read`` makes of the attached file ``part`` named ``name``, located under ``here``. A
    file too large, or one its reader refuses (or fails on), becomes a note that starts ``told``."""
    what = f"{told}attachment {name}"
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):  # a report part (message/delivery-status) holds fields, not a file
        reading.note(f"{what} not indexed: it is not a file")
        return
    if len(data) > MAX_ATTACHMENT:
        reading.note(f"{what} not indexed: larger than {MAX_ATTACHMENT >> 20} MB ({len(data) / (1 << 20):.0f} MB)")
        return
    try:
        for section in read(name, data):
            # the mail file is what a viewer opens, so an attached PDF's page is told in the location only
            own = section.location or (f"page {section.page}" if section.page else "")
            yield Section(_guarded(section.words, reading, what), None, _join(here, own), key)
    except Exception as exc:  # IngestError, or any reader's failure: one attachment never stops the mailbox
        reading.note(f"{what} not indexed: {_reason(exc)}")


def _guarded(words: Iterable[Word], reading: _Reading, what: str) -> Iterator[Word]:
    """``words`` of an attachment as the caller reads them; a failure on the way (readers are lazy) ends
    them with a note instead of ending the whole file's reading."""
    try:
        yield from words
    except Exception as exc:
        reading.note(f"{what} read only in part: {_reason(exc)}")


def _reason(exc: Exception) -> str:
    """A reader's failure in one plain line: an :class:`IngestError`'s own reason, else its kind."""
    return str(exc) if isinstance(exc, IngestError) else f"its reader failed ({type(exc).__name__})"


def _mbox_messages(fh: BinaryIO, where: ReadPosition) -> Iterator[bytes | None]:
    """Each message of an open mbox as bytes without its ``From `` line (``None`` for one over
    :data:`MAX_MESSAGE`), a line at a time, ``where.done`` kept at the bytes read. :class:`IngestError`
    when the file's first line that is not blank is no ``From `` line."""
    lines: list[bytes] = []
    size, started, line_start = 0, False, True
    while line := fh.readline(MAX_LINE):
        where.done += len(line)
        if line_start and line.startswith(b"From ") and (not started or _SEPARATOR.match(line)):
            if started:
                yield b"".join(lines) if size <= MAX_MESSAGE else None
            lines, size, started = [], 0, True
        elif not started:
            if line.strip(b"\xef\xbb\xbf \t\r\n"):
                if _FIELD_LINE.match(line):
                    raise IngestError("not an mbox mailbox (it starts like a single e-mail message: name it .eml)")
                fh.seek(0)  # the file's head, not its first line, says what it is
                raise IngestError(f"not an mbox mailbox (it looks like {looks_like(fh.read(1024))})")
        else:
            size += len(line)
            if size <= MAX_MESSAGE:
                lines.append(line[1:] if line_start and _ESCAPED_FROM.match(line) else line)
            else:
                lines = []
        line_start = line.endswith(b"\n")
    if started:
        yield b"".join(lines) if size <= MAX_MESSAGE else None


def _parse(data: bytes) -> Message:
    """The message in ``data``; :class:`IngestError` when it cannot be parsed or has no mail header field."""
    from email.parser import BytesParser
    from email.policy import compat32

    try:
        msg = BytesParser(policy=compat32).parsebytes(data)
    except Exception:  # a RecursionError on absurdly nested multiparts, and the like
        raise IngestError("the e-mail message is damaged and could not be read") from None
    if not any(name.lower() in _MAIL_FIELDS for name in msg.keys()):
        raise IngestError("not an e-mail message (no From, To, Subject or Date field)")
    return msg


def _attached_message(part: Message) -> Message:
    """The message a message/rfc822 part holds (parsed from its decoded body when a mailer encoded it)."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and not isinstance(payload[0], str):
        return payload[0]
    return _parse(part.get_payload(decode=True) or b"")


def _record(msg: Message) -> _Record:
    """``msg`` decoded: its fields, body text and attachments."""
    from email.utils import parsedate_to_datetime

    raw: dict[str, str] = {}
    for name, value in msg.raw_items():
        raw.setdefault(name.lower(), str(value))
    shown = {f: _decoded(raw[f.lower()]) for f in ("Subject", "From", "To", "Cc", "Date") if f.lower() in raw}
    named = _NAMED_ADDRESS.match(raw.get("from", ""))  # split before decoding: a decoded name may hold a comma
    sender = (_decoded(named[1] or named[2]) or named[3].strip()) if named else shown.get("From", "")
    try:
        date = parsedate_to_datetime(raw.get("date", "")).date().isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):  # missing or unparseable
        date = ""
    texts: list[str] = []
    parts: list[Message] = []
    _walk(msg, 0, texts, parts)
    words = [Word(w, 0, 0) for w in " ".join(f"{f}: {v}" for f, v in shown.items()).split()]
    words += paragraph_words("\n\n".join(texts), first_block=1)
    attachments = [(_attachment_name(part, n), part) for n, part in enumerate(parts, 1)]
    if attachments:
        listed = "Attachments: " + ", ".join(name for name, _ in attachments)
        words += [Word(w, words[-1].block + 1, 0) for w in listed.split()]
    return _Record(shown.get("Subject", ""), sender, date, words, attachments, raw.get("message-id", ""))


def _walk(part: Message, depth: int, texts: list[str], attachments: list[Message]) -> None:
    """Gathers the body texts and the attachments of ``part`` (one of each multipart/alternative's
    versions: text/plain before text/html before the rest)."""
    if depth > MAX_MIME_DEPTH:
        return
    ctype = part.get_content_type()
    if ctype.startswith("multipart/") and part.is_multipart():
        kids = [k for k in part.get_payload() if not isinstance(k, str)]
        if ctype == "multipart/alternative" and kids:
            kids = [_preferred(kids)]
        for kid in kids:
            _walk(kid, depth + 1, texts, attachments)
    elif _is_attachment(part) or (ctype not in ("text/plain", "text/html") and not ctype.startswith("multipart/")):
        attachments.append(part)
    else:  # a text body, or a multipart whose boundary is missing: its raw body is the best text there is
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            text = _text(data, part.get_content_charset())
            texts.append(html_text(text) if ctype == "text/html" else text)


def _preferred(kids: list[Message]) -> Message:
    """The version of a multipart/alternative to read: text/plain, else text/html, else a nested multipart."""
    for wanted in ("text/plain", "text/html"):
        for kid in kids:
            if kid.get_content_type() == wanted and not _is_attachment(kid):
                return kid
    return next((k for k in kids if k.get_content_type().startswith("multipart/")), kids[0])


def _is_attachment(part: Message) -> bool:
    """True for a part sent as a file: marked as an attachment, or carrying a file name."""
    return part.get_content_disposition() == "attachment" or part.get_filename() is not None


def _attachment_name(part: Message, number: int) -> str:
    """A part's file name as people read it (decoded, without any folder), else ``attachment N.ext``."""
    import mimetypes

    name = _decoded(part.get_filename() or "")
    name = "".join(ch for ch in re.split(r"[\\/]", name)[-1] if ch.isprintable()).strip()[:200]
    return name or f"attachment {number}{mimetypes.guess_extension(part.get_content_type()) or ''}"


def _key(message_id: str, number: int, seen: set[int]) -> str:
    """A message's key: its Message-ID when it is plausible and no earlier message in the file had it
    (``seen`` holds their hashes, not to keep every ID of a big mailbox), else ``message N``."""
    mid = _decoded(message_id)
    if not mid or len(mid) > 250 or " " in mid or hash(mid) in seen:  # no space: never taken for a "message N"
        return f"message {number}"
    seen.add(hash(mid))
    return mid


def _decoded(raw: str) -> str:
    """A header field's raw value as text on one line: RFC 2047 words decoded by :mod:`email.header`, each
    in its declared charset (or, unknown, as :func:`_text` reads bytes), 8-bit bytes (kept by the parser as
    surrogates) read as UTF-8 or in their detected encoding. Never raises: a word that does not decode
    stays as it was written."""
    from email.errors import HeaderParseError
    from email.header import decode_header

    if not raw.isascii():
        raw = _text(raw.encode("utf-8", "surrogateescape"), None)
    text = " ".join(raw.split())
    if "=?" not in text:
        return text
    try:
        parts = decode_header(text)
    except (HeaderParseError, ValueError, LookupError):
        return text
    return " ".join(
        "".join(chunk if isinstance(chunk, str) else _text(chunk, charset) for chunk, charset in parts).split()
    )


def _text(data: bytes, charset: str | None) -> str:
    """``data`` as text in its declared ``charset``; with none, or one Python does not know or that cannot
    be right (US-ASCII declared over 8-bit bytes), as UTF-8 or else in the detected encoding."""
    if charset and not (charset.lower() in _ASCII and not data.isascii()):
        try:
            return data.decode(charset, errors="replace")
        except Exception:  # LookupError for an unknown or non-text codec, UnicodeError from some codecs
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        found = detect_encoding(data[: 1 << 20])
        return data.decode(found[0] if found else "cp1252", errors="replace")


def _join(*parts: str) -> str:
    """The non-empty ``parts`` of a location, joined with `` · ``."""
    return " · ".join(p for p in parts if p)


def _count(n: int, thing: str) -> str:
    """``"1 message"``, ``"3 messages"``."""
    return f"{n} {thing}{'' if n == 1 else 's'}"
