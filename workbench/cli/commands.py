"""``workbench``: headless commands over the same SDK the GUI uses.

Exit codes: 0 success; 1 the command ran but something failed (a file not indexed, an index that
cannot be opened); 2 the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from contextlib import closing
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..core import (BackendUnavailable, PassageFilter, SearchPlan, auto_search_plan, available_backends,
                   document_proxy_search_plan,
                   centroid_search_plan, exhaustive_search_plan, hybrid_search_plan)
from ..core.backends import resolve_name
from ..core.fusion import FUSIONS
from ..core.plans import DEFAULT_FUSION, DEFAULT_FUSION_WEIGHT
from ..demo import DEMO_QUERY
from ..store import canonical_path

if TYPE_CHECKING:
    from ..collection import Collection


class UsageError(Exception):
    """Bad command-line input: exit code 2."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:           # output piped into `head`: not an error of ours
        sys.stderr.close()
        return 0
    except (ValueError, KeyError, BackendUnavailable, RuntimeError, OSError) as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("workbench: interrupted; everything committed before now is kept", file=sys.stderr)
        return 130


# -- commands --------------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..collection import Collection
    encoding = _ray_encoding(args)
    coll = Collection.open(args.index, model=args.model, create=True, trust_remote_code=args.trust_remote_code)
    coll.ocr = not args.no_ocr
    failed = indexed = unchanged = renamed = passages = 0
    ocr_seconds = 0.0
    bar = tqdm(total=None, unit="file", disable=True if args.quiet else None, dynamic_ncols=True, file=sys.stderr)
    for ev in coll.iter_ingest(args.paths, encoding=encoding):
        bar.total = ev.total
        bar.set_postfix_str(_one_line(Path(ev.path).name[:40]) + (f" ({ev.message})" if ev.status == "encoding" else ""))
        if ev.status in ("encoding", "committed"):
            continue
        line = _event_line(ev)
        if line is not None:
            bar.write(line)
        if ev.status in ("centroids", "merging", "lost", "workers", "retrying"):   # not one more file done
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
                bar.write(f"note: {_one_line(ev.path)}: {_one_line(note)}")
        elif ev.status == "unchanged":
            unchanged += 1
    bar.close()
    print(f"{indexed} indexed ({passages} passages), {unchanged} unchanged, "
          + (f"{renamed} renamed, " if renamed else "") + f"{failed} failed; "
          f"index {args.index} holds {coll.store.catalog.counts()['passages']} passages"
          + (f"; OCR took {ocr_seconds:.1f} s" if ocr_seconds else ""))
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


STOP_WAIT_S = 10.0   # Ctrl+C waits this long for background maintenance to stop (a kill is safe too)


def cmd_watch(args: argparse.Namespace) -> int:
    """Follow folders: catch up with changes made while nobody watched, then index changes as they
    happen until Ctrl+C (or ``--for`` seconds)."""
    from ..collection import Collection
    from ..collection.watch import FolderWatcher, sync_events
    coll = Collection.open(args.index, model=args.model, create=True, trust_remote_code=args.trust_remote_code)
    coll.ocr = not args.no_ocr
    coll.merge_in_background = True        # a change is indexed while an earlier change's merge runs
    try:
        folders = coll.set_watched(args.paths) if args.paths else coll.watched_folders()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not folders:
        raise UsageError(f"{args.index} watches no folder yet: name one, 'workbench watch FOLDER --index {args.index}'")
    print("watching " + ", ".join(_one_line(str(f)) for f in folders) + " (Ctrl+C stops)", flush=True)
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
        coll.stop_maintenance(timeout_s=STOP_WAIT_S)   # Ctrl+C: a merge in flight is dropped whole (due again)
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
                print(f"{ev.status} {_one_line(ev.path)} ({ev.passages} passages)", flush=True)
            elif (line := _event_line(ev)) is not None:
                print(line, flush=True)


def _event_line(ev) -> str | None:
    """The one line ``ingest`` and ``watch`` both print for an event that is not a file's plain progress."""
    name, message = _one_line(ev.path), _one_line(ev.message)
    return {"failed": f"failed: {name}: {message}",
            "renamed": f"renamed: {name}: {message}",
            "lost": f"vectors lost: {name}: {message}",
            "merging": f"merging segments: {ev.message} (the new documents are already searchable)",
            "workers": f"ray: {message}",
            "retrying": f"sent again: {name}: {message}",
            "centroids": f"training token centroids: {ev.message}"}.get(ev.status)


def cmd_bench_ingest(args: argparse.Namespace) -> int:
    from ..measure.ingest_bench import run
    try:
        args.probe_at = [int(x) for x in args.probe_at.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--probe-at takes sizes separated by commas, not {args.probe_at!r}") from None
    return run(args)


def cmd_search(args: argparse.Namespace) -> int:
    from ..collection import Collection
    plan = _plan_from(args)
    on_qdrant = args.backend == QDRANT_BACKEND
    backend = None if on_qdrant else _backend_from(args)
    query = _query_text(args.query)
    coll = Collection.open(args.index, model=args.model, read_only=True, trust_remote_code=args.trust_remote_code)
    where = _filter_from(args, coll)
    coll.verifier_model = args.verifier
    result = _qdrant_search(args, coll, query, plan, where) if on_qdrant else coll.search(query, plan, backend, where)
    _warn(coll)
    if args.json:
        print(json.dumps(_result_json(result), indent=2))
        return 0
    if result.where is not None:
        print(f"filter: {result.where.describe()} — {result.eligible} of {coll.late_index().n_passages} "
              "passages eligible\n")
    if result.where is not None and result.eligible == 0:
        print("no indexed passage matches the filter; nothing was searched")
        return 0
    for hit in result.hits:
        where = _one_line(hit.path or "") + (f" p.{hit.page}" if hit.page else "") + _label_and_source(hit.info)
        snippet = textwrap.shorten(hit.text or "", 100, placeholder=" …")
        print(f"{hit.rank:>3}  {hit.score:8.4f}  {where}\n       {snippet}")
        if hit.verified is not None:
            print(f"       {hit.verified.describe()}")
        elif plan.verify_k:
            print("       not verified (below verify_k): stage 2's score")
        if hit.parts is not None:
            print(f"       {hit.parts.describe()}")
    print()
    if result.stages and result.stages[0].note:
        print(result.stages[0].note)
    width = max([24] + [len(s.name) + 2 for s in result.stages])
    print(f"{'stage':<{width}}{'in':>8}{'out':>6}{'q vec':>7}{'doc vec':>10}{'pairwise':>13}{'ms':>9}  backend")
    for s in result.stages:
        print(f"{s.name:<{width}}{s.candidates_in:>8}{s.candidates_out:>6}{s.query_vectors:>7}"
              f"{s.document_vectors:>10}{s.pairwise_similarities:>13,}{s.ms:>9.2f}  {s.backend}")
    for s in result.stages:
        if s.pairs:
            print(f"{s.name}: {s.pairs} query–passage pairs, {s.tokens:,} tokens read ({s.budget_rule})")
    return 0


def _qdrant_search(args: argparse.Namespace, coll: "Collection", text: str, plan: SearchPlan,
                   where: PassageFilter | None):
    """``--backend qdrant``: the plan run on the exported collection (``--qdrant``, ``--collection``)."""
    from ..cluster.qdrant_schema import connect
    from ..cluster.qdrant_search import qdrant_search
    if not (args.qdrant and args.collection):
        raise UsageError("--backend qdrant needs --qdrant URL_OR_PATH and --collection NAME (see 'workbench export')")
    query = coll.encode_query(text)
    try:
        return coll.retrying(lambda index: qdrant_search(query, index, connect(args.qdrant), args.collection, plan,
                                                         where))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def cmd_export(args: argparse.Namespace) -> int:
    """Export the index to a Qdrant collection, or bring one exported before up to date."""
    from tqdm import tqdm

    from ..cluster.qdrant_export import iter_export
    from ..cluster.qdrant_schema import connect
    from ..collection import Collection
    client = connect(args.qdrant)           # first: without the extra, say how to get it before anything else
    coll = Collection.open(args.index, read_only=True)
    gen = iter_export(coll, client, args.collection)
    with tqdm(unit="passage", desc=f"export to {args.collection}", disable=args.quiet) as bar:
        while True:
            try:
                done, total = next(gen)
            except StopIteration as finished:
                report = finished.value
                break
            bar.total = total
            bar.update(done - bar.n)
    print(f"{'created' if report.created else 'synced'} Qdrant collection {report.collection!r}: "
          f"{report.upserted} passages uploaded, {report.deleted} removed, {report.kept} already there; "
          f"{report.points} points = the index's live passages")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from ..collection import Collection
    coll = Collection.open(args.index, read_only=True)
    info = coll.info()
    info["backends"] = {k: {"available": ok, "detail": why} for k, (ok, why) in available_backends().items()}
    if args.json:
        info["documents_list"] = [{"id": d.id, "path": d.path, "status": d.status, "pages": d.pages,
                                   "passages": d.passages, "error": d.error, "notes": list(d.notes),
                                   "unrepresented_share": round(d.unrepresented_share, 4)} for d in coll.documents()]
        print(json.dumps(info, indent=2))
        return 0
    for key in ("index", "format_version", "model", "encoder", "encoder_checksum", "dim", "dtype",
                "documents", "failed", "passages", "vectors", "segments", "disk_bytes", "bytes_per_vector"):
        print(f"{key:<18}{info[key]}")
    c = info["centroids"]
    print(f"{'centroids':<18}" + (f"{c['count']:,} (trained on {c['trained_on_vectors']:,} vectors, mean cosine "
                                  f"{c['mean_cosine_at_training']:.3f})" if c else "none (built on first centroid search)"))
    if c:
        print(f"{'bytes per token':<18}" + ", ".join(f"{k} {v}" for k, v in info["bytes_per_token"].items()))
    for name, b in info["backends"].items():
        print(f"{'backend':<18}{name}: {'available' if b['available'] else 'unavailable'} — {b['detail']}")
    for d in coll.documents():
        line = f"  [{d.status}] #{d.id} {_one_line(d.path)} — {d.pages} pages, {d.passages} passages"
        print(line + (f" — {_one_line(d.error)}" if d.error else ""))
        for note in d.notes:
            print(f"      note: {_one_line(note)}")
    _warn(coll)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from ..collection import Collection
    coll = Collection.open(args.index)
    removed = coll.remove(args.paths)
    for path, n in removed.items():
        print(f"removed {_one_line(path)} ({n} passages)")
    if not removed:
        print("nothing removed: no indexed file matches those paths", file=sys.stderr)
        return 1
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from ..collection import Collection
    from ..core.generators import run_to_end
    from ..measure.evaluation import iter_compare, load_qrels, load_queries
    plan = _plan_from(args)
    other = _plan_from(_compared_args(args, args.compare)) if args.compare else None
    backend = _backend_from(args)
    coll = Collection.open(args.index, model=args.model, read_only=True, trust_remote_code=args.trust_remote_code)
    coll.verifier_model = args.verifier
    queries, qrels, where = load_queries(Path(args.queries)), load_qrels(Path(args.qrels)), _filter_from(args, coll)
    out, out_b, diff = run_to_end(iter_compare(coll, queries, qrels, plan, other, backend, where))
    if other is None:
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            _print_run(out)
    else:
        if args.json:
            print(json.dumps({"a": out, "b": out_b, "difference": diff}, indent=2))
        else:
            _print_comparison(out, out_b, diff)
    for skip in out["skipped"]:
        print(f"skipped query {_one_line(skip['id'])}: {_one_line(skip['reason'])}", file=sys.stderr)
    return 0


QDRANT_BACKEND = "qdrant"
CLI_PLANS = ("auto", "exhaustive", "proxy", "hybrid", "centroid")
PLAN_OVERRIDES = ("final_k", "candidate_k", "lexical_k", "n_probe", "fusion", "fusion_weight", "query_vector_budget",
                  "document_vector_budget", "rerank_vectors", "verify_k")


def _compared_args(args: argparse.Namespace, spec: str) -> argparse.Namespace:
    """The options of ``--compare KIND[,name=value…]``: this run's options with the plan kind and the
    named options replaced (``hybrid,fusion=none``, ``centroid,n_probe=4``)."""
    kind, *pairs = [p.strip() for p in spec.split(",")]
    if kind not in CLI_PLANS:
        raise UsageError(f"--compare starts with a plan ({', '.join(CLI_PLANS)}), got {kind!r}")
    out = argparse.Namespace(**vars(args))
    out.plan = kind
    if kind != "hybrid":
        out.fusion_weight = None        # A's fusion weight is not B's to refuse
    for pair in pairs:
        name, _, value = pair.partition("=")
        name = name.strip().replace("-", "_")
        if name not in PLAN_OVERRIDES or not value:
            raise UsageError(f"--compare: {pair!r} is not name=value with a name among {', '.join(PLAN_OVERRIDES)}")
        try:
            cast = str if name in ("fusion", "rerank_vectors") else float if name == "fusion_weight" else int
            setattr(out, name, cast(value))
        except ValueError:
            raise UsageError(f"--compare: {name} needs a number, got {value!r}") from None
    return out


def _print_run(out: dict) -> None:
    from ..measure.evaluation import describe_plan
    print(f"{'plan':<15}{describe_plan(out['plan'])} [{out['backend']}]")
    print(f"{'queries':<15}{out['queries']}")
    for key in ("ndcg@10", "recall@10", "recall@100", "mrr@10"):
        lo, hi = out["ci95"][key]
        print(f"{key:<15}{out[key]:.4f}  95% CI [{lo:.4f}, {hi:.4f}]")
    print(f"{'stage1_recall':<15}{out['stage1_recall']}")
    print(f"{'mean_ms':<15}{out['mean_ms']}  (" + ", ".join(f"{k} {v:.1f}" for k, v in out["mean_stage_ms"].items())
          + ")")


def _print_comparison(a: dict, b: dict, diff: dict) -> None:
    from ..measure.evaluation import describe_plan
    print(f"A: {describe_plan(a['plan'])}\nB: {describe_plan(b['plan'])}\n[{a['backend']}; "
          f"{diff['ndcg@10']['queries']} queries "
          "both evaluated; intervals: 95% percentile bootstrap over queries, paired for A−B]")
    print(f"{'metric':<12}{'A':>8}{'B':>8}{'A−B':>9}  {'95% CI of A−B':<20}{'A wins/loses/ties':>18}")
    for key, d in diff.items():
        verdict = "" if d["low"] <= 0 <= d["high"] else ("  A better" if d["low"] > 0 else "  B better")
        print(f"{key:<12}{a[key]:>8.4f}{b[key]:>8.4f}{d['mean']:>+9.4f}  [{d['low']:+.4f}, {d['high']:+.4f}]"
              f"{d['wins']:>8}/{d['losses']}/{d['ties']}{verdict}")
    print(f"{'mean_ms':<12}{a['mean_ms']:>8.2f}{b['mean_ms']:>8.2f}")


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import build_demo_pdfs, demo_index_dir, describe_demo
    index = Path(args.index) if args.index else demo_index_dir()
    pdfs = build_demo_pdfs(index.parent / "demo-pdfs")
    print(f"demo collection: {describe_demo(pdfs)}; index {index}")
    # through the parser, so the demo's ingest has every option's default (a hand-made Namespace fell behind)
    status = cmd_ingest(_parser().parse_args(["ingest", *[str(p) for p in pdfs], "--index", str(index)]))
    print(f"\nquery: {args.query!r} (auto plan; try 'workbench search --index {index} ...')\n")
    search_args = _parser().parse_args(["search", args.query, "--index", str(index)])
    return status or cmd_search(search_args)


def cmd_bench(args: argparse.Namespace) -> int:
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
    import tempfile
    from ..measure.scale_bench import format_scale_report, load_or_make, run_scale_bench
    if args.passages < 1000:
        raise UsageError("--passages must be at least 1000")
    say = (lambda m: print(m, file=sys.stderr)) if args.json else print  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="kayak-scale-") as tmp:
        folder = Path(args.data) if args.data else Path(tmp)
        data = load_or_make(args.source, args.passages, folder, args.queries, progress=say)
        report = run_scale_bench(data, args.n_probe, args.candidate_k, args.centroids,
                                 exhaustive_queries=args.exhaustive_queries,
                                 cache=Path(args.data) if args.data else None, progress=say)
    print(json.dumps(report, indent=2) if args.json else format_scale_report(report))
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    from ..gui.app import run_gui
    return run_gui(args.index, args.query, args.screenshot, args.compare)


# -- helpers ---------------------------------------------------------------------------------------
def _one_line(text: str) -> str:
    """``text`` with control characters (a newline in a file name) escaped, so one report stays one line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _label_and_source(info) -> str:
    """" (label iii)" where the page's label differs from its number, " [OCR]" for words read by OCR."""
    if info is None:
        return ""
    label = f" (label {info.page_label})" if info.page_label and info.page_label != str(info.page) else ""
    return label + (" [OCR]" if info.text_source == "ocr" else "")


def _warn(coll: "Collection") -> None:
    for problem in coll.warnings:
        print(f"warning: {_one_line(problem)}", file=sys.stderr)


def _query_text(text: str) -> str:
    """The query as typed; bytes that are not UTF-8 (a terminal in another encoding) are a usage error."""
    from ..collection import require_utf8
    try:
        return require_utf8(text, "query")
    except ValueError as exc:
        raise UsageError(f"{exc}; set the terminal to UTF-8 and type it again") from None


def _plan_from(args: argparse.Namespace) -> SearchPlan:
    try:
        return replace(_stages_from(args), verify_k=args.verify_k)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _stages_from(args: argparse.Namespace) -> SearchPlan:
    """The plan's stages 1–2 (and fusion) as the options give them."""
    if args.plan == "exhaustive":
        return exhaustive_search_plan(args.final_k, args.query_vector_budget or 0,
                                      args.document_vector_budget or 0)
    if args.plan == "auto":
        return auto_search_plan(args.final_k, args.candidate_k, args.n_probe, args.query_vector_budget or 0,
                                args.document_vector_budget or 0)
    budgets = (32 if args.query_vector_budget is None else args.query_vector_budget,
               64 if args.document_vector_budget is None else args.document_vector_budget)
    if args.plan == "hybrid":
        return hybrid_search_plan(args.final_k, args.candidate_k, args.lexical_k, *budgets, args.fusion,
                                  DEFAULT_FUSION_WEIGHT if args.fusion_weight is None else args.fusion_weight)
    if args.fusion_weight is not None:
        raise ValueError("--fusion-weight needs --plan hybrid (the only plan with a BM25 ranking to fuse)")
    if args.plan == "centroid":
        return centroid_search_plan(args.final_k, args.candidate_k, args.n_probe, budgets[0],
                                    args.document_vector_budget or 0, args.rerank_vectors)
    if args.rerank_vectors != "float16":
        raise ValueError("--rerank-vectors residual needs --plan centroid (it reranks on centroid codes)")
    return document_proxy_search_plan(args.final_k, args.candidate_k, *budgets)


def _backend_from(args: argparse.Namespace) -> str:
    try:
        return resolve_name(args.backend)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _filter_from(args: argparse.Namespace, coll: "Collection") -> PassageFilter | None:
    """The search filter the options describe (``None`` without any); bad input is a :class:`UsageError`."""
    try:
        where = PassageFilter(folders=tuple(str(canonical_path(f)) for f in args.folder),
                              file_types=tuple(args.type),
                              modified_from=_timestamp(args.modified_after, "--modified-after"),
                              modified_to=_timestamp(args.modified_before, "--modified-before"),
                              document_ids=_document_ids(coll, args.document))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return None if where.is_empty else where


def _timestamp(text: str | None, option: str) -> float | None:
    """POSIX seconds of an ISO date or date-time; one without a zone is local time."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None


def _document_ids(coll: "Collection", refs: list[str]) -> tuple[int, ...]:
    """The ids of indexed documents given by id number or path."""
    if not refs:
        return ()
    indexed = {d.id for d in coll.documents() if d.status == "indexed"}
    ids = []
    for ref in refs:
        if ref.isdigit() and int(ref) in indexed:
            ids.append(int(ref))
            continue
        row = coll.store.catalog.document(os.fsencode(canonical_path(ref)))
        if row is None or row.id not in indexed:
            raise UsageError(f"--document {ref}: no indexed document has this id or path "
                             "(ids are listed by 'workbench info --index ...')")
        ids.append(row.id)
    return tuple(ids)


def _result_json(result) -> dict:
    full = result.to_dict()
    return {"query": result.query.text, "query_tokens": list(result.query.tokens),
            "plan": result.plan.to_dict(), "requested_plan": (result.requested or result.plan).to_dict(),
            "backend": result.backend,
            "where": full["where"], "eligible_passages": full["eligible_passages"],
            "hits": [{"rank": h.rank, "path": h.path, "page": h.page, "passage_id": h.passage_id,
                      "score": round(h.score, 6), "text": h.text,
                      "page_label": h.info.page_label if h.info else "",
                      "text_source": h.info.text_source if h.info else "text",
                      **{k: v for k, v in h.to_dict().items() if k in ("parts", "verified")}} for h in result.hits],
            "stages": [{"name": s.name, "candidates_in": s.candidates_in, "candidates_out": s.candidates_out,
                        "query_vectors": s.query_vectors, "document_vectors": s.document_vectors,
                        "pairwise_similarities": s.pairwise_similarities, "ms": round(s.ms, 3),
                        "setup_ms": round(s.setup_ms, 3), "probed": s.probed, "lookups": s.lookups,
                        "pairs": s.pairs, "tokens": s.tokens,
                        "backend": s.backend, "budget_rule": s.budget_rule, "note": s.note} for s in result.stages]}


def _add_plan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plan", choices=CLI_PLANS, default="auto",
                   help="auto (default): exhaustive while exact search costs ~20 ms or less, else centroid; "
                        "exhaustive exact MaxSim; document proxies then exact rerank; "
                        "hybrid: proxies + BM25 candidates, exact MaxSim, then fused with BM25 (--fusion); centroid: token-centroid "
                        "probes and centroid interaction then exact rerank")
    p.add_argument("--final-k", type=int, default=10)
    p.add_argument("--candidate-k", type=int, default=100, help="passages the proxy stage passes on")
    p.add_argument("--lexical-k", type=int, default=100, help="passages the BM25 stage passes on (hybrid)")
    p.add_argument("--fusion", choices=FUSIONS, default=DEFAULT_FUSION,
                   help=f"hybrid: how MaxSim and BM25 rank together — rrf (reciprocal rank fusion), linear "
                        f"(min-max MaxSim and BM25/max, weighted), or none (MaxSim alone); default {DEFAULT_FUSION}")
    p.add_argument("--fusion-weight", type=float, default=None,
                   help=f"hybrid: the BM25 share of the fused score, 0 to 1 (default {DEFAULT_FUSION_WEIGHT:g})")
    p.add_argument("--n-probe", type=int, default=8, help="centroid lists probed per query vector (centroid)")
    p.add_argument("--verify-k", type=int, default=0,
                   help="stage 3: a cross-encoder rereads stage 2's best N passages with the query and reranks "
                        "them (0 = off; ≈30 ms per 170-token passage on two cores)")
    p.add_argument("--verifier", default=None, metavar="MODEL",
                   help="stage 3's cross-encoder: a folder (model.onnx + tokenizer.json, or a sentence-transformers "
                        "CrossEncoder) or a Hugging Face id (default: ms-marco-MiniLM-L-12-v2, INT8 ONNX, offline)")
    p.add_argument("--rerank-vectors", choices=("float16", "residual"), default="float16",
                   help="centroid plan: exact stage on the stored float16 vectors or on vectors rebuilt from "
                        "centroid + 2-bit residual (36 instead of 256 bytes per token)")
    p.add_argument("--query-vector-budget", type=int, default=None,
                   help="keep the first N query vectors (0 = all; proxy and hybrid default 32, others 0)")
    p.add_argument("--document-vector-budget", type=int, default=None,
                   help="keep each passage's first N vectors (0 = all; proxy and hybrid default 64, others 0)")
    p.add_argument("--backend", default="numpy", help="numpy or mojo (exact stage executor), or qdrant (the plan "
                                                      "run on an exported collection: --qdrant, --collection)")
    p.add_argument("--qdrant", default=None, metavar="URL_OR_PATH", help="--backend qdrant: the server or local folder")
    p.add_argument("--collection", default=None, help="--backend qdrant: the collection 'workbench export' wrote")
    p.add_argument("--model", default=None, help="encoder: a checkpoint folder or Hugging Face id (must match the "
                                                 "index; default: the index's own when it is the built-in one or "
                                                 "was named on this machine before)")
    p.add_argument("--trust-remote-code", action="store_true",
                   help="let the named model run Python code of its own (modules.json classes, auto_map)")
    p.add_argument("--json", action="store_true")
    f = p.add_argument_group("filter", "search only passages of matching documents (options of one kind "
                                       "are alternatives; different kinds must all hold)")
    f.add_argument("--folder", action="append", default=[], metavar="DIR",
                   help="documents under this folder (repeatable)")
    f.add_argument("--type", action="append", default=[], metavar="EXT",
                   help="documents with this extension, e.g. pdf, md, txt (repeatable; any case)")
    f.add_argument("--modified-after", metavar="DATE",
                   help="files modified at or after DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM, local time)")
    f.add_argument("--modified-before", metavar="DATE", help="files modified before DATE (same forms)")
    f.add_argument("--document", action="append", default=[], metavar="ID_OR_PATH",
                   help="this indexed document, by id (see 'workbench info') or path (repeatable)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="Late-interaction search over your files.")
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers()

    p = sub.add_parser("ingest", help="index PDFs, text/Markdown files, BEIR corpus.jsonl, or folders")
    p.add_argument("paths", nargs="+")
    p.add_argument("--index", required=True, help="index folder (created if missing)")
    p.add_argument("--model", default=None, help="ColBERT checkpoint folder or hub id (default: built-in)")
    p.add_argument("--trust-remote-code", action="store_true",
                   help="let the model run Python code of its own (modules.json classes, auto_map); only for "
                        "models whose authors you trust")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--no-ocr", action="store_true",
                   help="do not OCR pages without usable text (image-only, undecodable fonts)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="parse and encode on Ray workers (the cluster extra); this process stays the only "
                        "writer. No ADDRESS: join the cluster this machine runs, else start a local one; "
                        "'auto': join it or fail; 'local': start a local one; 'ray://HOST:10001' or "
                        "'HOST:6379': a remote cluster")
    p.add_argument("--workers", type=int, default=None,
                   help="Ray workers to start, one encoder each (default: the cluster's CPUs / --cpus-per-worker)")
    p.add_argument("--cpus-per-worker", type=float, default=1.0, help="CPUs (torch threads) per Ray worker (default 1)")
    p.add_argument("--gpus-per-worker", type=float, default=0.0,
                   help="GPUs per Ray worker; above 0 the encoder runs on CUDA there (default 0)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("watch", help="keep an index current as files in folders are added, changed, renamed "
                                     "or removed (the folders are remembered by the index)")
    p.add_argument("paths", nargs="*", help="folders to start watching (none: those the index already watches)")
    p.add_argument("--index", required=True, help="index folder (created if missing)")
    p.add_argument("--model", default=None, help="ColBERT checkpoint folder or hub id (default: built-in)")
    p.add_argument("--trust-remote-code", action="store_true",
                   help="let the model run Python code of its own; only for models whose authors you trust")
    p.add_argument("--no-ocr", action="store_true", help="do not OCR pages without usable text")
    p.add_argument("--for", dest="for_seconds", type=float, default=0, metavar="SECONDS",
                   help="stop after this long (default: run until Ctrl+C)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("search", help="search an index")
    p.add_argument("query")
    p.add_argument("--index", required=True)
    _add_plan_options(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("export", help="export the index to a Qdrant collection, or sync one exported before "
                                      "(needs the cluster extra: requirements-cluster.lock)")
    p.add_argument("--index", required=True)
    p.add_argument("--qdrant", required=True, metavar="URL_OR_PATH",
                   help="a Qdrant server or cluster (http://host:6333) or a folder for Qdrant's local mode")
    p.add_argument("--collection", required=True)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("info", help="describe an index and the available backends")
    p.add_argument("--index", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("remove", help="remove files (or folders) from an index")
    p.add_argument("paths", nargs="+")
    p.add_argument("--index", required=True)
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("demo", help="index the built-in demo collection and run a search on it")
    p.add_argument("--index", default=None, help="where the demo index goes (default: your data folder)")
    p.add_argument("--query", default=DEMO_QUERY)
    p.set_defaults(func=cmd_demo)

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
    p.add_argument("--source", choices=("synthetic", "text"), default="synthetic",
                   help="synthetic clustered vectors, or the demo text encoded and replicated to size")
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--n-probe", type=int, default=8)
    p.add_argument("--candidate-k", type=int, default=256)
    p.add_argument("--centroids", type=int, default=0, help="k-means centroids (0: about 4·√tokens)")
    p.add_argument("--exhaustive-queries", type=int, default=0,
                   help="queries that time the exhaustive plan (0 = all; its ground truth always uses all)")
    p.add_argument("--data", help="keep the generated vectors in this folder and reuse them next time")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench_scale)

    p = sub.add_parser("bench-ingest", help="grow an index through the real ingest path and measure it "
                                            "(throughput, write amplification, adding a PDF, searches during merges)")
    p.add_argument("--passages", type=int, default=100_000)
    p.add_argument("--batches", type=int, default=100, help="ingests the passages arrive in (default 100)")
    p.add_argument("--probe-at", default="10000,100000,1000000", metavar="N,N,…",
                   help="sizes at which to add a 20-page PDF and search during a full merge")
    p.add_argument("--work", help="folder for the index and corpus (default: a new temporary folder)")
    p.add_argument("--max-centroids", type=int, default=0,
                   help="cap the index's centroid count (0: about 4·√tokens, as any index)")
    p.add_argument("--real-encoder", action="store_true",
                   help="encode with the model (default: a table of the model's vectors for the same words)")
    p.add_argument("--queries", type=int, default=30, help="queries per search measurement (0: none)")
    p.add_argument("--keep", action="store_true", help="keep the index afterwards")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench_ingest)

    p = sub.add_parser("gui", help="the desktop workbench (default: the demo collection on first run)")
    p.add_argument("--index", default=None, help="index folder to open (created if missing)")
    p.add_argument("--query", default=None, help="search this once the index is ready")
    p.add_argument("--screenshot", default=None, help="save a PNG of the window after the search, then exit")
    p.add_argument("--compare", action="store_true", help="with --screenshot: show the backend comparison")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("eval", help="retrieval quality on BEIR-format queries and qrels")
    p.add_argument("--index", required=True)
    p.add_argument("--queries", required=True, help="queries.jsonl (_id, text)")
    p.add_argument("--qrels", required=True, help="qrels TSV with header query-id, corpus-id, score")
    _add_plan_options(p)
    p.add_argument("--compare", metavar="PLAN[,name=value…]", default=None,
                   help="also evaluate a second plan on the same queries and print A−B with its paired 95%% "
                        "interval: a plan kind, then options that differ from this run's "
                        "(e.g. exhaustive, or hybrid,fusion=none, or centroid,n_probe=4)")
    p.set_defaults(func=cmd_eval)
    return parser

