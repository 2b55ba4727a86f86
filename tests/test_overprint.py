"""Text drawn twice over itself for a bold effect is read once: the page's passage holds it once and a
search finds it once; the same word elsewhere on the page, or repeated in a line, is kept; the document
says which pages were overprinted. The PDF is written by PyMuPDF, drawing a heading twice 0.4 pt apart
as typewriter-era bold and some producers do (MuPDF already merges a single character drawn twice)."""

from __future__ import annotations

import pymupdf

from workbench.core import exhaustive_search_plan
from workbench.ingest import parse_file
from workbench.ingest.overprint import drop_overprints
from workbench.ingest.passages import Word

HEADING = "Overprinted headings look bold on old typewriters and laser printers."
BODY = "A normal line follows the heading, and the the word repeats; headings again further down."


def _overprinted(path):
    doc = pymupdf.open()
    page = doc.new_page()
    for dx in (0, 0.4):
        page.insert_text((72 + dx, 72), HEADING, fontsize=11)
    page.insert_text((72, 120), BODY, fontsize=11)
    doc.new_page().insert_text((72, 72), "Tide tables for the estuary, printed once.", fontsize=11)
    path.write_bytes(doc.tobytes())
    return path


def test_a_second_drawing_is_dropped_and_other_repeats_are_kept():
    a = Word("bold", 0, 0, (10.0, 10.0, 30.0, 20.0))
    words = [a, Word("bold", 0, 1, (10.4, 10.0, 30.4, 20.0)), Word("bold", 1, 0, (10.0, 40.0, 30.0, 50.0))]
    kept, dropped = drop_overprints(words + [Word("bold")])
    assert kept == [a, words[2], Word("bold")] and dropped == 1


def test_an_overprinted_heading_is_read_once(tmp_path):
    parsed = parse_file(_overprinted(tmp_path / "memo.pdf"), 200)
    texts = [p.text for p in parsed.passages]
    assert texts == [f"{HEADING} {BODY}", "Tide tables for the estuary, printed once."]
    assert "text drawn twice over itself (bold by overprinting) read once on page 1" in parsed.notes


def test_a_search_finds_the_overprinted_passage_once(tmp_path, new_collection):
    coll = new_collection()
    assert coll.ingest([_overprinted(tmp_path / "memo.pdf")]).ok
    hits = coll.search("bold headings on typewriters", exhaustive_search_plan(final_k=5)).hits
    assert [h.page for h in hits] == [1, 2]  # one passage per page, not the heading twice
