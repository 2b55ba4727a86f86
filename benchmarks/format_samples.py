"""Every file under a folder read by ingest's parser, one line each: what it gave (pages, passages, the
first locations, notes) or the plain reason it was refused, with the time and the process's peak memory
so far — to check the readers on sample files that may not be committed here (the readers' own test
suites, a user's bug report).

    .venv/bin/python benchmarks/format_samples.py DIR [--json]

A crash (any exception other than the readers' ``IngestError``) is printed with its type and counted:
the goal is none. Exits 1 when there was one.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from workbench.ingest import IngestError, is_supported, parse_file


def read_one(path: Path) -> dict:
    """What parsing ``path`` gave: ``status`` (read, refused, crashed) and its facts."""
    started = time.perf_counter()
    out: dict = {"file": str(path)}
    try:
        parsed = parse_file(path, max_tokens=200)
        found = list(parsed.passages)
        locations = list(dict.fromkeys(p.location for p in found if p.location))
        out.update(
            status="read",
            pages=parsed.pages,
            passages=len(found),
            records=len({p.source_key for p in found if p.source_key}),
            locations=locations[:4] + ([f"… {len(locations) - 4} more"] if len(locations) > 4 else []),
            notes=parsed.notes,
            first_words=found[0].text[:60] if found else "",
        )
    except IngestError as exc:
        out.update(status="refused", reason=str(exc))
    except Exception as exc:  # what a reader let through: the thing this script exists to find
        out.update(status="crashed", reason=f"{type(exc).__name__}: {exc}")
    out["seconds"] = round(time.perf_counter() - started, 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    files = sorted(p for p in args.folder.rglob("*") if p.is_file() and is_supported(p) and p.suffix != ".md")
    results = [read_one(p) for p in files]
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        for r in results:
            name = str(Path(r["file"]).relative_to(args.folder))
            if r["status"] == "read":
                facts = f"{r['pages']} pages, {r['passages']} passages" + (
                    f", {r['records']} records" if r["records"] else ""
                )
                where = f"; at {', '.join(r['locations'])}" if r["locations"] else ""
                notes = f"; notes: {' | '.join(r['notes'])}" if r["notes"] else ""
                print(f"{name}: read — {facts}{where}{notes} ({r['seconds']} s)")
            else:
                print(f"{name}: {r['status'].upper()} — {r['reason']} ({r['seconds']} s)")
    counts = {s: sum(r["status"] == s for r in results) for s in ("read", "refused", "crashed")}
    print(
        f"{len(results)} files: {counts['read']} read, {counts['refused']} refused in plain words, "
        f"{counts['crashed']} crashed; peak RSS {max((r['peak_rss_mb'] for r in results), default=0):,} MB",
        file=sys.stderr,
    )
    return 1 if counts["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
