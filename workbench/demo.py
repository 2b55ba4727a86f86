"""The built-in demo collection: the project's own guide, written as PDFs by PyMuPDF from Markdown.

``build_demo_pdfs`` renders ``assets/demo/*.md`` to multi-page PDFs (headings and paragraphs only);
``demo_index_dir`` is where the demo index lives (the user's data folder).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "demo"
PAGE = (0, 0, 420, 595)    # a small A5-like page so the guide spans several pages
MARGIN = 42


def demo_index_dir() -> Path:
    from .user_dirs import data_dir
    return data_dir() / "demo.kayak"


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


def render_pdf(markdown: str, out: Path) -> None:
    import pymupdf
    story = pymupdf.Story(markdown_to_html(markdown), user_css="body {font-family: sans-serif; font-size: 10pt;}")
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


def build_demo_pdfs(target: Path, sources: Path = ASSETS) -> list[Path]:
    """Render every ``*.md`` in ``sources`` into ``target``; returns the PDF paths."""
    target.mkdir(parents=True, exist_ok=True)
    pdfs = []
    for md in sorted(sources.glob("*.md")):
        pdf = target / (md.stem + ".pdf")
        if not pdf.exists() or pdf.stat().st_mtime < md.stat().st_mtime:
            render_pdf(md.read_text(encoding="utf-8"), pdf)
        pdfs.append(pdf)
    return pdfs
