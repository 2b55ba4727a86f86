"""Storage tiers on the command line: ``--tier`` when an index is created, and ``workbench compact`` to
convert an index from one tier to another in place (:mod:`workbench.store.tiers`)."""

from __future__ import annotations

import argparse
import sys

from ..store.tiers import DEFAULT_TIER, TIERS
from .terminal import UsageError

TIER_HELP = (
    "how a new index keeps its token vectors: exact (float16, 256 bytes per token), compact-4 or compact-2 "
    "(a centroid code and 4- or 2-bit residuals: 68 or 36 bytes; MaxSim over the compressed vectors). "
    f"Default: {DEFAULT_TIER}. An existing index keeps its tier: convert it with 'workbench compact'"
)


def add_tier_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tier", choices=list(TIERS), default=None, help=TIER_HELP)


def open_for_writing(args: argparse.Namespace):  # -> Collection (imported late: the CLI starts fast)
    """The index ``args.index`` for writing, created in ``args.tier`` (default :data:`DEFAULT_TIER`) when missing; a
    ``--tier`` other than an existing index's is a usage error (converting is its own command)."""
    from ..collection import Collection

    coll = Collection.open(
        args.index,
        model=args.model,
        create=True,
        trust_remote_code=args.trust_remote_code,
        tier=args.tier or DEFAULT_TIER,
    )
    if args.tier and coll.store.tier != args.tier:
        raise UsageError(
            f"{args.index} keeps its vectors in the {coll.store.tier} tier, not {args.tier}; convert it with "
            f"'workbench compact --index {args.index} --tier {args.tier}'"
        )
    return coll


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``compact`` subcommand."""
    p = sub.add_parser("compact", help="convert an index to another storage tier, in place")
    p.add_argument("--index", required=True)
    p.add_argument(
        "--tier", choices=list(TIERS), default="compact-4", help="the tier to convert to (default compact-4)"
    )
    p.set_defaults(func=cmd_compact)


def cmd_compact(args: argparse.Namespace) -> int:
    """Convert ``args.index`` to ``args.tier``, one line per rewritten segment; Ctrl+C keeps the old index."""
    from ..collection import Collection
    from ..store.compaction import convert_tier

    coll = Collection.open(args.index)
    before = coll.store.tier
    if before == args.tier:
        print(f"{args.index} already keeps its vectors in the {before} tier")
        return 0
    disk = coll.store.disk_bytes()

    def progress(done: int, total: int) -> None:
        print(f"rewriting segments: {done}/{total}", file=sys.stderr, flush=True)

    with coll.store.writer():
        rewritten = convert_tier(coll.store, args.tier, progress)
    after = coll.store.disk_bytes()
    print(
        f"{args.index}: {before} → {args.tier}; {rewritten} segments rewritten; "
        f"{disk / 2**20:,.1f} MB → {after / 2**20:,.1f} MB on disk"
    )
    return 0
