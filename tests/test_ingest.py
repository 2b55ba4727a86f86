"""Parsing: passages keep page, order and boxes; bad files give one plain line each."""

import json
import os
from pathlib import Path

import pymupdf
import pytest
from conftest import make_pdf

from workbench.core import exhaustive_search_plan
from workbench.ingest import IngestError, ParsedFile, Word, cut_passages, discover, parse_file
from workbench.ingest.files import NOT_REGULAR, open_regular


def parse(path, max_tokens):
    """parse_file with its lazy passages read into a list (errors raised while reading, as ingest sees them)."""
    parsed = parse_file(path, max_tokens=max_tokens)
    return ParsedFile(parsed.pages, list(parsed.passages))


def counts_as_one(words):
    return [1] * len(words)


def test_passages_respect_the_token_bound_and_keep_order():
    words = [Word(f"w{i}", block=i // 25, line=i // 5, box=(i, 0, i + 1, 1)) for i in range(100)]
    out = cut_passages(words, page=3, max_tokens=30, count_tokens=counts_as_one)
    assert all(p.page == 3 for p in out)
    assert " ".join(p.text for p in out) == " ".join(w.text for w in words)  # nothing lost or reordered
    assert all(len(p.text.split()) <= 30 for p in out)
    # once 60 % full a passage ends at the next block boundary (25 words per block here)
    assert len(out[0].text.split()) == 25
    assert out[0].boxes[0] == (0, 0, 5, 1)  # words 0-4 share a line: one merged rectangle
    assert len(out[0].boxes) == 5


def test_a_word_longer_than_the_bound_stands_alone():
    words = [Word("a"), Word("huge"), Word("b")]
    out = cut_passages(words, None, 3, count_tokens=lambda ws: [1 if w != "huge" else 9 for w in ws])
    assert [p.text for p in out] == ["a", "huge", "b"]


def test_pdf_pages_become_passages_with_1_based_pages_and_boxes(tmp_path):
    pdf = make_pdf(tmp_path / "two.pdf", ["alpha beta gamma. " * 10, "delta epsilon zeta. " * 10])
    parsed = parse(pdf, max_tokens=40)
    assert parsed.pages == 2
    assert {p.page for p in parsed.passages} == {1, 2}
    assert "alpha" in parsed.passages[0].text and "delta" in parsed.passages[-1].text
    x0, y0, x1, y1 = parsed.passages[0].boxes[0]
    assert 50 < x0 < x1 <= 545 and 50 < y0 < y1 < 800


def _corrupt(tmp_path):
    p = tmp_path / "corrupt.pdf"
    p.write_bytes(b"%PDF-1.7\n this is not really a pdf \x00\xff\xfe" * 50)
    return p


def _encrypted(tmp_path):
    p = tmp_path / "secret.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "classified text")
    doc.save(p, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="owner")
    return p


def _zero_pages(tmp_path):
    p = tmp_path / "empty.pdf"
    p.write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return p


def _image_only(tmp_path):
    p = tmp_path / "scan.pdf"
    doc = pymupdf.open()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
    pix.clear_with(200)
    doc.new_page().insert_image(pymupdf.Rect(72, 72, 300, 300), pixmap=pix)
    doc.save(p)
    return p


@pytest.mark.parametrize(
    "make, reason",
    [
        (_corrupt, "not a readable PDF"),
        (_encrypted, "encrypted and needs a password"),
        (_zero_pages, "no pages"),
        (_image_only, "no extractable text"),
    ],
)
def test_bad_pdfs_give_one_plain_line(tmp_path, make, reason):
    with pytest.raises(IngestError) as err:
        parse(make(tmp_path), max_tokens=100)
    message = str(err.value)
    assert reason in message
    assert "\n" not in message and "Traceback" not in message


def test_text_markdown_and_beir(tmp_path):
    (tmp_path / "notes.md").write_text("# Title\n\nfirst paragraph here.\n\nsecond one.")
    parsed = parse(tmp_path / "notes.md", max_tokens=100)
    assert parsed.pages == 0 and parsed.passages[0].page is None
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"_id": "d1", "title": "T", "text": "one two"})
        + "\nnot json\n"
        + json.dumps({"_id": 7, "text": "three"})
        + "\n"
    )
    parsed = parse(corpus, max_tokens=100)
    assert [(p.source_key, p.text) for p in parsed.passages] == [("d1", "T one two"), ("7", "three")]
    (tmp_path / "bad.jsonl").write_text("nope\n")
    with pytest.raises(IngestError, match="no valid BEIR records"):
        parse(tmp_path / "bad.jsonl", max_tokens=100)


def test_discover_recurses_and_rejects(tmp_path):
    (tmp_path / "sub").mkdir()
    make_pdf(tmp_path / "sub" / "a.pdf", ["x"])
    (tmp_path / "b.TXT").write_text("y")
    (tmp_path / ".hidden.pdf").write_text("z")
    (tmp_path / "image.png").write_bytes(b"png")
    found, rejected = discover([tmp_path, tmp_path / "image.png", tmp_path / "missing.pdf"])
    assert sorted(p.name for p in found) == ["a.pdf", "b.TXT"]
    assert [(p.name, why.split(" (")[0]) for p, why in rejected] == [
        ("image.png", "unsupported file type"),
        ("missing.pdf", "no such file or folder"),
    ]


def test_non_utf8_file_name_parses(tmp_path):
    name = os.fsdecode(b"caf\xe9-notes.pdf")
    pdf = make_pdf(tmp_path / name, ["bytes in names are allowed on Linux"])
    assert parse(pdf, max_tokens=50).passages[0].text.startswith("bytes in names")


def test_fifos_are_rejected_without_being_opened(tmp_path):
    """A FIFO named like a document would block open() forever (with the index's write lock held)."""
    os.mkfifo(tmp_path / "x.pdf")
    (tmp_path / "a.txt").write_text("text")
    found, rejected = discover([tmp_path, tmp_path / "x.pdf"])
    assert [p.name for p in found] == ["a.txt"]
    assert [(p.name, why) for p, why in rejected] == [("x.pdf", NOT_REGULAR)] * 2
    with pytest.raises(IngestError, match="not a regular file"):
        open_regular(tmp_path / "x.pdf")


def test_a_huge_text_file_is_read_a_chunk_at_a_time(tmp_path, encoder):
    """50 MB of text held whole as words and token counts took 15 GB; its first passages now cost MBs."""
    import tracemalloc

    sentence = "Late interaction keeps one vector per token so detail survives retrieval. "
    (tmp_path / "big.txt").write_text(sentence * (50_000_000 // len(sentence)))
    tracemalloc.start()
    try:
        passages = parse_file(tmp_path / "big.txt", encoder.max_passage_tokens, encoder.count_tokens).passages
        first = [next(passages) for _ in range(20)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert all(p.text.startswith("Late interaction") for p in first)
    assert peak < 64 << 20, f"{peak / 2**20:.0f} MiB traced before the first passages"


def test_a_stray_symbol_the_encoder_cannot_represent_is_no_caveat():
    from workbench.collection.file_encoding import document_notes
    from workbench.ingest import ParsedFile

    parsed = ParsedFile(pages=1, passages=iter(()))
    assert document_notes(parsed, chars=20000, unrepresented=3) == []  # was "0% of its characters …"
    (note,) = document_notes(parsed, chars=20000, unrepresented=1000)
    assert note.startswith("5% of its characters cannot be represented by the encoder")


def test_small_files_share_encoder_calls_and_keep_their_order(new_collection, encoder, tmp_path, monkeypatch):
    topics = ["Volcanoes erupt lava and ash.", "Glaciers carve deep valleys.", "Tides follow the moon.",
              "Bees make honey from nectar.", "Comets have icy tails."]  # fmt: skip
    pdfs = [make_pdf(tmp_path / f"{i}.pdf", [t]) for i, t in enumerate(topics)]
    broken = tmp_path / "1b-broken.pdf"  # names in the order given: the order files are taken in
    broken.write_bytes(b"%PDF-1.4 not really a PDF")
    long = make_pdf(tmp_path / "9-long.pdf", [f"Section {i} is about the river delta and its silt." for i in range(70)])
    calls: list[int] = []
    real = encoder.encode_documents
    monkeypatch.setattr(encoder, "encode_documents", lambda texts: calls.append(len(texts)) or real(texts))
    coll = new_collection()
    events = [e for e in coll.iter_ingest([*pdfs[:2], broken, *pdfs[2:], long]) if e.status in ("indexed", "failed")]
    outcomes = {Path(e.path).name: e.status for e in events}
    assert outcomes == {**{p.name: "indexed" for p in pdfs}, broken.name: "failed", long.name: "indexed"}
    # the five one-passage files went to the encoder in shared calls (the broken one only splits them),
    # the 70-page file alone, 64 passages at a time
    assert calls == [2, 3, 64, 6]
    assert [Path(e.path).name for e in events] == [p.name for p in (*pdfs[:2], broken, *pdfs[2:], long)]
    for i, topic in enumerate(topics):  # each file's passage, vectors and all, is its own
        top = coll.search(topic, exhaustive_search_plan(final_k=1)).hits[0]
        assert top.path == str(pdfs[i]) and top.text.strip() == topic
