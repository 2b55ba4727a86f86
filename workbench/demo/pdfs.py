"""The built-in demo collection, written at first run, offline.

Two parts:

* the project's own guide: ``assets/demo/*.md`` rendered to multi-page PDFs (headings and paragraphs) by
  PyMuPDF, and the guide's e-book and web page (``assets/demo/*.epub``, ``*.html``, written by pandoc
  from ``assets/demo/sources``) copied as they are, so the demo shows hits in three formats;
* real reference text every machine has: for each of ``DEMO_MODULES``, the Python standard library's
  docstrings (the module's, then each public class and function followed by its methods) as one PDF,
  ``stdlib-<module>.pdf``, titled with the module name and a one-line summary, one heading per
  documented object (``pathlib.Path.open``), code examples kept as preformatted lines.

``build_demo_pdfs`` writes both and returns their paths, re-rendering (or re-copying) only what is stale;
``demo_index_dir`` is where the demo index lives (the user's data folder).
"""

from __future__ import annotations

import html
import json
import os
import platform
import re
import shutil
import sys
import textwrap
from pathlib import Path

from .stdlib_text import MEMBER, MODULE, DocSection, doc_sections, summary_line

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "demo"
GUIDE_COPIED = (".epub", ".html")  # the guide's parts shipped ready-made, copied as they are
PAGE = (0, 0, 420, 595)  # a small A5-like page so every document spans several pages
MARGIN = 42
GUIDE_CSS = "body {font-family: sans-serif; font-size: 10pt;}"
STDLIB_CSS = (
    "body {font-family: sans-serif; font-size: 10pt;} h1 {font-size: 15pt;} "
    "h2, h3 {font-size: 11pt; margin-top: 9pt; margin-bottom: 3pt;} h3 {font-size: 10pt;} "
    "p.summary {font-style: italic;} p.source {font-size: 8pt;} p.lines {white-space: pre-wrap;} "
    "pre {font-family: monospace; font-size: 8pt; white-space: pre-wrap;}"
)

# Modules whose docstrings answer questions a newcomer asks ("parse command-line options", "run a
# shell command", "compare two files"), each checked to carry substantive text in its module or object
# docstrings. Sorted, so the collection's order is stable.
DEMO_MODULES = (
    "argparse",
    "asyncio",
    "base64",
    "calendar",
    "collections",
    "concurrent.futures",
    "configparser",
    "contextlib",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "enum",
    "fileinput",
    "functools",
    "glob",
    "gzip",
    "hashlib",
    "heapq",
    "http.client",
    "io",
    "itertools",
    "json",
    "logging",
    "math",
    "os",
    "os.path",
    "pathlib",
    "pickle",
    "queue",
    "random",
    "re",
    "secrets",
    "shutil",
    "socket",
    "sqlite3",
    "statistics",
    "string",
    "subprocess",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "time",
    "timeit",
    "traceback",
    "typing",
    "unittest",
    "urllib.parse",
    "urllib.request",
    "uuid",
    "xml.etree.ElementTree",
    "zipfile",
)

# Size limits, in words, that keep the whole collection at a few hundred passages (about 2–4 pages
# per module): a module's docstring, any other section, and one module in all.
MODULE_DOC_WORDS = 300
SECTION_WORDS = 110
MODULE_WORDS = 500
STDLIB_PREFIX = "stdlib-"
STAMP = "stdlib-docs.json"
LAYOUT_VERSION = 1  # bump when the rendering below changes, so existing demo PDFs are redone


# The question the demo opens with: its answer (subprocess) sits at rank 1, and its eight query tokens
# (run, command, output, shell…) align visibly with the passage's words in the heatmap.
DEMO_QUERY = "run a shell command and capture its output"


def demo_index_dir() -> Path:
    from ..platform.user_dirs import data_dir

    return data_dir() / "demo.kayak"


# -- the guide ----------------------------------------------------------------------------------------
def markdown_to_html(text: str) -> str:
    """Headings (#, ##) and paragraphs; everything else is plain text, escaped."""
    parts = []
    for block in re.split(r"\n\s*\n", text.strip()):
        line = " ".join(block.split())
        level = len(line) - len(line.lstrip("#"))
        if 0 < level <= 3:
            parts.append(f"<h{level}>{html.escape(line[level:].strip())}</h{level}>")
        else:
            parts.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(parts)


def render_html(body: str, out: Path, css: str = STDLIB_CSS) -> None:
    """Lay ``body`` (HTML, styled by ``css``) out on as many pages as it needs and write the PDF ``out``
    atomically (a temporary file renamed into place, so a reader never sees half a PDF)."""
    import pymupdf

    story = pymupdf.Story(body, user_css=css)
    tmp = out.with_suffix(".tmp")
    writer = pymupdf.DocumentWriter(str(tmp))
    frame = pymupdf.Rect(PAGE) + (MARGIN, MARGIN, -MARGIN, -MARGIN)
    more = True
    while more:
        device = writer.begin_page(pymupdf.Rect(PAGE))
        more, _ = story.place(frame)
        story.draw(device)
        writer.end_page()
    writer.close()
    tmp.replace(out)


def render_pdf(markdown: str, out: Path) -> None:
    """The guide's Markdown ``markdown`` as the PDF ``out``."""
    render_html(markdown_to_html(markdown), out, GUIDE_CSS)


def build_guide_pdfs(target: Path, sources: Path = ASSETS) -> list[Path]:
    """Render every ``*.md`` in ``sources`` into ``target`` unless its PDF is newer, and copy the guide's
    e-books and web pages (:data:`GUIDE_COPIED`) unless the copy is newer; returns every path, in name
    order."""
    out = []
    for source in sorted(p for p in sources.iterdir() if p.suffix in (".md", *GUIDE_COPIED)):
        made = target / (source.stem + ".pdf" if source.suffix == ".md" else source.name)
        if not made.exists() or made.stat().st_mtime < source.stat().st_mtime:
            if source.suffix == ".md":
                render_pdf(source.read_text(encoding="utf-8"), made)
            else:
                _copy_atomically(source, made)
        out.append(made)
    return out


def _copy_atomically(source: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".tmp")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


# -- standard-library reference text ------------------------------------------------------------------
def _words(text: str) -> int:
    return len(text.split())


_UNDERLINE = re.compile(r"^\s*([=\-~^*])\1{2,}\s*$")  # a reST heading's underline: "========"


def doc_blocks(doc: str) -> list[tuple[str, str]]:
    """A cleaned docstring as blocks ``(kind, text)``, one or two per paragraph (paragraphs are split
    at blank lines): ``"p"`` prose, its lines joined; ``"pre"`` code, lines kept (a paragraph indented
    throughout, or from a ``>>>`` prompt to the paragraph's end, since doctest output is not
    indented); ``"lines"`` structured text, lines kept (hanging indents of argument lists, reST
    underlines), because joining those lines would run the entries together."""
    blocks: list[tuple[str, str]] = []
    for para in re.split(r"\n\s*\n", doc.strip("\n")):
        lines = para.rstrip().splitlines()
        prompt = next((i for i, line in enumerate(lines) if line.lstrip().startswith(">>>")), len(lines))
        if prompt:
            blocks.append(_text_block(lines[:prompt]))
        if prompt < len(lines):
            blocks.append(("pre", "\n".join(lines[prompt:])))
    return blocks


def _text_block(lines: list[str]) -> tuple[str, str]:
    """Lines without a doctest prompt as one ``"pre"``, ``"lines"`` or ``"p"`` block (see doc_blocks)."""
    indented = [line[:1].isspace() for line in lines]
    if all(indented):
        return "pre", textwrap.dedent("\n".join(lines))  # its own block: the docstring's indent is moot
    if any(indented) or any(_UNDERLINE.match(line) for line in lines):
        return "lines", "\n".join(lines)
    prose = " ".join(" ".join(lines).split())
    return "p", prose[:-1] if prose.endswith("::") else prose  # reST's "::" introduces a code block


def trim_blocks(blocks: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """The leading blocks that fit in ``limit`` words; the first block is always kept, cut to ``limit``
    words (prose, ending in "…") or whole lines (code) when it alone is longer."""
    kept: list[tuple[str, str]] = []
    used = 0
    for kind, text in blocks:
        n = _words(text)
        if used + n <= limit:
            kept.append((kind, text))
            used += n
        elif not kept:
            kept.append(_cut(kind, text, limit))
            break
        else:
            break
    return kept


def _cut(kind: str, text: str, limit: int) -> tuple[str, str]:
    if kind == "p":
        return kind, " ".join(text.split()[:limit]) + " …"
    lines, used = [], 0
    for line in text.splitlines():
        if lines and used + _words(line) > limit:
            break
        lines.append(line)
        used += _words(line)
    return kind, "\n".join(lines)


def select_sections(
    sections: list[DocSection],
    budget: int = MODULE_WORDS,
    module_cap: int = MODULE_DOC_WORDS,
    section_cap: int = SECTION_WORDS,
) -> list[tuple[DocSection, list[tuple[str, str]]]]:
    """Which sections of one module go into its PDF, with the blocks kept of each, in document order.

    Each docstring is first trimmed to its cap (``module_cap`` for the module's, ``section_cap`` for
    the others). Then, while the module stays within ``budget`` words: the module docstring; the first
    block (the summary) of every other section, by kind (the module's own classes and functions, those
    it re-exports, class members) and in document order within a kind; then, in the same order, each
    section's further blocks. A block that does not fit ends its section; a later, shorter one may
    still fit. So every documented name gets its summary before any name gets its details."""
    trimmed = [trim_blocks(doc_blocks(s.doc), module_cap if s.kind == MODULE else section_cap) for s in sections]
    order = sorted(range(len(sections)), key=lambda i: (sections[i].kind, i))
    kept = [0] * len(sections)  # blocks kept per section, always a prefix of its trimmed blocks
    used = 0

    def admit(i: int, upto: int) -> None:
        nonlocal used
        while kept[i] < upto and used + _words(trimmed[i][kept[i]][1]) <= budget:
            used += _words(trimmed[i][kept[i]][1])
            kept[i] += 1

    for i in order:  # the module docstring whole, every other section's summary
        admit(i, len(trimmed[i]) if sections[i].kind == MODULE else 1)
    for i in order:  # then the details, of sections whose summary is in
        if kept[i]:
            admit(i, len(trimmed[i]))
    return [(sections[i], trimmed[i][: kept[i]]) for i in range(len(sections)) if kept[i]]


def module_html(name: str, python: str = platform.python_version()) -> str:
    """Module ``name``'s reference PDF as HTML: title, one-line summary, where the text comes from,
    then one heading per kept section with its docstring blocks. All docstring text is escaped."""
    sections = doc_sections(name)
    summary = summary_line(sections)
    parts = [
        f"<h1>{html.escape(name)}</h1>",
        f'<p class="summary">{html.escape(summary)}</p>',
        f'<p class="source">From the docstrings of the Python {python} standard library.</p>',
    ]
    for section, blocks in select_sections(sections):
        if section.kind == MODULE:
            blocks = blocks[1:] if blocks and blocks[0] == ("p", summary) else blocks  # said in the title
        else:
            tag = "h3" if section.kind == MEMBER else "h2"
            parts.append(f"<{tag}>{html.escape(section.name)}</{tag}>")
        parts += [_block_html(kind, text) for kind, text in blocks]
    return "\n".join(parts)


# Box-drawing characters (a directory tree in ``zipfile.Path``'s docstring) as ASCII: the default
# encoder's vocabulary has no token for them, which ingest would report for the demo's own PDF.
_BOX_DRAWING = str.maketrans({"├": "|", "└": "`", "│": "|", "─": "-"})


def _block_html(kind: str, text: str) -> str:
    """One docstring block as HTML, its text escaped (``<``, ``&`` stay text, never markup)."""
    body = html.escape(text.translate(_BOX_DRAWING), quote=False)
    return f"<pre>{body}</pre>" if kind == "pre" else f'<p class="{kind}">{body}</p>'


def stdlib_pdf_name(module: str) -> str:
    """``"pathlib"`` → ``"stdlib-pathlib.pdf"``."""
    return f"{STDLIB_PREFIX}{module}.pdf"


def _stamp(modules: tuple[str, ...]) -> dict:
    """What the stdlib PDFs depend on: the exact Python build (docstrings change between releases), the
    module list, and the layout and size limits."""
    return {
        "python": sys.version,
        "modules": list(modules),
        "layout": LAYOUT_VERSION,
        "limits": [MODULE_DOC_WORDS, SECTION_WORDS, MODULE_WORDS],
    }


def build_stdlib_pdfs(target: Path, modules: tuple[str, ...] = DEMO_MODULES) -> list[Path]:
    """One PDF per module in ``target``, in ``modules`` order, and the stamp file that says what made
    them. Renders them all again only when the stamp names another Python, module list or layout, or a
    PDF is missing; removes stdlib PDFs of modules no longer listed. A module this Python cannot import
    (a build without ``sqlite3``) is left out. Returns the PDF paths."""
    stamp_file = target / STAMP
    key = _stamp(modules)
    previous = _read_stamp(stamp_file)
    if previous and previous.get("key") == key:
        pdfs = [target / stdlib_pdf_name(m) for m in previous.get("rendered", [])]
        if all(p.exists() for p in pdfs):
            return pdfs
    rendered = [m for m in modules if _render_module(m, target / stdlib_pdf_name(m))]
    pdfs = [target / stdlib_pdf_name(m) for m in rendered]
    for old in set(target.glob(f"{STDLIB_PREFIX}*.pdf")) - set(pdfs):
        old.unlink()
    tmp = stamp_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key, "rendered": rendered}, indent=1), encoding="utf-8")
    tmp.replace(stamp_file)  # written last: a run interrupted while rendering renders again next time
    return pdfs


def _render_module(module: str, pdf: Path) -> bool:
    """Render ``module``'s reference PDF; False when this Python has no such module."""
    try:
        body = module_html(module)
    except ImportError:
        return False
    render_html(body, pdf)
    return True


def _read_stamp(path: Path) -> dict | None:
    """The stamp file's contents, or None when it is missing or not a stamp."""
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def build_demo_pdfs(target: Path, sources: Path = ASSETS, modules: tuple[str, ...] = DEMO_MODULES) -> list[Path]:
    """Write the demo collection into ``target``: the guide (``sources/*.md``) and one reference PDF per
    standard-library module in ``modules``. Returns every PDF path, the guide's first."""
    target.mkdir(parents=True, exist_ok=True)
    return build_guide_pdfs(target, sources) + build_stdlib_pdfs(target, modules)


def describe_demo(paths: list[Path]) -> str:
    """One line saying what the demo collection holds, e.g. "57 documents: 54 Python standard-library
    modules' reference PDFs and the project's guide (a PDF, an EPUB e-book and a web page)"."""
    stdlib = sum(p.name.startswith(STDLIB_PREFIX) for p in paths)
    guide = [p for p in paths if not p.name.startswith(STDLIB_PREFIX)]
    kinds = {".pdf": "PDF", ".epub": "EPUB e-book", ".html": "web page"}
    parts = [f"{sum(p.suffix == s for p in guide)} {k}" for s, k in kinds.items() if any(p.suffix == s for p in guide)]
    return (
        f"{len(paths)} documents: {stdlib} Python standard-library modules' reference PDFs (from their "
        f"docstrings) and the project's guide ({', '.join(parts)})"
    )
