"""Files written by the programs people use — pandoc, LibreOffice, calibre, iconv, Python's mail package
(``tests/formats/corpus``, SOURCES.md there) — read to the right words at the right locations, damaged
copies refused in plain words or read as far as they go, and a folder of all of them ingested with each
bad file failing alone."""

from pathlib import Path

import pytest

from workbench.core import exhaustive_search_plan
from workbench.ingest import IngestError, parse_file

CORPUS = Path(__file__).parent / "formats" / "corpus"
STORM = "The spring tide rises highest two days after the full moon."
KNOTS = "The bowline forms a fixed loop that will not slip under load."


def passages(name: str):
    parsed = parse_file(CORPUS / name, max_tokens=200)
    return list(parsed.passages), parsed


@pytest.mark.parametrize(
    ("name", "phrase", "location", "paged"),
    [
        ("field-guide.epub", STORM, "chapter “Tides and currents”", True),
        ("field-guide-epub2.epub", KNOTS, "chapter “Knots for sailors”", True),
        ("field-guide.fb2", KNOTS, "chapter “Knots for sailors”", True),
        ("field-guide.mobi", KNOTS, "", True),
        ("field-guide.html", KNOTS, "section “Knots for sailors”", False),
        ("field-guide.odt", STORM, "section “Tides and currents”", False),
        ("field-guide.docx", "Bell Rock 1811 35 miles", "section “Lighthouse keeping”", False),
        ("field-guide.rtf", KNOTS, "", False),
        ("slides.pptx", "Speaker note: ask who has been caught out by a squall.", "slide 2 notes", False),
        ("slides.odp", "Three long blasts on a whistle", "slide 4 · Rescue signals", False),
        ("tides.xlsx", "Falmouth 06:48 4.6", "sheet “Harbour tides”, A26:C50", False),
        ("tides.ods", "a storm surge can add a metre", "sheet “Notes”, A1", False),
        ("harbour.mbox", "double the mooring lines", "message 1 · “Gale warning” · Harbour master · 2024-03-02", False),
        ("harbour.eml", KNOTS, "attachment “field-guide.docx” · section “Knots for sailors”", False),
    ],
)
def test_each_format_reads_its_words_at_their_location(name, phrase, location, paged):
    found, parsed = passages(name)
    holding = [p for p in found if phrase in p.text]
    assert holding, [p.text for p in found]
    assert holding[0].location == location
    assert (holding[0].page is not None) == paged and (parsed.pages > 0) == paged


def test_mail_records_fields_and_attachments():
    found, parsed = passages("harbour.mbox")
    assert [p.source_key for p in found] == [
        "<harbour-2@harbour.example>",
        "<harbour-3@harbour.example>",
        "<harbour-4@harbour.example>",
    ]
    assert "alert" not in found[0].text and "color" not in found[0].text  # the HTML body's script and style
    assert "La réunion des éclusiers aura lieu jeudi" in found[1].text  # quoted-printable Latin-1
    mail, parsed = passages("harbour.eml")
    assert {p.source_key for p in mail} == {"<harbour-1@harbour.example>"}  # the attachment is the message's
    assert mail[0].text.startswith("Subject: Tide tables for March From: Ann Lee")
    assert "Attachments: field-guide.docx, cover.png" in mail[0].text
    assert parsed.notes == ["attachment cover.png not indexed: its type (.png) is not read"]


@pytest.mark.parametrize(
    ("name", "phrase", "note"),
    [
        ("notes-cp1252.txt", "crème brûlée for the crew. The keeper’s notes say: “storm at dawn”.", "Windows-1252"),
        ("notes-utf16.txt", "Café au lait on the harbour façade", "UTF-16"),
        ("notes-shift_jis.txt", "灯台守は夜通し四時間ごとに芯を整えた。", "Shift-JIS"),
        ("notes-koi8r.txt", "Смотритель маяка записывал погоду на рассвете.", "KOI8-R"),
    ],
)
def test_text_in_legacy_encodings_is_detected(name, phrase, note):
    found, parsed = passages(name)
    assert phrase in " ".join(p.text for p in found)
    assert len(parsed.notes) == 1 and note in parsed.notes[0]


def test_a_comic_book_is_read_by_ocr_page_by_page():
    found, parsed = passages("scanned-guide.cbz")
    assert parsed.pages == 2 and [f.source for f in parsed.page_facts] == ["ocr", "ocr"]
    assert "Field Guide to the Coast" in found[0].text and found[0].page == 1 and found[0].boxes


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("truncated-field-guide.epub", "is damaged: not a valid EPUB e-book"),
        ("truncated-field-guide.docx", "is damaged: not a valid Word document"),
        ("truncated-field-guide.odt", "is damaged: not a valid OpenDocument text"),
        ("truncated-slides.pptx", "is damaged: not a valid PowerPoint presentation"),
        ("truncated-slides.odp", "is damaged: not a valid OpenDocument presentation"),
        ("truncated-tides.xlsx", "is damaged: not a valid Excel workbook"),
        ("truncated-tides.ods", "is damaged: not a valid OpenDocument spreadsheet"),
        ("truncated-scanned-guide.cbz", "is damaged: not a valid comic-book archive"),
        ("truncated-field-guide.mobi", "no extractable text"),
    ],
)
def test_damaged_copies_are_refused_in_plain_words(name, reason):
    with pytest.raises(IngestError, match=reason):
        passages(name)


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("truncated-field-guide.fb2", STORM),  # MuPDF repairs the XML it has
        ("truncated-field-guide.rtf", "A Field Guide to the Coast"),
        ("truncated-harbour.mbox", "double the mooring lines"),  # the whole messages before the cut
        ("truncated-notes-shift_jis.txt", "灯台守は夜通し"),
    ],
)
def test_damaged_copies_of_streamed_formats_keep_what_was_whole(name, kept):
    found, _ = passages(name)
    assert kept in " ".join(p.text for p in found)


def test_a_folder_of_every_format_ingests_with_each_bad_file_failing_alone(tmp_path, new_collection):
    coll = new_collection()
    report = coll.ingest([CORPUS])
    failed = {Path(p).name for p, _ in report.failed}
    assert failed == {
        "truncated-field-guide.epub",
        "truncated-field-guide.docx",
        "truncated-field-guide.odt",
        "truncated-slides.pptx",
        "truncated-slides.odp",
        "truncated-tides.xlsx",
        "truncated-tides.ods",
        "truncated-scanned-guide.cbz",
        "truncated-field-guide.mobi",
    }
    assert len(report.indexed) == len(list(CORPUS.glob("*"))) - len(failed) - 2  # all but make.sh and the .fods
    result = coll.search("which knot makes a loop that does not slip", exhaustive_search_plan(final_k=40))
    where = {(Path(h.path).name, h.location) for h in result.hits if "bowline" in (h.text or "")}
    assert ("field-guide.docx", "section “Knots for sailors”") in where
    assert ("field-guide.epub", "chapter “Knots for sailors”") in where
    groups = coll.document_groups(result)
    mail = [g for g in groups if g.paths[0].endswith("harbour.eml")]
    assert mail and mail[0].record == "<harbour-1@harbour.example>"


def test_a_page_number_footer_is_no_passage():
    for name in ("field-guide.docx", "field-guide.odt"):  # LibreOffice and pandoc put the page number there
        found, _ = passages(name)
        assert found and all(p.location == "" or p.location.startswith("section “") for p in found), name
