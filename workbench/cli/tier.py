"""Storage tiers on the command line: ``--tier`` when an index is created, and ``workbench compact`` to
convert an index from one tier to another in place (:mod:`workbench.store.tiers`)."""

from __future__ import annotations

import argparse
import sys

from ..store.tiers import DEFAULT_TIER, EXACT, TIERS
from .terminal import UsageError

TIER_HELP = (
    "how a new index keeps its token vectors: exact (float16, 256 bytes per token), compact-4 or compact-2 "
    "(a centroid code and 4- or 2-bit residuals: 68 or 36 bytes; MaxSim over the compressed vectors). "
    f"Default: {DEFAULT_TIER}. An existing index keeps its tier: convert it with 'workbench compact'"
)


KEEP_EXACT_HELP = (
    "with a compact tier: keep the float16 vectors too (256 more bytes per token), so one query can be scored on "
    "both tiers ('workbench search --tier exact', the window's Compare tab); searches score the compressed vectors"
)


def add_tier_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tier", choices=list(TIERS), default=None, help=TIER_HELP)
    p.add_argument("--keep-exact", action="store_true", help=KEEP_EXACT_HELP)


def open_for_writing(args: argparse.Namespace):  # -> Collection (imported late: the CLI starts fast)
    """The index ``args.index`` for writing, created in ``args.tier`` (default :data:`DEFAULT_TIER`) when missing; a
    ``--tier`` other than an existing index's is a usage error (converting is its own command)."""
    from ..collection import Collection

    tier = args.tier or DEFAULT_TIER
    if args.keep_exact and tier == EXACT:
        raise UsageError(
            "--keep-exact goes with a compact tier (compact-4 or compact-2): the exact tier keeps them anyway"
        )
    coll = Collection.open(
        args.index,
        model=args.model,
        create=True,
        trust_remote_code=args.trust_remote_code,
        tier=tier,
        keep_exact=args.keep_exact,
    )
    if (args.tier and coll.store.tier != args.tier) or (args.keep_exact and not coll.store.keeps_exact):
        keep = " --keep-exact" if args.keep_exact else ""
        have = coll.store.tier + (" tier, with its exact vectors" if coll.store.keeps_exact else " tier")
        raise UsageError(
            f"{args.index} keeps its vectors in the {have}, not as asked; convert it with "
            f"'workbench compact --index {args.index} --tier {tier}{keep}'"
        )
    return coll


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``compact`` subcommand."""
    p = sub.add_parser(
        "compact", help="convert an index to another storage tier, in place (or --merge its segments into one)"
    )
    p.add_argument("--index", required=True)
    p.add_argument("--tier", choices=list(TIERS), default=None, help="the tier to convert to (default compact-4)")
    p.add_argument("--keep-exact", action="store_true", help=KEEP_EXACT_HELP)
    p.add_argument(
        "--merge",
        action="store_true",
        help="merge every segment into one, dropping removed passages for good (the tier stays)",
    )
    p.set_defaults(func=cmd_compact)


def cmd_compact(args: argparse.Namespace) -> int:
    """Convert ``args.index`` to ``args.tier``, one line per rewritten segment; Ctrl+C keeps the old index."""
    from ..collection import Collection
    from ..store.compaction import convert_tier

    if args.merge:
        if args.tier or args.keep_exact:
            raise UsageError("--merge keeps the tier: give it alone, or convert with --tier first")
        return _merge_all(Collection.open(args.index), args.index)
    args.tier = args.tier or "compact-4"
    if args.keep_exact and args.tier == EXACT:
        raise UsageError("--keep-exact goes with a compact tier (compact-4 or compact-2)")
    coll = Collection.open(args.index)
    before = _described(coll.store.tier, coll.store.keeps_exact)
    target = _described(args.tier, args.keep_exact)
    if before == target:
        print(f"{args.index} already keeps its vectors in the {before} tier")
        return 0
    disk = coll.store.disk_bytes()

    def progress(done: int, total: int) -> None:
        print(f"rewriting segments: {done}/{total}", file=sys.stderr, flush=True)

    with coll.store.writer():
        rewritten = convert_tier(coll.store, args.tier, progress, keep_exact=args.keep_exact)
    after = coll.store.disk_bytes()
    print(
        f"{args.index}: {before} → {target}; {rewritten} segments rewritten; "
        f"{disk / 2**20:,.1f} MB → {after / 2**20:,.1f} MB on disk"
    )
    return 0


def _merge_all(coll, index: str) -> int:  # coll: a Collection (imported late)
    """``compact --merge``: every segment into one (a full merge, as Lucene's force-merge), one line said."""
    disk = coll.store.disk_bytes()
    with coll.store.writer():
        segments = len(coll.store.segment_stats())
        coll.store.compact()
    print(
        f"{index}: {segments} segment{'s' if segments != 1 else ''} merged into one; "
        f"{disk / 2**20:,.1f} MB → {coll.store.disk_bytes() / 2**20:,.1f} MB on disk"
    )
    return 0


def _described(tier: str, keeps_exact: bool) -> str:
    return tier + (" (+ exact vectors)" if keeps_exact else "")
