"""``workbench gui``: the desktop window — the only place that imports :mod:`workbench.gui`."""

from __future__ import annotations

import argparse


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``gui`` subcommand."""
    p = sub.add_parser("gui", help="the desktop workbench (default: the demo collection on first run)")
    p.add_argument("--index", default=None, help="index folder to open (created if missing)")
    p.add_argument("--query", default=None, help="search this once the index is ready")
    p.add_argument("--screenshot", default=None, help="save a PNG of the window after the search, then exit")
    p.add_argument("--compare", action="store_true", help="with --screenshot: show the backend comparison")
    p.set_defaults(func=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    """Open the window (Qt loads only now, so the headless commands never pay for it)."""
    from ..gui.app import run_gui

    return run_gui(args.index, args.query, args.screenshot, args.compare)
