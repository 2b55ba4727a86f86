"""``workbench bench`` (exact MaxSim on every executor), ``bench-scale`` (staged plans at 10^5–10^6
passages) and ``bench-ingest`` (an index grown through the real ingest path)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .terminal import UsageError


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``bench``, ``bench-scale`` and ``bench-ingest`` subcommands."""
    p = sub.add_parser("bench", help="exact MaxSim on every executor, side by side in one process")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--index", help="benchmark on this index's passages")
    src.add_argument("--synthetic", type=int, default=2000, help="N random passages (default 2000)")
    p.add_argument("--tokens", type=int, default=128, help="tokens per synthetic passage")
    p.add_argument("--query-vectors", type=int, default=32)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--no-peers", action="store_true", help="skip the torch and PyLate peers")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("bench-scale", help="staged plans vs exhaustive exact MaxSim on 10^5-10^6 passages")
    p.add_argument("--passages", type=int, default=100_000)
    p.add_argument(
        "--source",
        choices=("synthetic", "text"),
        default="synthetic",
        help="synthetic clustered vectors, or the demo text encoded and replicated to size",
    )
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--n-probe", type=int, default=8)
    p.add_argument("--candidate-k", type=int, default=256)
    p.add_argument("--centroids", type=int, default=0, help="k-means centroids (0: about 4·√tokens)")
    p.add_argument(
        "--exhaustive-queries",
        type=int,
        default=0,
        help="queries that time the exhaustive plan (0 = all; its ground truth always uses all)",
    )
    p.add_argument("--data", help="keep the generated vectors in this folder and reuse them next time")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench_scale)

    p = sub.add_parser(
        "bench-ingest",
        help="grow an index through the real ingest path and measure it "
        "(throughput, write amplification, adding a PDF, searches during merges)",
    )
    p.add_argument("--passages", type=int, default=100_000)
    p.add_argument("--batches", type=int, default=100, help="ingests the passages arrive in (default 100)")
    p.add_argument(
        "--probe-at",
        default="10000,100000,1000000",
        metavar="N,N,…",
        help="sizes at which to add a 20-page PDF and search during a full merge",
    )
    p.add_argument("--work", help="folder for the index and corpus (default: a new temporary folder)")
    p.add_argument(
        "--max-centroids", type=int, default=0, help="cap the index's centroid count (0: about 4·√tokens, as any index)"
    )
    p.add_argument(
        "--real-encoder",
        action="store_true",
        help="encode with the model (default: a table of the model's vectors for the same words)",
    )
    p.add_argument("--queries", type=int, default=30, help="queries per search measurement (0: none)")
    p.add_argument(
        "--drop-caches",
        action="store_true",
        help="drop the kernel's page cache before the cold searches (Linux, as root; otherwise says it could not)",
    )
    p.add_argument("--keep", action="store_true", help="keep the index afterwards")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench_ingest)


def cmd_bench(args: argparse.Namespace) -> int:
    """Time exact MaxSim on each executor over an index's passages or synthetic ones; print the report."""
    from ..measure.exact_bench import format_report, run_bench, synthetic_index

    if args.index:
        from ..collection import Collection

        index = Collection.open(args.index, read_only=True).late_index()
    else:
        index = synthetic_index(args.synthetic, args.tokens)
    report = run_bench(index, args.query_vectors, args.repeats, peers=not args.no_peers)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def cmd_bench_scale(args: argparse.Namespace) -> int:
    """Staged plans against exhaustive exact MaxSim on generated data; progress goes to stderr with ``--json``."""
    import tempfile

    from ..measure.scale_bench import format_scale_report, run_scale_bench
    from ..measure.scale_data import load_or_make

    if args.passages < 1000:
        raise UsageError("--passages must be at least 1000")
    say = (lambda m: print(m, file=sys.stderr)) if args.json else print
    with tempfile.TemporaryDirectory(prefix="kayak-scale-") as tmp:
        folder = Path(args.data) if args.data else Path(tmp)
        data = load_or_make(args.source, args.passages, folder, args.queries, progress=say)
        report = run_scale_bench(
            data,
            args.n_probe,
            args.candidate_k,
            args.centroids,
            exhaustive_queries=args.exhaustive_queries,
            cache=Path(args.data) if args.data else None,
            progress=say,
        )
    print(json.dumps(report, indent=2) if args.json else format_scale_report(report))
    return 0


def cmd_bench_ingest(args: argparse.Namespace) -> int:
    """Grow an index through the real ingest path and measure it (``--probe-at``: sizes, comma-separated)."""
    from ..measure.ingest_bench import run

    try:
        args.probe_at = [int(x) for x in args.probe_at.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--probe-at takes sizes separated by commas, not {args.probe_at!r}") from None
    return run(args)
