"""``workbench``: headless commands over the same SDK the GUI uses.

Exit codes: 0 success; 1 the command ran but something failed (a file not indexed, an index that
cannot be opened); 2 the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..core import BackendUnavailable
from . import app, bench, demo, evaluate, info, ingest, search, tier
from .terminal import UsageError

# in the order ``workbench --help`` lists the subcommands
COMMAND_GROUPS = (ingest, search, info, tier, demo, bench, app, evaluate)


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` names (default: ``sys.argv[1:]``) and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        sys.stderr.close()
        return 0
    except (ValueError, KeyError, BackendUnavailable, RuntimeError, OSError) as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("workbench: interrupted; everything committed before now is kept", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The ``workbench`` parser: each command group adds its subcommands (``func`` runs the command)."""
    parser = argparse.ArgumentParser(prog="workbench", description="Late-interaction search over your files.")
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers()
    for group in COMMAND_GROUPS:
        group.add_parsers(sub)
    return parser
