"""Ingest of the field PDFs: what each file yields, and whether a question per file finds its page.

    .venv/bin/python benchmarks/field.py [--field ../shared/field] [--json]

Every PDF of the folder is ingested, one file at a time, into a fresh temporary index through the SDK.
Per file: status, passages, share of its characters the encoder keeps (1 − unrepresented share), OCR
seconds, the reason it was not indexed or its notes, and the rank (in the top 3) of its expected page
for one question under the hybrid plan (proxy 100 + BM25 100, all vectors) and the exhaustive plan.
Files that must fail have no question. A query without vectors (Thai) cannot run exhaustively.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from workbench.collection import Collection
from workbench.core import exhaustive_search_plan, hybrid_search_plan

# file -> (question, expected 1-based page); the files that must fail have none
QUESTIONS = {
    "naacl06-shinyama.pdf": ("how do they alleviate Bush and Katrina ending up in the same column", 3),
    "multilang.pdf": ("สวัสดี", 1),
    "XiaoBiaoSong.pdf": ("山西的游击战", 1),
    "hello_world_rotated.pdf": ("hello world", 1),
    "Pages-tree-refs.pdf": ("test case with a page tree loop", 1),
    "issue4304.pdf": ("words that need spaces between them", 1),
    "xfa_filled_imm1344e.pdf": ("how many years does the undertaking last for a sponsored spouse", 1),
    "encrypted-attachment.pdf": ("an example", 1),
    "pagelabels.pdf": ("where does the third section start", 3),
    "image-file1.pdf": ("never look back", 1),
    "copy_paste_ligatures.pdf": ("abcdeffffiflffifflststghijklmno", 1),
}
MUST_FAIL = {"bug1020226.pdf", "poppler-67295-0.pdf", "textfields.pdf", "type3font.pdf", "password-example.pdf"}


def short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def rank_of(coll: Collection, question: str, plan, name: str, page: int) -> str:
    """1-based rank of the file's expected page in the top hits, "—" when absent."""
    try:
        hits = coll.search(question, plan).hits
    except ValueError:
        return "no vectors"
    return next((str(n) for n, h in enumerate(hits, 1) if Path(h.path).name == name and h.page == page), "—")


def run(field: Path) -> tuple[list[dict], dict]:
    rows, ingest_s = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        coll = Collection.open(Path(tmp) / "idx", create=True)
        for path in sorted(field.glob("*.pdf")):
            start = time.monotonic()
            events = [ev for ev in coll.iter_ingest([path]) if ev.status in ("indexed", "failed")]
            ingest_s += time.monotonic() - start
            ev = events[-1]
            rows.append(
                {
                    "file": path.name,
                    "status": ev.status,
                    "passages": ev.passages,
                    "ocr_seconds": round(ev.ocr_seconds, 2),
                    "note": ev.message if ev.status != "indexed" else "; ".join(ev.notes),
                    "must_fail": path.name in MUST_FAIL,
                }
            )
        kept = {Path(d.path).name: 1 - d.unrepresented_share for d in coll.documents() if d.status == "indexed"}
        hybrid = hybrid_search_plan(
            final_k=3, candidate_k=100, lexical_k=100, query_vector_budget=0, document_vector_budget=0
        )
        exhaustive = exhaustive_search_plan(final_k=3)
        for row in rows:
            row["kept"] = round(kept[row["file"]], 3) if row["file"] in kept else None
            question, page = QUESTIONS.get(row["file"], (None, None))
            row["question"], row["page"] = question, page
            row["hybrid_rank"] = rank_of(coll, question, hybrid, row["file"], page) if question else None
            row["exhaustive_rank"] = rank_of(coll, question, exhaustive, row["file"], page) if question else None
    found = lambda key: sum(1 for r in rows if (r[key] or "").isdigit())  # noqa: E731
    summary = {
        "indexed": sum(r["status"] == "indexed" for r in rows),
        "failed": sum(r["status"] == "failed" for r in rows),
        "unexpected": [r["file"] for r in rows if r["must_fail"] != (r["status"] == "failed")],
        "questions": sum(r["question"] is not None for r in rows),
        "found_hybrid": found("hybrid_rank"),
        "found_exhaustive": found("exhaustive_rank"),
        "ingest_seconds": round(ingest_s, 1),
        "ocr_seconds": round(sum(r["ocr_seconds"] for r in rows), 1),
    }
    return rows, summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--field", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "field")
    ap.add_argument("--json", action="store_true", help="print the rows (and the summary) as JSON")
    args = ap.parse_args()
    rows, summary = run(args.field)
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=2, ensure_ascii=False))
        return 0
    print(
        f"\n{'file':<26}{'status':<9}{'passages':>9}{'kept':>7}{'OCR s':>7}  {'hybrid':<12}{'exhaustive':<12}"
        "reason / notes"
    )
    for r in rows:
        kept = "—" if r["kept"] is None else f"{r['kept']:.0%}"
        ranks = [
            "—" if r["question"] is None else ("no" if x == "—" else x if x == "no vectors" else f"yes ({x})")
            for x in (r["hybrid_rank"], r["exhaustive_rank"])
        ]
        print(
            f"{r['file']:<26}{r['status']:<9}{r['passages']:>9}{kept:>7}{r['ocr_seconds']:>7.1f}  "
            f"{ranks[0]:<12}{ranks[1]:<12}{short(r['note'])}"
        )
    s = summary
    print(
        f"\n{s['indexed']} indexed, {s['failed']} failed; questions found in top 3: hybrid "
        f"{s['found_hybrid']}/{s['questions']}, exhaustive {s['found_exhaustive']}/{s['questions']}; "
        f"ingest {s['ingest_seconds']} s, OCR {s['ocr_seconds']} s; "
        f"unexpected status: {', '.join(s['unexpected']) or 'none'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
