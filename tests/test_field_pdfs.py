"""Real PDFs from other projects' bug trackers (``shared/field``, see its SOURCES.md): each kind of fault
they showed, with the right value — the right page, the right reason, the right share of characters."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from workbench.collection import Collection
from workbench.core import exhaustive_search_plan, hybrid_search_plan
from workbench.ingest import IngestError, Word, parse_file
from workbench.ingest.hyphenation import join_line_end_hyphens
from workbench.store import FORMAT_VERSION

FIELD = Path(__file__).resolve().parents[2] / "shared" / "field"
HYBRID = hybrid_search_plan(final_k=3, candidate_k=20, lexical_k=20, query_vector_budget=0, document_vector_budget=0)


@pytest.fixture(scope="module")
def field(tmp_path_factory, encoder):
    """Every field PDF ingested into one index (OCR on), and the ingest's events by file name."""
    assert FIELD.is_dir(), f"{FIELD} is missing: the field PDFs live in shared/ beside the repository"
    root = tmp_path_factory.mktemp("field")
    coll = Collection.open(root / "idx", create=True, encoder=encoder)
    events = {Path(e.path).name: e for e in coll.iter_ingest([FIELD]) if e.status in ("indexed", "failed")}
    return coll, events


def _doc(coll, name):
    return next(d for d in coll.documents() if Path(d.path).name == name)


def _top(coll, query, plan=HYBRID):
    hit = coll.search(query, plan).hits[0]
    return Path(hit.path).name, hit.page


@pytest.mark.parametrize(
    "name, reason",
    [
        ("bug1020226.pdf", "damaged or truncated PDF"),
        ("poppler-67295-0.pdf", "damaged PDF: its page tree is invalid"),
        ("textfields.pdf", "a form without text (9 empty fields)"),
        ("type3font.pdf", "text present but not extractable: font without Unicode mapping (T1)"),
        ("password-example.pdf", "the PDF is encrypted and needs a password"),
    ],
)
def test_failures_name_the_real_cause(field, name, reason):
    _, events = field
    assert events[name].status == "failed" and reason in events[name].message


def test_one_bad_page_loses_only_that_page(field):
    coll, events = field
    assert events["Pages-tree-refs.pdf"].status == "indexed"
    assert "1 page not indexed — page 2: unreadable (cycle in page tree)" in _doc(coll, "Pages-tree-refs.pdf").notes
    assert _top(coll, "Testcase Pages loop", exhaustive_search_plan(final_k=1)) == ("Pages-tree-refs.pdf", 1)


def test_line_end_hyphens_are_rejoined(field):
    coll, _ = field
    texts = [p.text for p in parse_file(FIELD / "naacl06-shinyama.pdf", 200).passages]
    assert any("To alleviate this problem" in t for t in texts) and not any("allevi- ate" in t for t in texts)
    assert any("F-score" in t for t in texts)  # the document writes it hyphenated: kept
    ids, _ = coll.store.catalog.lexical_search("alleviate", 3)
    assert ("naacl06-shinyama.pdf", 3) in [
        (Path(i.path).name, i.page) for i in coll.store.catalog.describe(ids.tolist())
    ]
    plan = hybrid_search_plan(final_k=10, candidate_k=20, lexical_k=20, query_vector_budget=0, document_vector_budget=0)
    hits = coll.search("alleviate", plan).hits  # the lexical stage makes it a candidate; MaxSim ranks it
    assert ("naacl06-shinyama.pdf", 3) in [(Path(h.path).name, h.page) for h in hits]


def test_hyphen_rules_keep_compounds():
    line = lambda text, block, ln, x, y: Word(text, block, ln, (x, y, x + 30, y + 10))  # noqa: E731
    words = [
        line("real-world", 0, 0, 10, 0),
        line("state-of-the-", 0, 0, 50, 0),
        line("art", 0, 1, 10, 12),
        line("the", 0, 1, 50, 12),
        line("mid-", 0, 1, 90, 12),
        line("Sep.", 0, 2, 10, 24),
        line("allevi-", 0, 2, 50, 24),
        line("ate", 0, 3, 10, 36),
        line("-", 0, 3, 50, 36),
        line("Nov.", 0, 3, 90, 36),
    ]
    joined = join_line_end_hyphens(words)
    assert [w.text for w in joined] == [
        "real-world",
        "state-of-the-art",
        "the",
        "mid-",
        "Sep.",
        "alleviate",
        "-",
        "Nov.",
    ]
    alleviate = joined[5]
    assert alleviate.box == words[6].box and alleviate.more == ((0, 3, words[7].box),)  # boxes cover both halves


def test_text_the_encoder_cannot_represent_is_kept_searchable_and_reported(field):
    coll, _ = field
    assert round(_doc(coll, "multilang.pdf").unrepresented_share, 3) == 0.142
    assert round(_doc(coll, "XiaoBiaoSong.pdf").unrepresented_share, 3) == 0.662
    assert any("66% of its characters cannot be represented" in n for n in _doc(coll, "XiaoBiaoSong.pdf").notes)
    assert _top(coll, "สวัสดีชาวโลก") == ("multilang.pdf", 1)  # no query vectors: the lexical stage ranks
    assert _top(coll, "红军作战") == ("XiaoBiaoSong.pdf", 1)  # trigram, across one-word-per-character text
    assert _top(coll, "红军") == ("XiaoBiaoSong.pdf", 1)  # two characters: substring scan
    with pytest.raises(ValueError, match="hybrid plan, whose lexical stage matches the text"):
        coll.search("สวัสดีชาวโลก", exhaustive_search_plan())
    text = next(p.text for p in parse_file(FIELD / "XiaoBiaoSong.pdf", 200).passages)
    assert text.startswith("目录关于红军作战的原则")


def test_undecodable_word_spaces_and_ligatures(field):
    assert [p.text for p in parse_file(FIELD / "issue4304.pdf", 200).passages] == [
        "Words that should have spaces between them."
    ]
    assert [p.text for p in parse_file(FIELD / "copy_paste_ligatures.pdf", 200).passages] == [
        "abcdeffffiflffifflststghijklmno"
    ]


def test_xfa_form_content_is_indexed(field):
    coll, _ = field
    assert any("XFA form:" in n for n in _doc(coll, "xfa_filled_imm1344e.pdf").notes)
    assert _top(coll, "Gauss Brunswick Leonhard Euler")[0] == "xfa_filled_imm1344e.pdf"
    texts = [p.text for p in parse_file(FIELD / "xfa_filled_imm1344e.pdf", 200).passages]
    assert not any("Please wait" in t for t in texts)


def test_attachment_only_encryption_reads_the_pages(field):
    coll, events = field
    assert events["encrypted-attachment.pdf"].status == "indexed"
    assert any("embedded files are encrypted" in n for n in _doc(coll, "encrypted-attachment.pdf").notes)
    assert _top(coll, "Example", exhaustive_search_plan(final_k=1)) == ("encrypted-attachment.pdf", 1)


def test_other_content_under_a_pdf_name_is_refused(tmp_path):
    fake = tmp_path / "x.pdf"
    fake.write_text("<!DOCTYPE html><html><body><p>Hello</p></body></html>")
    with pytest.raises(IngestError, match=r"not a PDF \(looks like HTML\)"):
        parse_file(fake, 100)
    shifted = tmp_path / "junk-first.pdf"
    shifted.write_bytes(b"\x00junk\n" + (FIELD / "issue4304.pdf").read_bytes())  # allowed before %PDF-
    assert list(parse_file(shifted, 100).passages)


def test_page_labels_are_kept_and_viewers_get_the_physical_page(field):
    coll, _ = field
    infos = [
        i
        for i in coll.store.catalog.describe(coll.late_index().passage_ids.tolist())
        if Path(i.path).name == "pagelabels.pdf"
    ]
    assert sorted({(i.page, i.page_label) for i in infos}) == [(1, "iii"), (2, "iv"), (3, "1"), (4, "2"), (5, "1")]
    from workbench.gui.page_view import PAGE_VIEWERS

    assert dict(PAGE_VIEWERS)["evince"] == ["--page-index={page}"]  # a label ('1') names two pages here


def test_image_only_pages_are_read_by_ocr(field, encoder, tmp_path):
    coll, _ = field
    hit = coll.search("never look back", exhaustive_search_plan(final_k=1)).hits[0]
    assert Path(hit.path).name == "image-file1.pdf" and hit.info.text_source == "ocr"
    assert any("read by OCR" in n for n in _doc(coll, "image-file1.pdf").notes)
    with pytest.raises(IngestError, match=r"image-only page \(scanned\?\); OCR is off"):
        list(parse_file(FIELD / "image-file1.pdf", 200, ocr=False).passages)


def test_highlights_follow_the_page_rotation():
    from workbench.ingest.paged import render_page

    words = [w for w in parse_file(FIELD / "hello_world_rotated.pdf", 200).passages][0]
    rgb, (a, b, c, d, e, f) = render_page(FIELD / "hello_world_rotated.pdf", 1, 1.5)
    dark = rgb.mean(axis=2) < 128
    for x0, y0, x1, y1 in words.boxes:
        xs = [a * x + c * y + e for x, y in ((x0, y0), (x1, y1))]
        ys = [b * x + d * y + f for x, y in ((x0, y0), (x1, y1))]
        box = dark[int(min(ys)) : int(max(ys)), int(min(xs)) : int(max(xs))]
        assert box.size and box.mean() > 0.1  # the box sits on the text of the rotated render


def test_a_version_1_index_is_read_as_is_and_migrated_by_a_writer(tmp_path, encoder):
    coll = Collection.open(tmp_path / "idx", create=True, encoder=encoder)
    shutil.copy(FIELD / "XiaoBiaoSong.pdf", tmp_path / "x.pdf")
    coll.ingest([tmp_path / "x.pdf"])
    with sqlite3.connect(tmp_path / "idx" / "catalog.sqlite") as db:  # what version 1 wrote
        db.executescript(
            "DROP TABLE pages; DROP TABLE document_facts; DROP TABLE passages_trigram;"
            "UPDATE manifest SET value = '1' WHERE key = 'format_version';"
        )
    old = Collection.open(tmp_path / "idx", encoder=encoder, read_only=True)
    assert Path(old.search("中国", exhaustive_search_plan(final_k=1)).hits[0].path).name == "x.pdf"
    assert old.documents()[0].notes == () and old.store.manifest["format_version"] == "1"  # nothing written
    Collection.open(tmp_path / "idx", encoder=encoder)  # a writer migrates
    new = Collection.open(tmp_path / "idx", encoder=encoder, read_only=True)
    assert new.store.manifest["format_version"] == str(FORMAT_VERSION)
    assert Path(new.search("红军作战", HYBRID).hits[0].path).name == "x.pdf"
    assert np.isfinite(new.search("红军作战", HYBRID).hits[0].score)
