"""``workbench info`` (describe an index and the available backends) and ``workbench remove``."""

from __future__ import annotations

import argparse
import json
import sys

from ..core import available_backends
from .terminal import one_line, warn


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``info`` and ``remove`` subcommands."""
    p = sub.add_parser("info", help="describe an index and the available backends")
    p.add_argument("--index", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("remove", help="remove files (or folders) from an index")
    p.add_argument("paths", nargs="+")
    p.add_argument("--index", required=True)
    p.set_defaults(func=cmd_remove)


def cmd_info(args: argparse.Namespace) -> int:
    """Print the index's facts, its centroids, the backends and every document (or all of it as JSON)."""
    from ..collection import Collection

    coll = Collection.open(args.index, read_only=True)
    info = coll.info()
    info["backends"] = {k: {"available": ok, "detail": why} for k, (ok, why) in available_backends().items()}
    if args.json:
        info["documents_list"] = [
            {
                "id": d.id,
                "path": d.path,
                "status": d.status,
                "pages": d.pages,
                "passages": d.passages,
                "error": d.error,
                "notes": list(d.notes),
                "unrepresented_share": round(d.unrepresented_share, 4),
            }
            for d in coll.documents()
        ]
        print(json.dumps(info, indent=2))
        return 0
    for key in (
        "index",
        "format_version",
        "model",
        "encoder",
        "encoder_checksum",
        "dim",
        "storage_tier",
        "dtype",
        "documents",
        "failed",
        "passages",
        "vectors",
        "segments",
        "disk_bytes",
        "bytes_per_vector",
    ):
        kept = (
            " + exact (float16 vectors kept: search --tier exact)"
            if key == "storage_tier" and info["keeps_exact_vectors"]
            else ""
        )
        print(f"{key:<18}{info[key]}{kept}")
    c = info["centroids"]
    print(
        f"{'centroids':<18}"
        + (
            f"{c['count']:,} (trained on {c['trained_on_vectors']:,} vectors, mean cosine "
            f"{c['mean_cosine_at_training']:.3f})"
            if c
            else "none (built on first centroid search)"
        )
    )
    if c:
        print(f"{'bytes per token':<18}" + ", ".join(f"{k} {v}" for k, v in info["bytes_per_token"].items()))
    for name, b in info["backends"].items():
        print(f"{'backend':<18}{name}: {'available' if b['available'] else 'unavailable'} — {b['detail']}")
    for d in coll.documents():
        line = f"  [{d.status}] #{d.id} {one_line(d.path)} — {d.pages} pages, {d.passages} passages"
        print(line + (f" — {one_line(d.error)}" if d.error else ""))
        for note in d.notes:
            print(f"      note: {one_line(note)}")
    warn(coll)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Remove the files (or the files under folders) ``args.paths`` names; exit code 1 when none was indexed."""
    from ..collection import Collection

    coll = Collection.open(args.index)
    removed = coll.remove(args.paths)
    for path, n in removed.items():
        print(f"removed {one_line(path)} ({n} passages)")
    if not removed:
        print("nothing removed: no indexed file matches those paths", file=sys.stderr)
        return 1
    return 0
