"""Formats beyond PDF through the whole path: each passage's location in its format's terms, stored in the
catalog (format version 3), shown in the JSON and the per-document grouping; e-books laid out by MuPDF
with chapters from their table of contents; web pages reduced to their main text."""

import json
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest

from workbench.collection import Collection
from workbench.core import PassageFilter, exhaustive_search_plan
from workbench.ingest import IngestError, ParsedFile, discover, parse_file
from workbench.store import FORMAT_VERSION


def parse(path: Path, max_tokens: int = 200) -> ParsedFile:
    parsed = parse_file(path, max_tokens=max_tokens)
    return ParsedFile(parsed.pages, list(parsed.passages), parsed.notes)


PAGE = """<!doctype html><html><head><title>Rivers of the world</title>
<style>.nav { color: red } STYLEONLY</style><script>var token = "SCRIPTONLY";</script></head>
<body><nav><a href="/">Home</a> <a href="/rivers">NAVONLY rivers index</a></nav>
<header><p>Site banner BANNERONLY</p></header>
<main><h1>The Nile</h1><p>The <em>Nile</em> is a major north-flowing river in <a href="#">Africa</a>.</p>
<h2>Course</h2><p>It flows through eleven countries before the delta.</p>
<div hidden>HIDDENONLY</div><ul><li>Egypt</li><li>Sudan</li></ul></main>
<footer>Copyright FOOTONLY</footer></body></html>"""


def test_a_web_page_gives_its_main_text_by_heading(tmp_path):
    page = tmp_path / "nile.html"
    page.write_text(PAGE, encoding="utf-8")
    parsed = parse(page, max_tokens=30)
    text = " ".join(p.text for p in parsed.passages)
    for dropped in ("STYLEONLY", "SCRIPTONLY", "NAVONLY", "BANNERONLY", "HIDDENONLY", "FOOTONLY"):
        assert dropped not in text
    assert [p.location for p in parsed.passages] == ["", "section “The Nile”", "section “Course”"]
    assert parsed.passages[0].text == "Rivers of the world"  # the title, before any heading
    assert parsed.passages[1].text == "The Nile The Nile is a major north-flowing river in Africa."
    assert "Egypt Sudan" in parsed.passages[2].text and all(p.page is None for p in parsed.passages)


def test_a_web_page_in_a_declared_legacy_charset_and_an_entity_bomb(tmp_path):
    latin = tmp_path / "latin.htm"
    latin.write_bytes(
        b'<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head><body><p>Cr\xe8me br\xfbl\xe9e</p></body></html>'
    )
    parsed = parse(latin)
    assert [p.text for p in parsed.passages] == ["Café Crème brûlée"]  # the title, then the body
    assert parsed.notes == ["read as iso-8859-1 (declared or detected)"]
    lol = '<!ENTITY a "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    bomb = tmp_path / "bomb.xhtml"
    bomb.write_text(f'<?xml version="1.0"?><!DOCTYPE html [{lol}]><html><body><p>safe words &j;</p></body></html>')
    parsed = parse(bomb)  # the HTML parser never expands declared entities: nothing grows
    assert "safe words" in parsed.passages[0].text and len(parsed.passages[0].text) < 200


def test_a_file_that_is_not_a_web_page_is_refused_in_plain_words(tmp_path):
    fake = tmp_path / "fake.html"
    fake.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 10)
    with pytest.raises(IngestError, match="not a web page"):
        parse(fake)
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><nav>menu only</nav><script>x()</script></body></html>")
    with pytest.raises(IngestError, match="holds no text"):
        parse(empty)


def _epub(path: Path, chapters: list[tuple[str, str]], extra: dict[str, bytes] | None = None) -> Path:
    """A minimal EPUB 3: one XHTML file per ``(title, text)`` chapter and a navigation document."""
    items = "".join(
        f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>' for i in range(len(chapters))
    )
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
    nav = "".join(f'<li><a href="c{i}.xhtml">{title}</a></li>' for i, (title, _) in enumerate(chapters))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
        )
        z.writestr(
            "book.opf",
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
            '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier>'
            "<dc:title>Test book</dc:title><dc:language>en</dc:language></metadata>"
            f'<manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>{items}'
            f"</manifest><spine>{spine}</spine></package>",
        )
        z.writestr(
            "nav.xhtml",
            '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
            f'<body><nav epub:type="toc"><ol>{nav}</ol></nav></body></html>',
        )
        for i, (title, text) in enumerate(chapters):
            z.writestr(
                f"c{i}.xhtml",
                f'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body><h1>{title}</h1>'
                + "".join(f"<p>{para}</p>" for para in text.split("\n"))
                + "</body></html>",
            )
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def _book(tmp_path: Path) -> Path:
    storm = "\n".join(
        f"The storm broke over the harbour on night {i}, and the boats strained at their ropes." for i in range(40)
    )
    calm = "The calm morning found the fishermen mending nets beside the lighthouse."
    return _epub(tmp_path / "sea.epub", [("The storm", storm), ("After the storm", calm)])


def test_an_epub_is_paginated_with_its_chapters_as_locations(tmp_path):
    from workbench.ingest.paged import page_count, render_page

    book = _book(tmp_path)
    parsed = parse(book)
    assert parsed.pages == page_count(book) > 2
    calm = next(p for p in parsed.passages if "mending nets" in p.text)
    storm = next(p for p in parsed.passages if "night 3," in p.text)
    assert calm.location == "chapter “After the storm”" and storm.location == "chapter “The storm”"
    assert calm.page == parsed.pages and storm.page == 1 and calm.boxes  # highlighted on a rendered page
    rgb, _ = render_page(book, calm.page)
    assert rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.mean() < 255  # something is drawn


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: p.write_bytes(b"%PDF-1.4\n%%EOF\n"), "not an EPUB e-book \\(looks like a PDF\\)"),
        (lambda p: p.write_bytes(b""), "the file is empty"),
        (
            lambda p: _epub(p, [("One", "text")], {"META-INF/rights.xml": b"<rights/>"}),
            "DRM-protected",
        ),
        (
            lambda p: _epub(
                p,
                [("One", "text")],
                {
                    "META-INF/encryption.xml": b'<encryption><EncryptedData><EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
                    b"</EncryptedData></encryption>"
                },
            ),
            "DRM-protected",
        ),
    ],
)
def test_bad_ebooks_give_one_plain_line(tmp_path, make, reason):
    path = tmp_path / "bad.epub"
    make(path)
    with pytest.raises(IngestError, match=reason):
        parse(path)


def test_font_obfuscation_is_not_drm(tmp_path):
    book = _epub(
        tmp_path / "fonts.epub",
        [("One", "Plain readable words about lighthouses.")],
        {
            "META-INF/encryption.xml": b'<encryption><EncryptedData><EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/>'
            b"</EncryptedData></encryption>"
        },
    )
    assert "lighthouses" in " ".join(p.text for p in parse(book).passages)


def test_discover_takes_every_format_and_names_them_when_refusing(tmp_path):
    for name in ("a.epub", "b.HTML", "c.docx", "d.xlsx", "e.eml", "f.mbox", "g.rtf", "h.cbz", "i.odp", "j.exe"):
        (tmp_path / name).write_bytes(b"x")
    found, rejected = discover([tmp_path, tmp_path / "j.exe"])
    assert sorted(p.name for p in found) == [
        "a.epub",
        "b.HTML",
        "c.docx",
        "d.xlsx",
        "e.eml",
        "f.mbox",
        "g.rtf",
        "h.cbz",
        "i.odp",
    ]
    assert ".epub" in rejected[0][1] and ".mbox" in rejected[0][1]


def test_locations_are_stored_searched_exported_and_grouped(tmp_path, new_collection):
    page = tmp_path / "nile.html"
    page.write_text(PAGE, encoding="utf-8")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps({"_id": key, "title": "", "text": text})
            for key, text in (
                ("r1", "Lighthouses guide ships past rocks."),
                ("r2", "Lighthouse keepers lived on rocks."),
            )
        )
    )
    coll: Collection = new_collection()
    coll.ingest([page, _book(tmp_path), corpus])
    result = coll.search("which countries does the river flow through", exhaustive_search_plan(final_k=50))
    hit = next(h for h in result.hits if h.path == str(page) and "eleven countries" in h.text)
    assert hit.location == "section “Course”" and hit.page is None
    assert hit.to_dict()["location"] == "section “Course”"
    epub_hit = next(h for h in result.hits if h.path.endswith("sea.epub") and "mending" in h.text)
    assert epub_hit.location == "chapter “After the storm”" and epub_hit.page is not None
    groups = coll.document_groups(result)
    records = sorted(g.record for g in groups if g.paths[0] == str(corpus))
    assert records == ["r1", "r2"]  # a corpus's records group apart, as a mailbox's messages
    assert all(g.to_dict()["location"] == g.best.location for g in groups)
    only_web = coll.search("river", exhaustive_search_plan(), where=PassageFilter(file_types=("html", "htm", "xhtml")))
    assert only_web.hits and {h.path for h in only_web.hits} == {str(page)}


def test_a_version_2_index_is_read_as_is_and_migrated_to_3(tmp_path, encoder):
    page = tmp_path / "nile.html"
    page.write_text(PAGE, encoding="utf-8")
    Collection.open(tmp_path / "idx", create=True, encoder=encoder).ingest([page])
    with sqlite3.connect(tmp_path / "idx" / "catalog.sqlite") as db:
        db.executescript("DROP TABLE passage_locations; UPDATE manifest SET value = '2' WHERE key = 'format_version';")
    old = Collection.open(tmp_path / "idx", read_only=True, encoder=encoder)
    hits = old.search("river", exhaustive_search_plan(final_k=5)).hits
    assert hits and all(h.location == "" for h in hits) and old.store.manifest["format_version"] == "2"
    Collection.open(tmp_path / "idx", encoder=encoder)  # a writer migrates: the new table, empty
    new = Collection.open(tmp_path / "idx", read_only=True, encoder=encoder)
    assert new.store.manifest["format_version"] == str(FORMAT_VERSION)
    with sqlite3.connect(tmp_path / "idx" / "catalog.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM passage_locations").fetchone() == (0,)


def test_an_epub_zip_bomb_is_refused_before_mupdf_inflates_it(tmp_path):
    book = tmp_path / "bomb.epub"
    _epub(book, [("One", "text")])
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED) as z:  # a chapter of 200 MB of zeros: 200 KB packed
        z.writestr("c1.xhtml", b"\0" * (200 << 20))
    started = time.perf_counter()
    with pytest.raises(IngestError, match="looks like a zip bomb"):
        parse(book)
    assert time.perf_counter() - started < 30  # refused from the directory, nothing inflated (a hang breaks this)


CORPUS = Path(__file__).parent / "formats" / "corpus"


@pytest.mark.parametrize(
    ("source", "name", "reason"),
    [
        ("field-guide.docx", "a.epub", "is a Word document, not an EPUB e-book"),  # MuPDF alone would open it
        ("field-guide.epub", "a.docx", "is an EPUB e-book, not a Word document"),
        ("field-guide.docx", "a.pdf", "not a PDF \\(looks like a ZIP archive"),
        ("field-guide.rtf", "a.txt", "is RTF, not plain text \\(its name says .txt\\)"),
        ("field-guide.html", "a.eml", "not an e-mail message"),
        ("tides.xlsx", "a.xps", "is an Excel workbook, not an XPS document"),
    ],
)
def test_a_file_whose_extension_lies_is_refused_saying_what_it_is(tmp_path, source, name, reason):
    lying = tmp_path / name
    lying.write_bytes((CORPUS / source).read_bytes())
    with pytest.raises(IngestError, match=reason):
        parse(lying)


def test_an_entity_bomb_in_an_fb2_book_stays_inert(tmp_path):
    lol = '<!ENTITY a "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    book = tmp_path / "bomb.fb2"
    book.write_text(
        f'<?xml version="1.0"?><!DOCTYPE FictionBook [{lol}]><FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0">'
        "<body><section><p>safe words &j;</p></section></body></FictionBook>"
    )
    started = time.perf_counter()
    text = " ".join(p.text for p in parse(book).passages)
    assert "safe words" in text and len(text) < 200 and time.perf_counter() - started < 30  # MuPDF never expands
