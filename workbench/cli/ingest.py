"""``workbench ingest`` (index files once, optionally on Ray workers) and ``workbench watch`` (keep an
index current as folders change)."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import closing
from pathlib import Path

from .terminal import UsageError, one_line
from .tier import add_tier_option, open_for_writing

STOP_WAIT_S = 10.0  # Ctrl+C waits this long for background maintenance to stop (a kill is safe too)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``ingest`` and ``watch`` subcommands."""
    p = sub.add_parser("ingest", help="index PDFs, text/Markdown files, BEIR corpus.jsonl, or folders")
    p.add_argument("paths", nargs="+")
    p.add_argument("--index", required=True, help="index folder (created if missing)")
    p.add_argument("--model", default=None, help="ColBERT checkpoint folder or hub id (default: built-in)")
    p.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="let the model run Python code of its own (modules.json classes, auto_map); only for "
        "models whose authors you trust",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tier_option(p)
    p.add_argument(
        "--no-ocr", action="store_true", help="do not OCR pages without usable text (image-only, undecodable fonts)"
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="parse and encode on Ray workers (the cluster extra); this process stays the only "
        "writer. No ADDRESS: join the cluster this machine runs, else start a local one; "
        "'auto': join it or fail; 'local': start a local one; 'ray://HOST:10001' or "
        "'HOST:6379': a remote cluster",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Ray workers to start, one encoder each (default: the cluster's CPUs / --cpus-per-worker)",
    )
    p.add_argument("--cpus-per-worker", type=float, default=1.0, help="CPUs (torch threads) per Ray worker (default 1)")
    p.add_argument(
        "--gpus-per-worker",
        type=float,
        default=0.0,
        help="GPUs per Ray worker; above 0 the encoder runs on CUDA there (default 0)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser(
        "watch",
        help="keep an index current as files in folders are added, changed, renamed "
        "or removed (the folders are remembered by the index)",
    )
    p.add_argument("paths", nargs="*", help="folders to start watching (none: those the index already watches)")
    p.add_argument("--index", required=True, help="index folder (created if missing)")
    p.add_argument("--model", default=None, help="ColBERT checkpoint folder or hub id (default: built-in)")
    p.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="let the model run Python code of its own; only for models whose authors you trust",
    )
    p.add_argument("--no-ocr", action="store_true", help="do not OCR pages without usable text")
    add_tier_option(p)
    p.add_argument(
        "--for",
        dest="for_seconds",
        type=float,
        default=0,
        metavar="SECONDS",
        help="stop after this long (default: run until Ctrl+C)",
    )
    p.set_defaults(func=cmd_watch)


def cmd_ingest(args: argparse.Namespace) -> int:
    """Index ``args.paths`` with a progress bar, one line per failure or note, and a summary; exit code
    1 when a file failed."""
    from tqdm import tqdm

    from ..collection.ingest_times import format_eta

    encoding = _ray_encoding(args)
    coll = open_for_writing(args)
    coll.ocr = not args.no_ocr
    failed = indexed = unchanged = renamed = passages = 0
    ocr_seconds = 0.0
    bar = tqdm(total=None, unit="file", disable=True if args.quiet else None, dynamic_ncols=True, file=sys.stderr)
    for ev in coll.iter_ingest(args.paths, encoding=encoding):
        bar.total = ev.total
        bar.set_postfix_str(
            one_line(Path(ev.path).name[:40])
            + (f" ({ev.message})" if ev.status == "encoding" else "")
            + (f" — {ev.rate:.1f} passages/s" if ev.rate else "")
            + (f", {format_eta(ev.eta_s)}" if ev.eta_s is not None else "")
        )
        if ev.status == "committed" and encoding is None:
            coll.release_encoder()  # every passage is in: merges and centroid training need the memory more
        if ev.status in ("encoding", "committed"):
            continue
        line = _event_line(ev)
        if line is not None:
            bar.write(line)
        if ev.status in ("centroids", "merging", "lost", "workers", "retrying"):  # not one more file done
            continue
        bar.update(ev.done - bar.n)
        if ev.status == "failed":
            failed += 1
        elif ev.status == "renamed":
            renamed += 1
        elif ev.status == "indexed":
            indexed += 1
            passages += ev.passages
            ocr_seconds += ev.ocr_seconds
            for note in ev.notes:
                bar.write(f"note: {one_line(ev.path)}: {one_line(note)}")
        elif ev.status == "unchanged":
            unchanged += 1
    bar.close()
    print(
        f"{indexed} indexed ({passages} passages), {unchanged} unchanged, "
        + (f"{renamed} renamed, " if renamed else "")
        + f"{failed} failed; "
        f"index {args.index} holds {coll.store.catalog.counts()['passages']} passages"
        + (f"; OCR took {ocr_seconds:.1f} s" if ocr_seconds else "")
    )
    if passages:
        print(f"throughput: {coll.ingest_times.summary()}")
    return 1 if failed else 0


def _ray_encoding(args: argparse.Namespace):
    """The Ray pool ``--ray`` asks for (``None``: encode in this process); Ray is checked for before the
    index is opened, so a missing extra costs nothing."""
    if args.ray is None:
        if (args.workers, args.cpus_per_worker, args.gpus_per_worker) != (None, 1.0, 0.0):
            raise UsageError("--workers, --cpus-per-worker and --gpus-per-worker go with --ray")
        return None
    from ..cluster import require
    from ..cluster.ray_ingest import RayEncoding

    require("ray", "distributed ingest (--ray)")
    return RayEncoding(args.ray or None, args.workers, args.cpus_per_worker, args.gpus_per_worker)


def cmd_watch(args: argparse.Namespace) -> int:
    """Follow folders: catch up with changes made while nobody watched, then index changes as they
    happen until Ctrl+C (or ``--for`` seconds)."""
    from ..collection.watch import FolderWatcher, sync_events

    coll = open_for_writing(args)
    coll.ocr = not args.no_ocr
    coll.merge_in_background = True  # a change is indexed while an earlier change's merge runs
    try:
        folders = coll.set_watched(args.paths) if args.paths else coll.watched_folders()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not folders:
        raise UsageError(f"{args.index} watches no folder yet: name one, 'workbench watch FOLDER --index {args.index}'")
    print("watching " + ", ".join(one_line(str(f)) for f in folders) + " (Ctrl+C stops)", flush=True)
    _print_events(coll.iter_rescan())
    watcher = FolderWatcher(folders)
    watcher.start()
    deadline = time.monotonic() + args.for_seconds if args.for_seconds else None
    try:
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
            if batch := watcher.due():
                _print_events(sync_events(coll, watcher, batch))
        coll.wait_for_maintenance()
    finally:
        watcher.stop()
        coll.stop_maintenance(timeout_s=STOP_WAIT_S)  # Ctrl+C: a merge in flight is dropped whole (due again)
    if coll.maintenance_error:
        print(f"workbench: {coll.maintenance_error}", file=sys.stderr)
        return 1
    return 0


def _print_events(events) -> None:
    """One line per finished step of an ingest, sync or rescan (nothing for unchanged files). Ctrl+C
    closes the generator here, so its documents are committed and its writer session ends at once."""
    with closing(events):
        for ev in events:
            if ev.status in ("indexed", "removed"):
                print(f"{ev.status} {one_line(ev.path)} ({ev.passages} passages)", flush=True)
            elif (line := _event_line(ev)) is not None:
                print(line, flush=True)


def _event_line(ev) -> str | None:
    """The one line ``ingest`` and ``watch`` both print for an event that is not a file's plain progress."""
    name, message = one_line(ev.path), one_line(ev.message)
    return {
        "failed": f"failed: {name}: {message}",
        "renamed": f"renamed: {name}: {message}",
        "lost": f"vectors lost: {name}: {message}",
        "merging": f"merging segments: {ev.message} (the new documents are already searchable)",
        "workers": f"ray: {message}",
        "retrying": f"sent again: {name}: {message}",
        "centroids": f"training token centroids: {ev.message}",
    }.get(ev.status)
