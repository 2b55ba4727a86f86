"""The demo collection: the guide plus standard-library reference PDFs, rendered once and kept while fresh.

No encoder here: rendering and reading PDFs only, so the whole module runs in seconds.
"""

import re
import sys
import types

import pymupdf
import pytest

from workbench.demo import pdfs as demo
from workbench.demo.pdfs import (
    ASSETS,
    DEMO_MODULES,
    STAMP,
    build_demo_pdfs,
    build_stdlib_pdfs,
    describe_demo,
    doc_blocks,
    select_sections,
    stdlib_pdf_name,
)
from workbench.demo.stdlib_text import MODULE, doc_sections, summary_line
from workbench.ingest.pdf import TEXT_FLAGS

GUIDE = sorted(p.stem + ".pdf" if p.suffix == ".md" else p.name for p in ASSETS.glob("*.*"))


def pdf_text(path) -> str:
    """The text as ingest reads it (ligatures such as "ﬁ" expanded)."""
    with pymupdf.open(path) as doc:
        return "\n".join(page.get_text(flags=TEXT_FLAGS) for page in doc)


def squeezed(text: str) -> str:
    """Text without whitespace, so a heading wrapped or split across lines still matches."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    target = tmp_path_factory.mktemp("demo-pdfs")
    return target, build_demo_pdfs(target)


def test_collection_is_the_guide_and_30_to_60_modules(rendered):
    target, pdfs = rendered
    names = [p.name for p in pdfs]
    assert names[: len(GUIDE)] == GUIDE  # the guide keeps its names, and comes first
    stdlib = names[len(GUIDE) :]
    assert 30 <= len(stdlib) <= 60
    assert stdlib == [stdlib_pdf_name(m) for m in DEMO_MODULES]
    assert "stdlib-pathlib.pdf" in stdlib and "stdlib-argparse.pdf" in stdlib
    assert all(p.parent == target and p.exists() for p in pdfs)
    assert not list(target.glob("*.tmp"))  # written atomically: no temporaries left


def test_every_document_opens_and_has_text(rendered):
    _, pdfs = rendered
    assert {p.suffix for p in pdfs} == {".pdf", ".epub", ".html"}  # the demo shows three formats
    for path in pdfs:
        with pymupdf.open(path) as doc:
            assert doc.page_count >= 1, path.name
            assert any(len(page.get_text().split()) > 20 for page in doc), path.name


def test_title_summary_and_qualified_headings(rendered):
    target, _ = rendered
    for module in ("pathlib", "subprocess", "argparse", "json"):
        text = pdf_text(target / stdlib_pdf_name(module))
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        assert lines[0] == module  # the title is the module name
        sections = doc_sections(module)
        assert squeezed(summary_line(sections)[:40]) in squeezed(text)
        kept = [s.name for s, _ in select_sections(sections) if s.kind != MODULE]
        assert kept and all(name.startswith(module + ".") for name in kept)
        missing = [name for name in kept if squeezed(name) not in squeezed(text)]
        assert not missing, f"{module}: headings missing {missing[:5]}"
    assert "pathlib.Path.open" in pdf_text(target / "stdlib-pathlib.pdf")


def test_second_call_renders_nothing(rendered):
    target, pdfs = rendered
    before = {p: p.stat().st_mtime_ns for p in pdfs}
    stamp = (target / STAMP).stat().st_mtime_ns
    assert build_demo_pdfs(target) == pdfs
    assert {p: p.stat().st_mtime_ns for p in pdfs} == before
    assert (target / STAMP).stat().st_mtime_ns == stamp


def test_describe_names_both_parts(rendered):
    _, pdfs = rendered
    line = describe_demo(pdfs)
    assert line.startswith(f"{len(pdfs)} documents: {len(DEMO_MODULES)} Python standard-library modules")
    assert line.endswith("guide (1 PDF, 1 EPUB e-book, 1 web page)")


# -- layout of one docstring, on a module made up here (independent of the Python version) ------------
FAKE_DOC = """Tags like <b>bold</b> & "quotes" stay text.

Use it like this:

>>> compare(1 < 2, "a & b")
True
"""


@pytest.fixture
def fake_module(monkeypatch):
    module = types.ModuleType("kayak_fake_mod", FAKE_DOC)

    def compare(a, b):
        """Return whether <a> & <b> agree.

        Arguments:
            a -- the left side,
                 may wrap
            b -- the right side
        """

    class Widget:
        """A widget; widgets < gadgets."""

        def spin(self):
            """Spin it & stop."""

    compare.__module__ = Widget.__module__ = "kayak_fake_mod"
    module.compare, module.Widget = compare, Widget
    monkeypatch.setitem(sys.modules, "kayak_fake_mod", module)
    return module


def test_html_characters_come_out_as_text(fake_module, tmp_path):
    [pdf] = build_stdlib_pdfs(tmp_path, ("kayak_fake_mod",))
    text = pdf_text(pdf)
    assert 'Tags like <b>bold</b> & "quotes" stay text.' in " ".join(text.split())
    assert '>>> compare(1 < 2, "a & b")' in text  # a doctest line, kept whole
    assert "Return whether <a> & <b> agree." in text
    assert "widgets < gadgets" in text and "Spin it & stop." in text
    assert "&lt;" not in text and "&amp;" not in text
    for heading in ("kayak_fake_mod.compare", "kayak_fake_mod.Widget", "kayak_fake_mod.Widget.spin"):
        assert heading in text


def test_doc_blocks_keep_code_and_structured_lines():
    blocks = doc_blocks(FAKE_DOC)
    assert blocks[0] == ("p", 'Tags like <b>bold</b> & "quotes" stay text.')
    assert blocks[1] == ("p", "Use it like this:")
    assert blocks[2] == ("pre", '>>> compare(1 < 2, "a & b")\nTrue')  # doctest output stays code
    structured = doc_blocks("Arguments:\n    a -- left,\n         wraps\n    b -- right")
    assert structured == [("lines", "Arguments:\n    a -- left,\n         wraps\n    b -- right")]
    assert doc_blocks("Example::\n\n    x = 1\n    y = 2") == [("p", "Example:"), ("pre", "x = 1\ny = 2")]


def test_budget_keeps_every_summary_before_details():
    sections = doc_sections("os")  # hundreds of names: the budget decides
    kept = select_sections(sections, budget=400)
    assert sum(len(t.split()) for _, blocks in kept for _, t in blocks) <= 400
    assert kept[0][0].kind == MODULE
    summaries_only = [s for s, blocks in kept if s.kind != MODULE and len(blocks) == 1]
    assert summaries_only  # some names got only their first paragraph


def test_module_list_or_python_change_renders_again(fake_module, tmp_path, monkeypatch):
    first = build_stdlib_pdfs(tmp_path, ("kayak_fake_mod", "glob"))
    assert [p.name for p in first] == ["stdlib-kayak_fake_mod.pdf", "stdlib-glob.pdf"]
    again = build_stdlib_pdfs(tmp_path, ("kayak_fake_mod",))  # the list changed: stale PDFs go
    assert [p.name for p in again] == ["stdlib-kayak_fake_mod.pdf"] and not (tmp_path / "stdlib-glob.pdf").exists()
    calls = []
    monkeypatch.setattr(demo, "render_html", lambda body, out, css=None: calls.append(out))
    build_stdlib_pdfs(tmp_path, ("kayak_fake_mod",))
    assert calls == []  # fresh: nothing rendered
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    build_stdlib_pdfs(tmp_path, ("kayak_fake_mod",))
    assert calls == [tmp_path / "stdlib-kayak_fake_mod.pdf"]


def test_a_module_this_python_lacks_is_left_out(fake_module, tmp_path):
    pdfs = build_stdlib_pdfs(tmp_path, ("kayak_fake_mod", "kayak_no_such_module"))
    assert [p.name for p in pdfs] == ["stdlib-kayak_fake_mod.pdf"]
    assert build_stdlib_pdfs(tmp_path, ("kayak_fake_mod", "kayak_no_such_module")) == pdfs
