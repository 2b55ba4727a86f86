"""OCR: PyMuPDF's bundled Tesseract reads an image-only page, noise is dropped, missing data is said plainly.

Needs Tesseract's English data (``./dev.sh setup`` installs tesseract-ocr-eng where it can): a machine
without it FAILS here rather than skipping, so that OCR can never silently be off in CI.
"""

from pathlib import Path

import pymupdf
import pytest

from workbench.ingest import ocr

FIELD = Path(__file__).resolve().parents[2] / "shared" / "field"
IMAGE_PDF = FIELD / "image-file1.pdf"  # a dog photo with a "Never look back!" speech bubble, twice


@pytest.fixture
def fresh_cache():
    ocr.find_tessdata.cache_clear()
    yield
    ocr.find_tessdata.cache_clear()


def test_tessdata_is_installed(fresh_cache):
    found = ocr.find_tessdata("eng")
    assert found is not None, ocr.OCR_MISSING
    assert (found / "eng.traineddata").is_file()


def test_ocr_reads_the_speech_bubble_and_drops_the_noise():
    assert IMAGE_PDF.is_file(), f"field sample missing: {IMAGE_PDF}"
    with pymupdf.open(IMAGE_PDF) as doc:
        page = doc[0]
        assert page.get_text("words") == []  # image-only: nothing without OCR
        raw = page.get_text(
            "words",
            textpage=page.get_textpage_ocr(language="eng", dpi=300, full=True, tessdata=str(ocr.find_tessdata("eng"))),
        )
        words = ocr.ocr_words(page, dpi=300)
        rect = page.rect
    texts = [w[4].lower() for w in words]
    for wanted in ("never", "look"):
        assert wanted in texts, texts
    assert any(t.startswith("back") for t in texts), texts  # "back!" keeps its "!"
    # layout of get_text("words"), boxes on the page (points)
    for x0, y0, x1, y1, text, block, line, word in words:
        assert 0 <= x0 <= x1 <= rect.width and 0 <= y0 <= y1 <= rect.height
        assert isinstance(text, str) and all(isinstance(n, int) for n in (block, line, word))
    # the noise: nothing without a letter or digit is kept, and most of what was dropped was noise
    assert all(any(ch.isalnum() for ch in t) for t in texts), texts
    assert not any(w[4] in {"-", "®", ")", "':", "‘", "*®"} for w in words), texts
    assert len(words) < len(raw)


def test_keep_token():
    assert all(ocr.keep_token(t) for t in ("Never", "back!", "3.14", "e-mail", "ly"))
    assert not any(ocr.keep_token(t) for t in ("-", "®", ")", "':", "*®", "}\\", "3", "a", "", "x!!"))


def test_no_tessdata_raises_ocr_unavailable(fresh_cache, monkeypatch, tmp_path):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # holds no eng.traineddata
    monkeypatch.setattr(
        ocr.pymupdf,
        "get_tessdata",
        lambda *a: (_ for _ in ()).throw(RuntimeError("No tessdata specified and Tesseract is not installed")),
    )
    monkeypatch.setattr(ocr, "_SYSTEM_GLOBS", (str(tmp_path / "*" / "tessdata"),))
    assert ocr.find_tessdata("eng") is None
    doc = pymupdf.open()
    page = doc.new_page()
    with pytest.raises(ocr.OcrUnavailable) as err:
        ocr.ocr_words(page)
    assert str(err.value) == ocr.OCR_MISSING
    assert "apt-get install tesseract-ocr tesseract-ocr-eng" in str(err.value)
    assert "\n" not in str(err.value)


def test_tessdata_prefix_wins_and_its_tessdata_subfolder_counts(fresh_cache, monkeypatch, tmp_path):
    (tmp_path / "tessdata").mkdir()
    (tmp_path / "tessdata" / "eng.traineddata").write_bytes(b"")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert ocr.find_tessdata("eng") == tmp_path / "tessdata"


def test_a_missing_language_is_unavailable_with_its_package_name(fresh_cache):
    with pymupdf.open() as doc:
        page = doc.new_page()
        with pytest.raises(ocr.OcrUnavailable, match="tesseract-ocr-zzz"):
            ocr.ocr_words(page, language="zzz")
