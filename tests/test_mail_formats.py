"""E-mail files: one record per message (key and location), fields first, bodies and attachments decoded
whatever their charset, mailboxes streamed in bounded memory, and what is not mail refused."""

from __future__ import annotations

import base64
import re
import time
import tracemalloc
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from workbench.ingest import mail
from workbench.ingest.errors import IngestError
from workbench.ingest.files import ReadPosition
from workbench.ingest.mail import read_eml, read_mbox
from workbench.ingest.passages import Word
from workbench.ingest.sections import Section
from workbench.ingest.text import paragraph_words


def read(reader, path: Path, attachments=None) -> tuple[list[tuple[str, str | None, str]], list[str], ReadPosition]:
    """([(location, key, text)] of every section, notes, where) — words read as the caller reads them."""
    notes: list[str] = []
    where = ReadPosition()
    out = []
    for section in reader(path, notes, where, attachments):
        assert section.page is None  # the viewer opens the mail file, not a page of it
        out.append((section.location, section.key, " ".join(w.text for w in section.words)))
    return out, notes, where


def message(body: str = "Lunch at noon? The café is open.", **fields: str) -> EmailMessage:
    msg = EmailMessage(policy=default)
    for name, value in {"Subject": "Re: lunch", "From": "Ann Lee <ann@example.com>", **fields}.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def write_eml(tmp_path: Path, msg: EmailMessage, name: str = "m.eml") -> Path:
    path = tmp_path / name
    path.write_bytes(msg.as_bytes(policy=default))
    return path


def write_raw(tmp_path: Path, raw: bytes) -> Path:
    path = tmp_path / "m.mail"  # the readers go by content: the caller picked the reader by name
    path.write_bytes(raw)
    return path


def write_mbox(tmp_path: Path, *messages: bytes, name: str = "box.mbox") -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join(b"From sender@example.com Sat Mar  2 12:00:00 2024\n" + m + b"\n" for m in messages))
    return path


def test_an_eml_is_one_record_whose_fields_come_first(tmp_path):
    msg = message("First paragraph.\n\nSecond.", To="Bob <bob@x.org>", Date="Sat, 02 Mar 2024 12:00:00 +0000")
    msg["Message-ID"] = "<lunch-1@example.com>"
    path = write_eml(tmp_path, msg)
    sections, notes, where = read(read_eml, path)
    fields = (
        "Subject: Re: lunch From: Ann Lee <ann@example.com> To: Bob <bob@x.org> Date: Sat, 02 Mar 2024 12:00:00 +0000"
    )
    expected = ("“Re: lunch” · Ann Lee · 2024-03-02", "<lunch-1@example.com>", f"{fields} First paragraph. Second.")
    assert sections == [expected] and notes == [] and where.done == where.size > 0
    blocks = {w.text: w.block for w in next(read_eml(path, [], ReadPosition())).words}
    assert blocks["Subject:"] == blocks["Date:"] == 0 and blocks["First"] == 1 and blocks["Second."] == 2
    [(location, key, _)], _, _ = read(read_eml, write_eml(tmp_path, message(From="ann@example.com"), "bare.eml"))
    assert (location, key) == ("“Re: lunch” · ann@example.com", "message 1")  # no Message-ID, no Date


def attached(msg: EmailMessage, name: str, data: bytes) -> None:
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)


def test_attachments_are_named_and_read_through_the_callback(tmp_path):
    msg = message(Message_ID="<m@x>")
    attached(msg, "notes.txt", b"attached words\n\nsecond part")
    attached(msg, "report.xyz", b"\x00\x01")
    attached(msg, "crash.doc", b"boom")
    attached(msg, "lazy.txt", b"half")
    calls = []

    def sections(name: str, data: bytes):
        calls.append((name, data))
        if name == "report.xyz":
            raise IngestError("unsupported file type")
        if name == "crash.doc":
            raise ValueError("a reader's bug")
        if name == "lazy.txt":
            yield Section(lazy_then_fail())
            return
        yield Section(paragraph_words(data.decode()), page=2)
        yield Section([Word("more")], location="sheet Budget")

    def lazy_then_fail():
        yield Word("half")
        raise IngestError("the file is damaged")

    found, notes, _ = read(read_eml, write_eml(tmp_path, msg), sections)
    assert [name for name, _ in calls] == ["notes.txt", "report.xyz", "crash.doc", "lazy.txt"]
    assert calls[0][1] == b"attached words\n\nsecond part"  # the decoded bytes, not base64
    assert found[0][2].endswith("Attachments: notes.txt, report.xyz, crash.doc, lazy.txt")
    assert found[1:] == [
        ("attachment “notes.txt” · page 2", "<m@x>", "attached words second part"),
        ("attachment “notes.txt” · sheet Budget", "<m@x>", "more"),
        ("attachment “lazy.txt”", "<m@x>", "half"),
    ]
    assert notes == [
        "attachment report.xyz not indexed: unsupported file type",
        "attachment crash.doc not indexed: its reader failed (ValueError)",
        "attachment lazy.txt read only in part: the file is damaged",
    ]


def test_without_a_callback_attachments_are_only_named(tmp_path):
    msg = message()
    attached(msg, "a.docx", b"PK")
    attached(msg, "../../etc/b.png", b"png")  # a path in a file name: only its last part is shown
    found, notes, _ = read(read_eml, write_eml(tmp_path, msg))
    assert len(found) == 1 and found[0][2].endswith("Attachments: a.docx, b.png") and notes == []


def test_an_attachment_over_the_cap_is_noted_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(mail, "MAX_ATTACHMENT", 1 << 20)
    msg = message()
    attached(msg, "big.bin", b"x" * (3 << 20))
    found, notes, _ = read(read_eml, write_eml(tmp_path, msg), lambda name, data: pytest.fail("read anyway"))
    assert len(found) == 1 and notes == ["attachment big.bin not indexed: larger than 1 MB (3 MB)"]


def test_attachment_notes_beyond_twenty_are_counted(tmp_path):
    msg = message()
    for i in range(25):
        attached(msg, f"f{i}.xyz", b"?")

    def refuse(name, data):
        raise IngestError("unsupported file type")
        yield  # a generator, as readers are

    _, notes, _ = read(read_eml, write_eml(tmp_path, msg), refuse)
    assert len(notes) == 21 and notes[-1] == "5 more notes like these about attachments"


def test_attached_messages_are_read_to_a_bounded_depth(tmp_path):
    inner = message("innermost words", Subject="level 5")
    for level in range(4, -1, -1):
        outer = message(f"words of level {level}", Subject=f"level {level}", Message_ID="<top@x>" if not level else "")
        outer.add_attachment(inner)
        inner = outer
    found, notes, _ = read(read_eml, write_eml(tmp_path, inner))
    assert [loc for loc, _, _ in found] == [
        "“level 0” · Ann Lee",
        "attached message · “level 1” · Ann Lee",
        "attached message · attached message · “level 2” · Ann Lee",
        "attached message · attached message · attached message · “level 3” · Ann Lee",
    ]
    assert {key for _, key, _ in found} == {"<top@x>"}  # one record: the message in the file
    assert "words of level 3" in found[3][2] and "Attachments: attachment 1.eml" in found[3][2]
    assert notes == [
        "attached message · attached message · attached message: attached message “attachment 1.eml” not indexed: "
        "nested more than 3 deep"
    ]


def test_rfc2047_fields_and_encoded_bodies_are_decoded(tmp_path):
    raw = (
        b"Subject: =?iso-8859-1?q?Caf=E9_cr=E8me?= =?utf-8?b?4oKsIDU=?=\n"
        b"From: =?utf-8?q?Lee=2C_Ann_=C3=89?= <ann@example.com>\n"
        b"Date: Tue, 5 Mar 2024 09:00:00 +0100\n"
        b"MIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain; charset=iso-8859-15\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"Prix: 5 =A4, tr=E8s bon=\n march=E9.\n"
        b"--b\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n"
        + base64.b64encode("Привет, мир".encode("koi8-r"))
        + b"\n--b--\n"
    )
    [(location, _, text)], _, _ = read(read_eml, write_raw(tmp_path, raw))
    assert location == "“Café crème€ 5” · Lee, Ann É · 2024-03-05"  # adjacent encoded words join
    assert text.startswith("Subject: Café crème€ 5 From: Lee, Ann É <ann@example.com>")
    assert "Prix: 5 €, très bon marché. Привет, мир" in text


@pytest.mark.parametrize(
    ("charset", "body", "words"),
    [
        ("x-unknown", "Grüße aus Köln".encode(), "Grüße aus Köln"),  # unknown name: UTF-8 tried first
        ("bad-charset", "Les élèves sont allés à l’école près de la forêt.".encode("cp1252"), "élèves"),
        ("us-ascii", "Mañana, señor, el niño irá a la montaña.".encode("latin-1"), "Mañana,"),  # 8-bit under ASCII
        ("zip", "naïve café".encode(), "naïve café"),  # a codec that is no text encoding
        ("utf-8", b"broken \xff byte", "broken \ufffd byte"),  # declared and wrong: replacement characters
    ],
)
def test_a_broken_or_unknown_charset_never_raises(tmp_path, charset, body, words):
    raw = b"Subject: x\nFrom: a@b.org\nContent-Type: text/plain; charset=" + charset.encode() + b"\n\n" + body + b"\n"
    [(_, _, text)], _, _ = read(read_eml, write_raw(tmp_path, raw))
    assert words in text


def test_raw_8bit_header_bytes_are_read_as_utf8(tmp_path):
    raw = "Subject: Grüße aus Zürich\nFrom: Jürgen <j@x.de>\n\nHallo\n".encode()
    [(location, _, text)], _, _ = read(read_eml, write_raw(tmp_path, raw))
    assert location == "“Grüße aus Zürich” · Jürgen" and text.startswith("Subject: Grüße aus Zürich")


def test_an_html_only_body_is_its_text_without_scripts_or_styles(tmp_path):
    msg = message()
    msg.set_content(
        "<html><head><title>Ignored</title><style>p {color: red}</style></head><body><p>Hello <b>there</b>,"
        "</p><script>steal()</script><table><tr><td>cell1</td><td>cell2</td></tr></table>caf&eacute;</body></html>",
        subtype="html",
    )
    [(_, _, text)], _, _ = read(read_eml, write_eml(tmp_path, msg))
    assert text.endswith("Hello there, cell1 cell2 café")
    assert "steal" not in text and "color" not in text and "Ignored" not in text


def test_plain_text_is_preferred_in_an_alternative(tmp_path):
    msg = message("the plain version")
    msg.add_alternative("<p>the html version</p>", subtype="html")
    [(_, _, text)], _, _ = read(read_eml, write_eml(tmp_path, msg))
    assert "the plain version" in text and "html version" not in text


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "it looks like a PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it looks like a PNG image"),
        (b"Dear diary, today I wrote no mail.\n", "it looks like plain text"),
        (b"\x00\x01\x02\x03\xfe\xff" * 100, "it looks like binary data"),
    ],
)
def test_what_is_not_mail_is_refused_with_what_it_looks_like(tmp_path, data, what):
    with pytest.raises(IngestError, match=re.escape(f"not an e-mail message ({what})")):
        read(read_eml, write_raw(tmp_path, data))
    with pytest.raises(IngestError, match=re.escape(f"not an mbox mailbox ({what})")):
        read(read_mbox, write_raw(tmp_path, data))


@pytest.mark.parametrize(
    ("reader", "data", "reason"),
    [
        (read_eml, b"", "the file is empty"),
        (read_eml, b"Note: bring snacks\n\nand drinks\n", "not an e-mail message (no From, To, Subject or Date field)"),
        (read_mbox, b"", "holds no e-mail messages"),
        (read_mbox, b"\n\n  \n", "holds no e-mail messages"),
        (read_mbox, b"Subject: hi\nFrom: a@b.org\n\nbody\n", "it starts like a single e-mail message: name it .eml"),
    ],
)
def test_empty_and_almost_mail_files_are_refused(tmp_path, reader, data, reason):
    with pytest.raises(IngestError, match=re.escape(reason)):
        read(reader, write_raw(tmp_path, data))


def test_an_mbox_reads_each_message_as_its_own_record(tmp_path):
    one = message("first body\n>From the archive, escaped\n\nFrom time to time unescaped", Message_ID="<a@x>")
    two = message("second body", Subject="other", Message_ID="<b@x>", Date="Mon, 4 Mar 2024 08:00:00 -0500")
    three = message("third body repeats an id", Message_ID="<a@x>")
    four = message("fourth body has none")
    path = write_mbox(tmp_path, *(m.as_bytes(policy=default) for m in (one, two, three, four)))
    found, notes, where = read(read_mbox, path)
    assert [(loc, key) for loc, key, _ in found] == [
        ("message 1 · “Re: lunch” · Ann Lee", "<a@x>"),
        ("message 2 · “other” · Ann Lee · 2024-03-04", "<b@x>"),
        ("message 3 · “Re: lunch” · Ann Lee", "message 3"),  # the id was taken: keys stay unique in the file
        ("message 4 · “Re: lunch” · Ann Lee", "message 4"),
    ]
    assert found[0][2].endswith("first body From the archive, escaped From time to time unescaped")
    assert notes == [] and where.done == where.size


def test_unreadable_messages_are_skipped_and_counted(tmp_path):
    good = message("kept").as_bytes(policy=default)
    path = write_mbox(tmp_path, b"just a line of text\n", good, b"no headers here either\n")
    found, notes, _ = read(read_mbox, path)
    assert [loc for loc, _, _ in found] == ["message 2 · “Re: lunch” · Ann Lee"]
    assert notes == ["2 messages could not be read"]
    with pytest.raises(IngestError, match=re.escape("holds no readable e-mail messages (2 skipped)")):
        read(read_mbox, write_mbox(tmp_path, b"just text\n", b"more text\n", name="bad.mbox"))


def test_a_message_over_the_cap_is_skipped_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(mail, "MAX_MESSAGE", 4096)
    huge = message("x " * 10_000).as_bytes(policy=default)
    path = write_mbox(tmp_path, message("small").as_bytes(policy=default), huge)
    found, notes, _ = read(read_mbox, path)
    assert len(found) == 1 and notes == ["1 message larger than 0 MB skipped"]


def test_a_mailbox_of_100000_messages_reads_in_one_pass(tmp_path):
    n = 100_000
    path = tmp_path / "big.mbox"
    path.write_bytes(
        b"".join(
            b"From a@b.org Sat Mar  2 12:00:00 2024\nFrom: p%d@b.org\nSubject: note %d\nMessage-ID: <%d@b>\n\nword%d\n\n"
            % (i, i, i % (n - 10), i)
            for i in range(n)
        )
    )
    started = time.perf_counter()
    count, last, notes, where = 0, None, [], ReadPosition()
    for section in read_mbox(path, notes, where):
        count += 1
        last = section
    assert time.perf_counter() - started < 60  # ~10 s on a loaded 2-core machine: only a hang takes a minute
    assert count == n and notes == [] and where.done == where.size
    assert (last.key, last.location) == ("message 100000", "message 100000 · “note 99999” · p99999@b.org")
    assert [w.text for w in last.words] == ["Subject:", "note", "99999", "From:", "p99999@b.org", "word99999"]


def test_a_big_mailbox_is_read_in_bounded_memory(tmp_path):
    # 80 MB in 400 messages, each with a 150 KB attachment in long lines; the reader holds one at a time
    blob = base64.b64encode(bytes(range(256)) * 600)
    attachment_lines = b"\n".join(blob[i : i + 10_000] for i in range(0, len(blob), 10_000))
    one = (
        b"From: a@b.org\nSubject: big\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
        b"--B\nContent-Type: text/plain\n\nsmall body\n--B\nContent-Type: application/octet-stream\n"
        b'Content-Disposition: attachment; filename="data.bin"\nContent-Transfer-Encoding: base64\n\n'
        + attachment_lines
        + b"\n--B--\n"
    )
    path = write_mbox(tmp_path, *[one] * 400)
    size = path.stat().st_size
    sizes = []
    tracemalloc.start()
    try:
        for section in read_mbox(path, [], ReadPosition(), lambda name, data: sizes.append(len(data)) or iter(())):
            list(section.words)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size > 60 << 20 and sizes == [153_600] * 400
    assert peak < size / 10, f"{peak / 2**20:.1f} MiB traced for a {size / 2**20:.0f} MiB mailbox"
