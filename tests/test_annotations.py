"""Comments on PDF pages — a sticky note, a comment on a highlight — are indexed as passages of their page,
located as what they are and boxed where they sit; a text box whose words the page draws is not indexed
twice; the document says how many comments were indexed. The PDFs are written by PyMuPDF's annotation
API, as a PDF editor writes them."""

from __future__ import annotations

import pymupdf

from workbench.core import exhaustive_search_plan, hybrid_search_plan
from workbench.ingest import parse_file

BODY = "Neap tides happen when the sun and the moon pull at right angles to each other."


def _annotated(path):
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), BODY, fontsize=11)
    note = page.add_text_annot((480, 72), "One of my favorite docs! Keep it for the harbour course.")
    note.set_info(title="Jane Doe")
    note.update()
    mark = page.add_highlight_annot(pymupdf.Rect(72, 60, 200, 76))
    mark.set_info(content="Is this right for spring tides too?", title="Ann")
    mark.update()
    box = page.add_freetext_annot(pymupdf.Rect(72, 200, 360, 240), "Check the tidal diamond figures", fontsize=10)
    box.update()
    doc.new_page().insert_text((72, 72), "A second page without comments about estuaries.", fontsize=11)
    flood = doc[1].add_text_annot((72, 200), "x" * 50_000)  # a hostile comment: cut, never held whole
    flood.update()
    path.write_bytes(doc.tobytes())
    return path


def test_comments_are_passages_of_their_page_located_and_boxed(tmp_path):
    parsed = parse_file(_annotated(tmp_path / "tides.pdf"), 200)
    drafts = list(parsed.passages)
    passages = [(p.page, p.location, p.text) for p in drafts]
    assert passages[:3] == [
        (1, "", BODY + " Check the tidal diamond figures"),  # the text box's words, drawn on the page
        (1, "note by Jane Doe", "One of my favorite docs! Keep it for the harbour course."),
        (1, "comment on a highlight by Ann", "Is this right for spring tides too?"),
    ]
    assert sum(1 for p in passages if "tidal diamond" in p[2]) == 1  # not indexed twice
    flood = [p for p in drafts if p.page == 2 and p.location == "note"]
    assert flood and sum(len(p.text) for p in flood) == 20_000
    note = next(p for p in drafts if p.location == "note by Jane Doe")
    assert note.boxes == [(480.0, 72.0, 496.0, 88.0)]  # the note's icon, where the viewer draws it
    assert "3 comments indexed (notes and annotations on pages 1, 2)" in parsed.notes


def test_a_search_finds_a_sticky_note_and_says_where_it_is(tmp_path, new_collection):
    coll = new_collection()
    assert coll.ingest([_annotated(tmp_path / "tides.pdf")]).ok
    hits = coll.search("favorite docs harbour course", hybrid_search_plan(final_k=3)).hits
    assert (hits[0].page, hits[0].location) == (1, "note by Jane Doe")
    hits = coll.search("is it right for spring tides", exhaustive_search_plan(final_k=5)).hits
    assert any(h.location == "comment on a highlight by Ann" for h in hits)
    (doc,) = coll.documents()
    assert any("3 comments indexed" in n for n in doc.notes)
