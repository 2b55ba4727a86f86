"""Web pages (HTML, XHTML) → sections: the page's main text with its title and headings, without what a
reader does not read — scripts, styles, navigation, forms, hidden elements.

Beautiful Soup (with lxml's HTML parser) parses the page and detects its encoding from the bytes, a BOM or
its ``<meta charset>``. Where the page marks its main content (``<main>``, one ``<article>``, or
``role="main"``), only that is read; otherwise the body without its ``<nav>``, ``<header>``, ``<footer>``
and ``<aside>``. Each heading starts a section whose location is ``section “Heading”``. XHTML is parsed as
HTML too: the HTML parser never expands entities declared in a document type, so an entity bomb
("billion laughs") stays inert text.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

from .errors import IngestError
from .files import ReadPosition, read_capped
from .passages import Word
from .sections import Section

MAX_HTML_BYTES = 32 << 20  # a page beyond this is not a web page a person reads; the parse tree is ~10× it
DROPPED = frozenset(
    "script style noscript template nav header footer aside form iframe object embed svg canvas button select"
    " textarea dialog menu head".split()
)
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
BLOCKS = frozenset(
    "p div li ul ol dl dt dd table tr td th thead tbody tfoot caption pre blockquote section article main"
    " figure figcaption address details summary hr br body".split()
)
NAV_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"})


def read_html(path: Path, notes: list[str], where: ReadPosition) -> Iterator[Section]:
    """The sections of the web page at ``path``: the title and any text before the first heading (location
    ``""``), then one section per heading. :class:`IngestError` for a file too large, not HTML, or without
    text."""
    data = read_capped(path, where, MAX_HTML_BYTES, "a web page")
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"%pdf-", b"pk\x03\x04", b"\x89png")) or b"\x00" in data[:4096] and not _utf16(data):
        raise IngestError("not a web page (looks like a binary file)")
    soup = _soup(data)
    if soup.original_encoding and soup.original_encoding.lower() not in ("utf-8", "ascii", "windows-1252"):
        notes.append(f"read as {soup.original_encoding} (declared or detected)")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    first = [Word(w, 0, 0) for w in title.split()]
    yield from _sections(_main_content(soup), first)


def html_text(markup: str) -> str:
    """The readable text of an HTML body (a mail's): what :func:`read_html` keeps of a page's body, headings
    included, one paragraph (``"\n\n"``-separated) per block element."""
    soup = _soup(markup)
    paragraphs: list[str] = []
    for section in _sections(soup.body or soup, []):
        block, words = None, []
        for word in section.words:
            if word.block != block and words:
                paragraphs.append(" ".join(words))
                words = []
            block = word.block
            words.append(word.text)
        if words:
            paragraphs.append(" ".join(words))
    return "\n\n".join(paragraphs)


def _soup(markup: str | bytes):
    """Beautiful Soup's tree of ``markup`` by lxml's HTML parser (bytes: the encoding detected)."""
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():  # XHTML is parsed as HTML on purpose (see the module's docstring); a
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)  # short body must not warn it looks like a path
        warnings.simplefilter("ignore", UserWarning)
        return BeautifulSoup(markup, "lxml")


def _utf16(data: bytes) -> bool:
    return data.startswith((b"\xff\xfe", b"\xfe\xff"))


def _main_content(soup):
    """The element holding the page's main text: ``<main>``, ``role="main"`` or a lone ``<article>``,
    else ``<body>`` (or the whole document for a fragment)."""
    for found in (soup.find("main"), soup.find(attrs={"role": "main"})):
        if found is not None:
            return found
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0]
    return soup.body or soup


def _hidden(tag) -> bool:
    attrs = tag.attrs or {}
    style = str(attrs.get("style", "")).replace(" ", "").lower()
    return (
        tag.name in DROPPED
        or "hidden" in attrs
        or str(attrs.get("aria-hidden", "")).lower() == "true"
        or str(attrs.get("role", "")).lower() in NAV_ROLES
        or "display:none" in style
    )


def _sections(root, first: list[Word]) -> Iterator[Section]:
    """Walk ``root`` in document order (with an explicit stack: a page may nest deeper than Python
    recurses), cutting a block at each block element and a section at each heading."""
    from bs4 import Comment, NavigableString, Tag

    words, block, location = list(first), 1 if first else 0, ""
    buffer: list[str] = []

    def flush() -> None:
        nonlocal block
        text = "".join(buffer).split()  # strings carry their own spaces: "<a>Africa</a>." is "Africa."
        buffer.clear()
        if text:
            words.extend(Word(w, block, 0) for w in text)
            block += 1

    stack: list = [(iter(root.children), True)]  # (children, whether the element is a block)
    while stack:
        node = next(stack[-1][0], None)
        if node is None:
            if stack.pop()[1]:
                flush()  # a block element's end ends its block; an inline element's (<a>, <em>) does not
            continue
        if isinstance(node, Comment) or (isinstance(node, NavigableString) and type(node) is not NavigableString):
            continue  # comments, CDATA, doctype and processing instructions are not text
        if isinstance(node, NavigableString):
            buffer.append(str(node))
            continue
        if not isinstance(node, Tag) or _hidden(node):
            continue
        if node.name in HEADINGS:
            flush()
            heading = node.get_text(" ", strip=True)
            if heading:
                if words:
                    yield Section(words, None, location)
                words, block = [Word(w, 0, 0) for w in heading.split()], 1
                location = f"section “{_short(heading)}”"
            continue
        if node.name in BLOCKS:
            flush()
        stack.append((iter(node.children), node.name in BLOCKS))
    flush()
    if words:
        yield Section(words, None, location)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
