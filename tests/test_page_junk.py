"""Pages whose text the encoder and BM25 cannot use are never indexed as text: a text layer of control
characters (judged on the raw text, not MuPDF's word list, which has dropped them), glyphs that extract as
letters of many scripts in turn, and OCR that reads junk in every orientation — each a caveat with its
page number. A scan fed sideways or upside down is read turned upright, its boxes on the page.

The PDFs are written here by PyMuPDF (the same library MuPDF-based tools write with): a text layer drawn
with glyph codes 1–5 (what a font whose encoding maps its glyphs to control codes extracts to), a text
box of letters from six scripts (as glyphs through a broken Unicode map read), and a scan of our own page
placed at 0°, 90°, 180° and 270°."""

from __future__ import annotations

import pymupdf
import pytest

from workbench.ingest import parse_file
from workbench.ingest.ocr_quality import is_junk, known_word_share
from workbench.ingest.page_health import script_switch_share, undecodable_text

GOOD = "Spring tides are higher than neap tides because the sun and the moon pull in one line."
CONTROL = "".join(map(chr, [5, 0x40, 1, 0x21, 3, 0x35, 0x24, 2, 0x26, 4])) * 8  # "\x05@\x01!\x035$…"
NOISE = "ЖΩաق ξДחգ ЯλبՀ ΨжסЉ ԲφشЦ ЖΩաق ξДחգ ЯλبՀ ΨжסЉ " * 8
SCAN = [
    "Harbour pilots read the tide tables every morning.",
    "The lighthouse keeper logs the wind and the swell.",
    "Fishing boats leave the estuary two hours before high water.",
    "Gulls follow the trawlers back to the quay at dusk.",
]


def _pdf(path, pages):
    doc = pymupdf.open()
    for kind, text in pages:
        page = doc.new_page()
        if kind == "text":
            page.insert_text((72, 72), text, fontsize=11)
        else:
            page.insert_htmlbox(pymupdf.Rect(72, 72, 520, 700), f"<p>{text}</p>")
    path.write_bytes(doc.tobytes())
    return path


def _scan_turned(path):
    """Our own page, rendered as a scanner would (150 dpi, no text layer), placed turned 0/90/180/270°."""
    src = pymupdf.open()
    page = src.new_page()
    for n, line in enumerate(SCAN):
        page.insert_text((60, 120 + 40 * n), line, fontsize=16)
    pix = page.get_pixmap(dpi=150)
    doc = pymupdf.open()
    for angle in (0, 90, 180, 270):
        size = (612, 792) if angle in (0, 180) else (792, 612)
        doc.new_page(width=size[0], height=size[1]).insert_image(pymupdf.Rect(0, 0, *size), pixmap=pix, rotate=angle)
    path.write_bytes(doc.tobytes())
    return path


def test_junk_measures():
    assert undecodable_text(CONTROL) and not undecodable_text(GOOD)
    assert script_switch_share(NOISE) > 0.9
    science = "The μm-scale ΔT of α-tubulin was measured; the Russian word мир means peace. " * 3
    assert script_switch_share(science) < 0.2  # dense Greek symbols and a Russian word are real text
    assert script_switch_share("日本語のテキストは漢字とひらがなとカタカナを混ぜて書きます。" * 2) < 0.1
    assert known_word_share(GOOD.split()) == 15 / 17 and not is_junk(GOOD.split())  # not "neap", not "in"
    assert is_junk("Oo= cons oa on wo B&B ro) com oO oo oo So wo 3B fad)".split())  # short fragments
    assert is_junk("KQuws ENg AAC PxdJb Pe sl]KQwu5 EANg PxdIb Pep".split())
    assert is_junk("JuRAg|AI ve Joy -TIe Aytoads :ssadoid ayoym oy) Jadar poou".split())  # upside down
    assert known_word_share(["Never", "look", "back!"]) is None  # too few tokens to judge


def test_undecodable_pages_are_caveats_with_their_numbers(tmp_path):
    pdf = _pdf(tmp_path / "review.pdf", [("text", GOOD), ("text", CONTROL), ("html", NOISE)])
    parsed = parse_file(pdf, 200)
    assert [(p.page, p.text) for p in parsed.passages] == [(1, GOOD)]
    facts = {f.number: f for f in parsed.page_facts}
    assert facts[2].source == "none" and facts[2].problem.startswith("text present but not extractable")
    assert facts[3].source == "none" and "OCR read no words in any orientation" in facts[3].problem


def test_a_collection_lists_the_junk_pages_in_the_documents_notes(tmp_path, new_collection):
    pdf = _pdf(tmp_path / "review.pdf", [("text", GOOD), ("text", CONTROL), ("html", NOISE)])
    coll = new_collection()
    report = coll.ingest([pdf])
    assert report.ok
    (doc,) = coll.documents()
    assert doc.passages == 1
    (note,) = [n for n in doc.notes if "not indexed" in n]
    assert note.startswith("2 pages not indexed — page 2: text present but not extractable")
    assert "page 3:" in note and "multilingual" not in " ".join(doc.notes)  # undecodable, not foreign


def test_a_sideways_scan_is_read_turned_upright(tmp_path):
    parsed = parse_file(_scan_turned(tmp_path / "scan.pdf"), 200)
    passages = list(parsed.passages)
    assert sorted({p.page for p in passages}) == [1, 2, 3, 4]
    for page in (1, 2, 3, 4):
        text = " ".join(p.text for p in passages if p.page == page)
        assert "lighthouse keeper" in text and "estuary" in text, (page, text)
    assert "scanned turned: OCR read pages 2 (90°), 3 (180°), 4 (270°) upright" in parsed.notes
    doc = pymupdf.open(tmp_path / "scan.pdf")
    for p in passages:  # boxes in the page's own coordinates: highlights land on the words
        rect = doc[p.page - 1].rect
        assert all(rect.contains(pymupdf.Rect(b)) for b in p.boxes)
    upright = next(p for p in passages if p.page == 1).boxes[0]  # the first line, read upright
    upside_down = next(p for p in passages if p.page == 3).boxes[0]  # the same line on the page turned 180°
    mirrored = (612 - upright[2], 792 - upright[3], 612 - upright[0], 792 - upright[1])
    assert upside_down == pytest.approx(mirrored, abs=3.0)
