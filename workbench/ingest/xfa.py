"""XFA forms: their content lives in XML packets inside the PDF, not in the page text.

A dynamic XFA form's page only says "Please wait…" to readers without an XFA engine; the field
captions and static text are in the ``template`` packet, the filled values in ``datasets`` (under
``xfa:data``; other children are lookup lists). Names follow Adobe's XFA 3.3 specification.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pymupdf

MAX_PACKET = 64 << 20  # bytes of one XML packet read at most (a hostile form may claim gigabytes)


def has_xfa(doc: pymupdf.Document) -> bool:
    try:
        return doc.xref_get_key(doc.pdf_catalog(), "AcroForm/XFA")[0] not in ("null", "")
    except Exception:
        return False


def needs_rendering(doc: pymupdf.Document) -> bool:
    """The catalog's ``NeedsRendering``: the page content is a placeholder for the XFA form."""
    try:
        return doc.xref_get_key(doc.pdf_catalog(), "NeedsRendering") == ("bool", "true")
    except Exception:
        return False


def xfa_lines(doc: pymupdf.Document) -> list[str]:
    """The form's captions, static text and filled values, one line each, in document order, deduplicated.
    Packets that do not parse are skipped."""
    packets = _packets(doc)
    lines: list[str] = []
    template = _parse(packets.get("template"))
    if template is not None:
        for el in template.iter():
            if _local(el.tag) in ("caption", "value", "draw"):
                for t in el.iter():
                    if _local(t.tag) in ("text", "exData"):  # never <image>: base64 logos
                        lines.append(" ".join(" ".join(t.itertext()).split()))
    datasets = _parse(packets.get("datasets"))
    if datasets is not None:
        data = next((c for c in datasets if _local(c.tag) == "data"), datasets)
        lines += [
            " ".join(e.text.split())
            for e in data.iter()
            if len(e) == 0 and e.text and e.text.strip() and e.text.strip().lower() not in ("true", "false")
        ]
    return [line for line in dict.fromkeys(lines) if len(line) > 1]


def _packets(doc: pymupdf.Document) -> dict[str, bytes]:
    try:
        kind, value = doc.xref_get_key(doc.pdf_catalog(), "AcroForm/XFA")
        if kind == "xref":
            return {"xdp": doc.xref_stream(int(value.split()[0]))}
        if kind != "array":
            return {}
        return {name: doc.xref_stream(int(xref)) for name, xref in re.findall(r"\((.*?)\)\s*(\d+)\s+0\s+R", value)}
    except Exception:
        return {}


def _parse(data: bytes | None):
    if not data or len(data) > MAX_PACKET:
        return None
    try:  # forms in the wild hold bare '&' (not well-formed XML); escape it rather than lose the packet
        return ET.fromstring(re.sub(rb"&(?!#?\w+;)", b"&amp;", data))
    except ET.ParseError:
        return None


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
