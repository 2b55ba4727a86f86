"""``workbench bench-ingest``: a collection grown through the real ingest path, measured as it grows.

Everything a user's ``workbench ingest`` does runs for real — BEIR ``.jsonl`` parsing and passage
cutting with the model's tokenizer, the catalog and its full-text index, segments, the tiered merges,
centroid coding and retraining — in ``--batches`` ingests of equal size. Only the model's forward pass
is replaced, by default, by :class:`~workbench.bench_corpus.TableEncoder` (the vectors the real
model gave the same words), so 10⁶ passages take about an hour instead of a day on two cores;
``--real-encoder`` runs the model.

It prints, side by side from one run:

* passages per second per phase (parse, encode, write, merge, centroids) over the whole ingest;
* bytes written per passage (``/proc/self/io``) and the vectors' write amplification (vector bytes the
  segments and merges wrote / vector bytes ingested);
* at each ``--probe-at`` size: adding one new 20-page PDF with the real model in a fresh process
  (``workbench ingest``'s path) — seconds until it is committed and searchable, its encoding time, the
  merges and retraining that followed, and the process's peak RSS;
* recall@10 of the auto plan against exhaustive MaxSim on the same vectors (20 queries);
* search latency (auto plan, query encoding excluded): p50/p95/p99 cold — each query's first run in a
  fresh process, after the kernel's page cache is dropped where ``--drop-caches`` is allowed — and warm
  (the same queries run again), then idle and while another process merges every segment into one (the
  largest merge there is at that size), with the share of results identical;
* the index's size on disk split into vector data (segments, codes, centroid lists) and the catalog
  (passage text, boxes, the full-text indexes), with the storage tier and bytes per token.

After each probe the figures so far are kept in ``WORK/partial.json`` (a long run stopped early still
reports what it measured).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .bench_corpus import PageStream, TableEncoder, page_texts, write_jsonl, write_pdfs
from .ingest_searches import cold_and_warm, run_child, searches_during_merge, status_mb
from .percentiles import percentile

PROBE_PAGES = 20
MERGE_QUERY_GOAL = 1.5  # issue 12: p95 during a merge within 1.5× of idle


def written_bytes() -> int:
    """Bytes this process has caused to be written to storage (``write_bytes`` of ``/proc/self/io``)."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: ``VmHWM`` (``ru_maxrss`` would count the parent's
    memory at the fork that started a child process)."""
    return status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_split(root: Path) -> dict:
    """Bytes of an index folder: the catalog (``catalog.sqlite`` and its WAL) and everything else — the
    segments, codes, residuals and centroid lists a search reads."""
    from ..store.index_store import CATALOG_FILE

    catalog = vectors = 0
    for folder, _, files in os.walk(root):
        for name in files:
            size = (Path(folder) / name).lstat().st_size
            if Path(folder) == root and name.startswith(CATALOG_FILE):
                catalog += size
            else:
                vectors += size
    return {"vector_data_bytes": vectors, "catalog_bytes": catalog}


# -- the growing collection ---------------------------------------------------------------------------
def grow(args: argparse.Namespace, work: Path) -> dict:
    from ..collection import Collection
    from ..encode import Encoder
    from ..store.centroid_store import MAX_CENTROIDS_KEY
    from ..store.tiers import stored_bits

    real = Encoder()
    encoder = real if args.real_encoder else TableEncoder(real, work / "table.npz")
    index = work / "index.kayak"
    coll = Collection.open(index, create=True, encoder=encoder)
    if args.max_centroids:
        coll.store.catalog.set_manifest(MAX_CENTROIDS_KEY, str(args.max_centroids))
    per_batch = max(1, args.passages // args.batches)
    probes = sorted(p for p in args.probe_at if p <= args.passages)
    corpus = work / "corpus"
    corpus.mkdir(exist_ok=True)
    out: dict = {
        "passages_asked": args.passages,
        "batches": args.batches,
        "per_batch": per_batch,
        "encoder": "real model" if args.real_encoder else "vector table of the real model (TableEncoder)",
        "probes": [],
        "merges": [],
        "retrainings": [],
    }
    phases = dict.fromkeys(("parse", "encode", "write", "merge", "centroids"), 0.0)
    commit_s, generate_s, passages, merged_vectors = [], 0.0, 0, 0
    pages = PageStream(real.count_tokens, seed=10_000)
    io_start, t_start = written_bytes(), time.perf_counter()
    for b in range(args.batches):
        t = time.perf_counter()
        path = write_jsonl(corpus / f"batch{b:05d}.jsonl", pages.take(per_batch), b * per_batch)
        generate_s += time.perf_counter() - t
        t = time.perf_counter()
        for ev in coll.iter_ingest([path]):
            if ev.status == "committed":
                commit_s.append(time.perf_counter() - t)
            elif ev.status == "merging":
                out["merges"].append({"at_passages": passages + per_batch, "what": ev.message})
                merged_vectors += ev.vectors
            elif ev.status == "centroids":
                out["retrainings"].append({"at_passages": passages + per_batch, "why": ev.message})
            elif ev.status == "failed":
                raise RuntimeError(f"the benchmark's own file failed: {ev.message}")
        for k in phases:
            phases[k] += coll.ingest_times.seconds[k]
        passages += coll.ingest_times.passages
        path.unlink()
        if (b + 1) % max(1, args.batches // 20) == 0 or b + 1 == args.batches:
            say(
                f"{passages:,} passages after {b + 1} ingests, {time.perf_counter() - t_start:,.0f} s "
                f"(last ingest {time.perf_counter() - t:.2f} s, {coll.store.catalog.counts()['segments']} segments)"
            )
        # The last batch probes whatever is still due: pages cut into passages can leave the total a few
        # short of --passages, and a probe at that size must still run.
        due = [p for p in probes if passages >= p or b + 1 == args.batches]  # a prefix: probes are sorted
        if due:
            del probes[: len(due)]  # several due at once are one probe at this size
            out["probes"].append(probe(args, work, index, passages))
            (work / "partial.json").write_text(
                json.dumps(
                    {
                        **out,
                        "passages_so_far": passages,
                        "seconds_so_far": round(time.perf_counter() - t_start),
                        "phase_seconds_so_far": phases,
                    },
                    indent=2,
                )
            )
    elapsed = time.perf_counter() - t_start - sum(p["seconds_in_parent"] for p in out["probes"])
    counts = coll.store.catalog.counts()
    bits = stored_bits(coll.store.manifest)  # a compact tier writes coded rows, not float16 vectors
    vector_bytes = 4 + coll.store.dim * bits // 8 if bits else 2 * coll.store.dim
    ingested = counts["vectors"]
    out.update(
        {
            "passages": passages,
            "vectors": ingested,
            "documents": counts["documents"],
            "seconds": round(elapsed, 1),
            "text_generation_seconds": round(generate_s, 1),
            "passages_per_s": round(passages / elapsed, 1),
            "phase_passages_per_s": {k: round(passages / s, 1) if s else None for k, s in phases.items()},
            "phase_seconds": {k: round(s, 1) for k, s in phases.items()},
            "commit_seconds_p50_p95_max": [
                round(percentile(commit_s, 50), 2),
                round(percentile(commit_s, 95), 2),
                round(max(commit_s), 2),
            ],
            "bytes_written_per_passage": round((written_bytes() - io_start) / max(passages, 1)),
            "vector_bytes_per_passage": round(ingested * vector_bytes / max(passages, 1)),
            "vector_write_amplification": round((ingested + merged_vectors) / max(ingested, 1), 2),
            "index_bytes": coll.store.disk_bytes(),
            **disk_split(coll.store.root),
            **tier_info(coll),
            "segments": counts["segments"],
            "peak_rss_mb": round(peak_rss_mb()),
        }
    )
    return out


def tier_info(coll) -> dict:
    """The index's storage tier and what it stores per token vector, in bytes (``workbench info``'s figures)."""
    from ..collection.info import centroid_info

    return {
        "storage_tier": coll.store.tier,
        "bytes_per_token": centroid_info(coll.store, coll.late_index()).get("bytes_per_token"),
    }


def probe(args: argparse.Namespace, work: Path, index: Path, passages: int) -> dict:
    """Add a new 20-page PDF with the real model in a fresh process, then search while another process
    merges every segment into one."""
    from ..encode import Encoder

    t = time.perf_counter()
    pdf = write_pdfs(
        work / f"probe-{passages}", page_texts(Encoder().count_tokens, PROBE_PAGES, seed=passages), "probe", PROBE_PAGES
    )[0]
    say(f"adding a {PROBE_PAGES}-page PDF to {passages:,} passages in a fresh process…")
    add = run_child(["--add", str(index), str(pdf)])
    say(
        f"  committed after {add['until_committed_s']} s (encode {add['encode_s']} s), total {add['total_s']} s, "
        f"peak RSS {add['peak_rss_mb']:,} MB"
    )
    searches = searches_during_merge(args, work, index) if args.queries else {}
    return {"at_passages": passages, "add": add, "search": searches, "seconds_in_parent": time.perf_counter() - t}


def add_one(index: Path, pdf: Path) -> dict:
    """In a fresh process: ``workbench ingest PDF --index INDEX``'s path with the real model, timed."""
    from ..collection import Collection

    t0 = time.perf_counter()
    coll = Collection.open(index, create=True)
    coll.encoder  # noqa: B018 — the model loads before the clock for the ingest starts
    opened = time.perf_counter() - t0
    t = time.perf_counter()
    committed = None
    merges = []
    for ev in coll.iter_ingest([pdf]):
        if ev.status == "committed":
            committed = time.perf_counter() - t
        elif ev.status == "merging":
            merges.append(ev.message)
        elif ev.status == "failed":
            raise RuntimeError(ev.message)
    s = coll.ingest_times.seconds
    return {
        "open_and_load_model_s": round(opened, 2),
        "until_committed_s": round(committed or 0.0, 2),
        "parse_s": round(s["parse"], 2),
        "encode_s": round(s["encode"], 2),
        "write_s": round(s["write"], 2),
        "merge_s": round(s["merge"], 2),
        "centroids_s": round(s["centroids"], 2),
        "total_s": round(time.perf_counter() - t, 2),
        "merges": merges,
        "passages": coll.ingest_times.passages,
        "peak_rss_mb": round(peak_rss_mb()),
    }


def merge_all(index: Path) -> dict:
    """In a fresh process: merge every segment into one (the writer's largest possible merge)."""
    from ..store import IndexStore

    store = IndexStore.open(index)
    t = time.perf_counter()
    with store.writer():
        n = store.catalog.counts()["segments"]
        print("merging", flush=True)  # the parent's searches count from here
        store.compact()
    return {"segments_merged": n, "seconds": round(time.perf_counter() - t, 1), "peak_rss_mb": round(peak_rss_mb())}


# -- output --------------------------------------------------------------------------------------------
def say(text: str) -> None:
    print(f"[bench-ingest] {text}", file=sys.stderr, flush=True)


def print_report(out: dict) -> None:
    print(
        f"\n{out['passages']:,} passages ({out['vectors']:,} token vectors) in {out['batches']} ingests of "
        f"{out['per_batch']:,}, encoder: {out['encoder']}"
    )
    print(
        f"ingest: {out['seconds']:,} s, {out['passages_per_s']:,} passages/s "
        f"(generating the text took another {out['text_generation_seconds']} s)"
    )
    print(
        "per phase, passages/s: "
        + ", ".join(f"{k} {v:,}" if v else f"{k} —" for k, v in out["phase_passages_per_s"].items())
        + "  (seconds: "
        + ", ".join(f"{k} {v:,}" for k, v in out["phase_seconds"].items())
        + ")"
    )
    p50, p95, mx = out["commit_seconds_p50_p95_max"]
    print(f"per ingest until committed: p50 {p50} s, p95 {p95} s, max {mx} s")
    print(
        f"bytes written per passage: {out['bytes_written_per_passage']:,} (vectors alone: "
        f"{out['vector_bytes_per_passage']:,}); vector write amplification {out['vector_write_amplification']}×; "
        f"{len(out['merges'])} merges, {len(out['retrainings'])} centroid trainings"
    )
    per_token = out["bytes_per_token"] or {}
    print(
        f"index on disk ({out['storage_tier']}): {out['index_bytes'] / 2**30:,.2f} GiB in {out['segments']} "
        f"segments — vector data {out['vector_data_bytes'] / 2**30:,.2f} GiB "
        f"({out['vector_data_bytes'] / max(out['vectors'], 1):,.1f} B/token; stored per token: "
        + ", ".join(f"{k} {v}" for k, v in per_token.items())
        + f"), catalog {out['catalog_bytes'] / 2**30:,.2f} GiB; ingest process peak RSS {out['peak_rss_mb']:,} MB"
    )
    for p in out["probes"]:
        a, s = p["add"], p["search"]
        print(
            f"\nat {p['at_passages']:,} passages — add one {PROBE_PAGES}-page PDF ({a['passages']} passages), "
            f"real model, fresh process: committed after {a['until_committed_s']} s, of which encoding "
            f"{a['encode_s']} s and parsing {a['parse_s']} s; then merges {a['merge_s']} s, centroids "
            f"{a['centroids_s']} s; peak RSS {a['peak_rss_mb']:,} MB (model load {a['open_and_load_model_s']} s before)"
        )
        if s:
            f, m = s["fresh_process"], s["merge"]
            cache = "page cache dropped" if f["page_cache_dropped"] else "page cache as the system left it"
            print(
                f"  fresh process ({cache}): opened in {f['open_s']} s; {f['queries']} queries cold p50/p95/p99 "
                + "/".join(str(f["cold"][k]) for k in ("p50_ms", "p95_ms", "p99_ms"))
                + " ms, warm "
                + "/".join(str(f["warm"][k]) for k in ("p50_ms", "p95_ms", "p99_ms"))
                + f" ms; anonymous memory {f['anon_rss_mb']:,} MB"
            )
            r = f["recall"]
            print(
                f"  recall@10 of the auto plan ({r['ran']}, candidate_k {r['candidate_k']:,}) against exhaustive MaxSim "
                f"on the same vectors, {r['queries']} queries: {r['recall_at_k']} (lowest {r['min_recall']})"
            )
            ratio = s["during_merge_p95_ms"] / s["idle_p95_ms"] if s["idle_p95_ms"] else float("nan")
            print(f"  p95 during the merge / idle: {ratio:.2f}× (goal ≤ {MERGE_QUERY_GOAL}×)")
            print(
                f"  search ({s['plan']}, {s['backend']}): idle p50 {s['idle_p50_ms']} ms, p95 {s['idle_p95_ms']} ms, "
                f"p99 {s['idle_p99_ms']} ms; "
                f"while merging {m['segments_merged']} segments into one ({m['seconds']} s, merge peak RSS "
                f"{m['peak_rss_mb']:,} MB): p50 {s['during_merge_p50_ms']} ms, p95 {s['during_merge_p95_ms']} ms "
                f"over {s['during_merge_n']} searches, results identical {s['identical_results']}"
                + (
                    f"; the search that opened the merged index took {', '.join(map(str, s['reopened_ms']))} ms"
                    if s["reopened_ms"]
                    else ""
                )
            )


def run(args: argparse.Namespace) -> int:
    work = Path(args.work).expanduser() if args.work else Path(tempfile.mkdtemp(prefix="kayak-bench-ingest-"))
    if (work / "index.kayak").exists():
        raise SystemExit(f"{work} already holds a benchmark index; choose a new --work folder")
    work.mkdir(parents=True, exist_ok=True)
    free_gb = shutil.disk_usage(work).free / 2**30
    say(f"working in {work} ({free_gb:,.0f} GiB free)")
    out = grow(args, work)
    out["work"], out["free_gib_at_start"] = str(work), round(free_gb, 1)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print_report(out)
    if not args.keep:
        shutil.rmtree(work / "index.kayak", ignore_errors=True)
    return 0


def main(argv: list[str]) -> int:
    """The benchmark's child processes: ``--add INDEX PDF``, ``--merge-all INDEX`` and ``--search INDEX
    QUERIES.npz drop|keep`` (JSON on stdout)."""
    if argv[:1] == ["--add"]:
        print(json.dumps(add_one(Path(argv[1]), Path(argv[2]))))
    elif argv[:1] == ["--search"]:
        print(json.dumps(cold_and_warm(Path(argv[1]), Path(argv[2]), argv[3] == "drop")))
    elif argv[:1] == ["--merge-all"]:
        print(json.dumps(merge_all(Path(argv[1]))))
    else:
        print("use 'workbench bench-ingest'", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main(sys.argv[1:]))
