"""Plain text in any common encoding, detected not assumed, and RTF documents: the words come out right."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from workbench.ingest import text as text_module
from workbench.ingest.errors import IngestError
from workbench.ingest.files import ReadPosition
from workbench.ingest.rtf import MAX_RTF, read_rtf
from workbench.ingest.text import detect_encoding, paragraph_words, text_words

FRENCH = (
    "Le café du matin coûte trois euros à l’hôtel près de la forêt. Après le déjeuner, nous sommes allés à la "
    "bibliothèque où j’ai lu un roman très intéressant.\n\nLe deuxième paragraphe parle de la mère et du frère."
)
SPANISH = "El niño comió en la región de Andalucía. Mañana será otro día, señor.\n\nSegundo párrafo: corazón, canción."
JAPANESE = "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所で泣いていた。\n\n吾輩はここで始めて人間というものを見た。"
CHINESE = "我们的目标是建设一个美丽的国家。今天天气很好，我们去公园散步吧。中华人民共和国成立于一九四九年。\n\n第二段：学习中文很有意思。"
RUSSIAN = "Мой дядя самых честных правил, когда не в шутку занемог, он уважать себя заставил и лучше выдумать не мог.\n\nВторой абзац: Москва, книга."
ENGLISH = "Plain words in a plain file.\n\nA second paragraph, with a number 42."


def read(path: Path) -> tuple[list[str], list[int], list[str], ReadPosition]:
    """(words, their blocks, notes, where) of a text file."""
    notes: list[str] = []
    where = ReadPosition()
    words = list(text_words(path, where, notes))
    return [w.text for w in words], [w.block for w in words], notes, where


def expected(text: str) -> tuple[list[str], list[int]]:
    words = paragraph_words(text)
    return [w.text for w in words], [w.block for w in words]


@pytest.mark.parametrize(
    ("text", "encoding", "note"),
    [
        (FRENCH, "cp1252", "read as Windows-1252 (detected)"),
        (SPANISH, "latin-1", "read as ISO-8859-1 (detected)"),  # the same letters: cp1252 extends latin-1
        (JAPANESE, "shift_jis", "read as Shift-JIS (Windows-31J) (detected)"),
        (CHINESE, "gb18030", "read as GB18030 (detected)"),
        (RUSSIAN, "koi8-r", "read as KOI8-R (detected)"),
        (ENGLISH + " Ünïcödé", "utf-16-le", "read as UTF-16 LE (detected)"),
        (RUSSIAN, "utf-16-be", "read as UTF-16 BE (detected)"),
        (JAPANESE, "utf-16-le", "read as UTF-16 LE (detected)"),
        (FRENCH, "utf-16", "read as UTF-16 (byte order mark)"),  # Python writes a BOM, little-endian here
        (RUSSIAN, "utf-32", "read as UTF-32 (byte order mark)"),
        (FRENCH, "utf-32-be", "read as UTF-32 BE (detected)"),
    ],
)
def test_text_in_each_encoding_reads_to_the_same_words(tmp_path, text, encoding, note):
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode(encoding))
    words, blocks, notes, where = read(path)
    assert (words, blocks) == expected(text)
    assert notes == [note]
    assert where.done == where.size == path.stat().st_size


def test_utf16_big_endian_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"\xfe\xff" + CHINESE.encode("utf-16-be"))
    words, _, notes, _ = read(path)
    assert words == expected(CHINESE)[0] and notes == ["read as UTF-16 (byte order mark)"]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_its_mark_needs_no_note(tmp_path, bom):
    path = tmp_path / "t.txt"
    path.write_bytes(bom + (FRENCH + JAPANESE).encode())
    words, _, notes, _ = read(path)
    assert words == expected(FRENCH + JAPANESE)[0] and notes == []


def test_a_few_stray_bytes_in_utf8_do_not_turn_it_into_another_encoding(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes((FRENCH * 20).encode() + b" caf\xe9 " + (RUSSIAN * 20).encode())
    words, _, notes, _ = read(path)
    assert notes == []  # still UTF-8: one replacement character, every other word intact
    assert "caf\ufffd" in words and "Москва," in words and "l’hôtel" in words


def test_the_encoding_found_at_the_start_reads_chunks_split_inside_characters(tmp_path, monkeypatch):
    # 999-byte chunks cut Shift-JIS's two-byte characters in half; the incremental decoder joins them again
    monkeypatch.setattr(text_module, "READ_CHUNK", 999)
    text = "\n\n".join([JAPANESE] * 40)
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode("shift_jis"))
    words, blocks, notes, _ = read(path)
    assert (words, blocks) == expected(text) and notes == ["read as Shift-JIS (Windows-31J) (detected)"]


def test_the_reader_keeps_its_old_signature_for_callers_without_notes(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(RUSSIAN.encode("koi8-r"))
    assert [w.text for w in text_words(path)] == expected(RUSSIAN)[0]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes(range(256)) * 40, "looks like a binary file, not text"),
        (b"\x00\x01\x02\x03" * 3000, "looks like a binary file, not text"),
        (b"%PDF-1.7\n\x00\x9c\x00\xff binary" * 500, "is a PDF, not plain text \\(its name says .txt\\)"),
    ],
)
def test_binary_data_is_refused_in_any_encoding(tmp_path, data, reason):
    path = tmp_path / "b.txt"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=reason):
        read(path)
    assert detect_encoding(data) is None


def test_paragraph_words_can_number_blocks_after_a_callers_own():
    assert [(w.text, w.block) for w in paragraph_words("a b\n\nc", first_block=3)] == [("a", 3), ("b", 3), ("c", 4)]


# --- RTF ---------------------------------------------------------------------------------------------------


def rtf_words(path: Path) -> tuple[list[str], list[int]]:
    """(words, their blocks) of the one section of an RTF file; checks the section's shape on the way."""
    sections = list(read_rtf(path, [], ReadPosition()))
    assert len(sections) == 1 and sections[0].page is None and sections[0].location == "" and sections[0].key is None
    words = list(sections[0].words)
    return [w.text for w in words], [w.block for w in words]


def test_an_rtf_document_reads_its_paragraphs_as_blocks(tmp_path):
    path = tmp_path / "a.rtf"
    path.write_bytes(
        rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times;}}{\info{\title Hidden title}}"
        rb"\pard Caf\'e9 au lait\par \pard Second {\b bold} paragraph \u8364? euro\par"
        rb"\trowd\cellx1000\cellx2000 left\cell right\cell\row}"
    )
    words, blocks = rtf_words(path)
    assert words == ["Café", "au", "lait", "Second", "bold", "paragraph", "€", "euro", "left", "right"]
    assert blocks == [0, 0, 0, 1, 1, 1, 1, 1, 2, 2]  # table cells apart, the row its own block


def test_a_malformed_rtf_with_unbalanced_braces_reads_quickly(tmp_path):
    path = tmp_path / "bad.rtf"
    path.write_bytes(rb"{\rtf1\ansi" + rb"{\pard Hello {\b world {\i deeper " * 20000)  # 20000 groups never closed
    started = time.perf_counter()
    words, _ = rtf_words(path)
    assert time.perf_counter() - started < 20  # striprtf is linear: only a hang would take this long
    assert words[:4] == ["Hello", "world", "deeper", "Hello"] and len(words) == 60000


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not an RTF document (it looks like a PDF)"),
        (b"Just some notes, saved as .rtf by mistake.\n", "not an RTF document (it looks like plain text)"),
        (b"PK\x03\x04\x14\x00\x06\x00", "not an RTF document (it looks like a ZIP archive (DOCX, ODT or EPUB?))"),
        (b"", "the file is empty"),
        (rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}{\*\generator Word;}}", "the document holds no text"),
        (rb"{\rtf1\ansi\uc Hello}", "the RTF document is damaged and could not be read"),
    ],
)
def test_what_is_not_a_readable_rtf_is_refused_with_its_reason(tmp_path, data, reason):
    path = tmp_path / "x.rtf"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=re.escape(reason)):
        list(read_rtf(path, [], ReadPosition()))


def test_an_rtf_over_the_size_cap_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr("workbench.ingest.rtf.MAX_RTF", 1 << 20)
    path = tmp_path / "big.rtf"
    path.write_bytes(rb"{\rtf1 " + b"x" * (3 << 20) + b"}")
    with pytest.raises(IngestError, match=r"too large to read as RTF \(3 MB; at most 1 MB\)"):
        list(read_rtf(path, [], ReadPosition()))
    assert MAX_RTF == 64 << 20
