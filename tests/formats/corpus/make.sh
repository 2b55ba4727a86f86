#!/usr/bin/env bash
# Rebuild this folder's test files from its three sources (field-guide.md, slides.md, tides.fods) with the
# authoring tools that write these formats for real: pandoc 2.17, LibreOffice 7.4 and calibre 6.13 from
# Debian 12 (apt-get install pandoc libreoffice-writer-nogui libreoffice-calc-nogui
# libreoffice-impress-nogui calibre), and MuPDF (PyMuPDF) for the comic-book archive. Not run by the tests
# or CI: the files it wrote are committed (SOURCES.md lists them).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-../../../.venv/bin/python}
office() { soffice --headless --convert-to "$1" --outdir . "$2" >/dev/null 2>&1; }

pandoc field-guide.md -s -o field-guide.epub                  # EPUB 3, one chapter per heading
pandoc field-guide.md -s -t epub2 -o field-guide-epub2.epub
pandoc field-guide.md -s -o field-guide.fb2
pandoc field-guide.md -s -o field-guide.odt
pandoc field-guide.md -s -o field-guide.rtf
pandoc field-guide.md -s -o field-guide.html
office docx field-guide.odt                                    # a DOCX written by LibreOffice
ebook-convert field-guide.epub field-guide.mobi >/dev/null 2>&1
pandoc slides.md -o slides.pptx                                # speaker notes from the ::: notes block
office odp slides.pptx
office xlsx tides.fods
office ods tides.fods
# A comic-book archive: page images only (no text layer, so they are read by OCR), rendered by MuPDF at
# 120 dpi and zipped in reading order, as comic tools pack scans.
"$PY" - <<'PYEOF'
import zipfile
import pymupdf
book = pymupdf.open("field-guide.epub")
with zipfile.ZipFile("scanned-guide.cbz", "w", zipfile.ZIP_STORED) as cbz:
    for i, page in enumerate(list(book)[:2]):
        cbz.writestr(f"page{i + 1:02d}.png", page.get_pixmap(dpi=120, colorspace=pymupdf.csGRAY).tobytes("png"))
PYEOF
# Plain text in legacy encodings, converted by iconv from UTF-8 sources (what an old editor saved).
iconv -f UTF-8 -t CP1252 notes-utf8.txt > notes-cp1252.txt
iconv -f UTF-8 -t UTF-16 notes-utf8.txt > notes-utf16.txt          # with a byte order mark
iconv -f UTF-8 -t SHIFT_JIS notes-ja-utf8.txt > notes-shift_jis.txt
iconv -f UTF-8 -t KOI8-R notes-ru-utf8.txt > notes-koi8r.txt
# Mail written by Python's email package (the MIME generator mail tools share): a message with the guide's
# DOCX and a PNG attached, and a three-message mailbox (an HTML-only body, a quoted-printable Latin-1 one).
"$PY" - <<'PYEOF'
import mailbox
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone

def message(n, subject, sender, body, html=False, charset="utf-8"):
    m = EmailMessage()
    m["Subject"], m["From"], m["To"] = subject, sender, "Crew <crew@harbour.example>"
    m["Date"] = format_datetime(datetime(2024, 3, n, 9, 30, tzinfo=timezone.utc))
    m["Message-ID"] = f"<harbour-{n}@harbour.example>"
    m.set_content(body, subtype="html" if html else "plain", charset=charset, cte="quoted-printable")
    return m

m = message(1, "Tide tables for March", "Ann Lee <ann@harbour.example>", "The guide is attached; read the knots chapter.")
with open("field-guide.docx", "rb") as fh:
    m.add_attachment(fh.read(), maintype="application", subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="field-guide.docx")
with open("scanned-guide.cbz", "rb") as fh:
    import zipfile, io
    png = zipfile.ZipFile(io.BytesIO(fh.read())).read("page01.png")
m.add_attachment(png, maintype="image", subtype="png", filename="cover.png")
open("harbour.eml", "wb").write(bytes(m))
import os
if os.path.exists("harbour.mbox"):
    os.remove("harbour.mbox")  # mailbox.mbox appends to a file that is there
box = mailbox.mbox("harbour.mbox", create=True)
box.add(message(2, "Gale warning", "Harbour master <master@harbour.example>", "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p>A gale is expected tonight; double the mooring lines.</p></body></html>", html=True))
box.add(message(3, "Réunion à l'écluse", "Zoé Martin <zoe@harbour.example>", "La réunion des éclusiers aura lieu jeudi à l'aube.", charset="iso-8859-1"))
box.add(message(4, "Re: Gale warning", "Ann Lee <ann@harbour.example>", "Lines doubled on every boat at the north quay."))
box.flush()
box.close()
PYEOF
# Malformed copies: each file cut in half, as an interrupted download or copy leaves it.
for f in field-guide.epub field-guide.fb2 field-guide.mobi field-guide.docx field-guide.odt field-guide.rtf \
         slides.pptx slides.odp tides.xlsx tides.ods scanned-guide.cbz harbour.eml harbour.mbox notes-shift_jis.txt; do
  size=$(stat -c %s "$f")
  head -c $((size / 2)) "$f" > "truncated-$f"
done
