"""``workbench demo``: index the built-in demo collection and run a search on it."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..demo import DEMO_QUERY
from . import ingest, search


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``demo`` subcommand."""
    p = sub.add_parser("demo", help="index the built-in demo collection and run a search on it")
    p.add_argument("--index", default=None, help="where the demo index goes (default: your data folder)")
    p.add_argument("--query", default=DEMO_QUERY)
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo PDFs, ingest them into ``--index`` (default: the data folder) and search ``--query``."""
    from ..demo import build_demo_pdfs, demo_index_dir, describe_demo

    index = Path(args.index) if args.index else demo_index_dir()
    pdfs = build_demo_pdfs(index.parent / "demo-pdfs")
    print(f"demo collection: {describe_demo(pdfs)}; index {index}")
    # through the parser, so the demo's ingest has every option's default (a hand-made Namespace fell behind)
    status = ingest.cmd_ingest(_parse(["ingest", *[str(p) for p in pdfs], "--index", str(index)]))
    print(f"\nquery: {args.query!r} (auto plan; try 'workbench search --index {index} ...')\n")
    return status or search.cmd_search(_parse(["search", args.query, "--index", str(index)]))


def _parse(argv: list[str]) -> argparse.Namespace:
    """``argv`` read by the very ``ingest`` and ``search`` subparsers ``workbench`` has (the whole parser
    cannot be built here: it is assembled from this module)."""
    parser = argparse.ArgumentParser(prog="workbench")
    sub = parser.add_subparsers()
    ingest.add_parsers(sub)
    search.add_parsers(sub)
    return parser.parse_args(argv)
