"""The same token vectors indexed by this project (each storage tier and plan) and by its peers — fast-plaid
(2 and 4 bits), xtr-warp-rs and maxsim-cpu (a second exhaustive reference) — side by side from one run:
bytes per token on disk, build time and peak RSS, one- and two-thread p50/p95 query latency, nDCG@10 and
overlap@10 with exhaustive float MaxSim.

    .venv/bin/python benchmarks/peers.py [--corpus scifact cranfield] [--work DIR] [--peers-python PY]

The peers live in their own environment (``benchmarks/setup_peers.sh``, ``requirements-peers.lock``): they
pin a torch this project's cannot sit beside. This script runs in ours: it exports each index's float32
token vectors and the encoded test queries to ``--work`` (``.npy``), then starts one child per job
(``benchmarks/peers_worker.py``): a build (all cores; its peak RSS from ``wait4``), a query run pinned to
one CPU (every query: quality and one-thread latency) and one pinned to two (the first
``--latency-queries``). Each engine returns its best ``--k`` passages per query alone; documents are
ranked by their first passage. Builds are kept in ``--work`` with their measured time and RSS and
reused unless ``--rebuild``. A missing SciFact or Cranfield index is ingested first (default encoder).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from workbench.collection import Collection  # noqa: E402
from workbench.measure.evaluation import load_qrels, load_queries  # noqa: E402
from workbench.measure.peers_data import (  # noqa: E402
    documents_of_rows,
    export_queries,
    export_vectors,
    folder_bytes,
    percentiles_ms,
    quality,
    reference_rows,
)

SHARED = ROOT.parent / "shared" / "eval"
CORPORA = {
    "scifact": {
        "index": ROOT / "out" / "scifact" / "scifact.kayak",  # ingested from SHARED/scifact when missing
        "queries": SHARED / "scifact" / "queries.jsonl",
        "qrels": SHARED / "scifact" / "qrels" / "test.tsv",
    },
    "cranfield": {
        "index": ROOT / "out" / "cranfield" / "cranfield.kayak",
        "queries": ROOT / "out" / "cranfield" / "beir" / "queries.jsonl",
        "qrels": ROOT / "out" / "cranfield" / "beir" / "qrels.tsv",
    },
}
# (row label, engine, plan): every build once, each plan of ours on the same build.
ROWS = [
    ("exact float16, exhaustive", "kayak-exact", "exhaustive"),
    ("exact float16, centroid", "kayak-exact", "centroid"),
    ("compact-4, centroid", "kayak-compact-4", "centroid"),
    ("compact-4, exhaustive", "kayak-compact-4", "exhaustive"),
    ("compact-2, centroid", "kayak-compact-2", "centroid"),
    ("compact-2, exhaustive", "kayak-compact-2", "exhaustive"),
    ("fast-plaid 1.7, 4 bits", "fast-plaid-4", ""),
    ("fast-plaid 1.7, 2 bits", "fast-plaid-2", ""),
    ("xtr-warp-rs 2.1 (4 bits)", "xtr-warp", ""),
    ("maxsim-cpu 0.1 (exhaustive)", "maxsim-cpu", ""),
]
PEERS = ("fast-plaid-4", "fast-plaid-2", "xtr-warp")  # the indexing engines our rows are compared with


def thread_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS"):
        env[var] = str(threads)
    return env


def run_child(cmd: list[str], threads: int) -> tuple[float, int]:
    """Run ``cmd`` to the end: ``(wall seconds, peak RSS in bytes)`` from ``wait4``; raises on failure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=thread_env(threads))
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd[:4])} … exited {proc.returncode}")
    return time.perf_counter() - t0, usage.ru_maxrss * 1024


def python_for(engine: str, peers_python: str) -> str:
    return sys.executable if engine.startswith("kayak-") else peers_python


def ensure_index(name: str, index: Path) -> None:
    """Ingest a missing corpus with the default encoder (Cranfield converted to BEIR first)."""
    if index.exists():
        return
    cli = [sys.executable, "-m", "workbench.cli", "ingest"]
    if name == "cranfield":
        sys.path.insert(0, str(HERE))
        from cranfield import to_beir  # the converter benchmarks/cranfield.py uses

        beir = index.parent / "beir"
        to_beir(SHARED / "cranfield", beir)
        subprocess.run(cli + [str(beir / "corpus.jsonl"), "--index", str(index), "--quiet"], check=True)
        return
    corpus = index.parent / f"{index.stem}-corpus.jsonl"
    with gzip.open(SHARED / "scifact" / "corpus.jsonl.gz", "rb") as src, open(corpus, "wb") as dst:
        shutil.copyfileobj(src, dst)
    subprocess.run(cli + [str(corpus), "--index", str(index), "--quiet"], check=True)


def prepare(name: str, paths: dict[str, Path], work: Path, k: int) -> dict:
    """Export vectors and queries (once per index), the reference ranking and each row's document."""
    data = work / name / "data"
    coll = Collection.open(paths["index"])
    index = coll.late_index()
    stamp = {"index": str(paths["index"]), "n_vectors": index.n_vectors, "n_passages": index.n_passages}
    meta_file = data / "meta.json"
    if not meta_file.exists() or json.loads(meta_file.read_text())["stamp"] != stamp:
        print(f"[{name}] exporting {index.n_vectors:,} token vectors of {index.n_passages:,} passages", flush=True)
        export_vectors(index, data)
        qrels = load_qrels(paths["qrels"])
        judged = {q: t for q, t in load_queries(paths["queries"]).items() if t and qrels.get(q)}
        matrices = [coll.encode_query(t).matrix() for t in judged.values()]
        export_queries(matrices, data)
        t0 = time.perf_counter()
        reference = reference_rows(data, matrices, k)
        print(f"[{name}] exhaustive float32 reference: {time.perf_counter() - t0:.0f} s", flush=True)
        meta = {"stamp": stamp, "query_ids": list(judged), "docs": documents_of_rows(index), "reference": reference}
        meta_file.write_text(json.dumps(meta))
    meta = json.loads(meta_file.read_text())
    meta["kayak_bytes"] = {p.name: folder_bytes(p) for p in paths["index"].iterdir() if p.is_dir()}
    meta["catalog_bytes"] = sum(p.stat().st_size for p in paths["index"].glob("catalog.sqlite*"))
    return meta


def build(engine: str, data: Path, work: Path, peers_python: str, rebuild: bool) -> dict:
    """Build ``engine``'s index (all CPUs) unless a finished one is kept: ``seconds``, ``peak_rss``, ``bytes``."""
    folder, record = work / engine, work / f"{engine}.build.json"
    if record.exists() and not rebuild:
        return json.loads(record.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    if engine == "maxsim-cpu":  # nothing to build: it scores the float32 vectors held in memory
        stats = {"seconds": 0.0, "peak_rss": 0, "bytes": None}
    else:
        worker = [python_for(engine, peers_python), str(HERE / "peers_worker.py"), "build", "--engine", engine]
        seconds, rss = run_child(worker + ["--data", str(data), "--index", str(folder)], os.cpu_count() or 1)
        stats = {"seconds": seconds, "peak_rss": rss, "bytes": folder_bytes(folder)}
    record.write_text(json.dumps(stats))
    return stats


def query(engine: str, plan: str, data: Path, work: Path, args: argparse.Namespace, threads: int, n: int) -> dict:
    out = work / f"{engine}-{plan or 'default'}-{threads}t.json"
    cmd = [python_for(engine, args.peers_python), str(HERE / "peers_worker.py"), "query", "--engine", engine]
    cmd += ["--plan", plan, "--data", str(data), "--index", str(work / engine), "--threads", str(threads)]
    run_child(cmd + ["--k", str(args.k), "--queries", str(n), "--out", str(out)], threads)
    result: dict = json.loads(out.read_text())
    return result


def measure(name: str, args: argparse.Namespace) -> list[dict]:
    paths = dict(CORPORA[name])
    if name == "scifact" and args.scifact_index:
        paths["index"] = args.scifact_index
    if name == "cranfield" and args.cranfield_index:
        paths["index"] = args.cranfield_index
    ensure_index(name, paths["index"])
    work = args.work / name
    meta = prepare(name, paths, args.work, args.k)
    data = work / "data"
    qrels = load_qrels(paths["qrels"])
    n_tokens, n_lat = meta["stamp"]["n_vectors"], min(args.latency_queries, len(meta["query_ids"]))
    rows = []
    for label, engine, plan in ROWS:
        if args.only and engine not in args.only:
            continue
        print(f"[{name}] {label}: build", flush=True)
        built = build(engine, data, work, args.peers_python, args.rebuild)
        print(f"[{name}] {label}: queries, 1 then 2 threads", flush=True)
        one = query(engine, plan, data, work, args, 1, 0)
        two = query(engine, plan, data, work, args, 2, n_lat)
        q = quality(one["rows"], meta["reference"], meta["query_ids"], meta["docs"], qrels)
        rows.append(
            {
                "row": label,
                "engine": engine,
                "plan": plan,
                "bytes_per_token": built["bytes"] / n_tokens if built["bytes"] is not None else None,
                "build_s": built["seconds"],
                "build_rss_mib": built["peak_rss"] / 2**20,
                "p1": percentiles_ms(one["seconds"][:n_lat]),
                "p2": percentiles_ms(two["seconds"]),
                "ndcg10": q.ndcg10,
                "overlap10": q.overlap10,
                "per_query": q.per_query,
            }
        )
    print_table(name, meta, rows, n_tokens, n_lat)
    return rows


def print_table(name: str, meta: dict, rows: list[dict], n_tokens: int, n_lat: int) -> None:
    st = meta["stamp"]
    print(
        f"\n{name}: {st['n_passages']:,} passages, {n_tokens:,} token vectors, {len(meta['query_ids'])} judged "
        f"queries (latency: the first {n_lat}, each alone); load {os.getloadavg()[0]:.2f}"
    )
    head = f"{'engine / plan':<30} {'B/token':>8} {'build s':>8} {'RSS MiB':>8} {'1T p50/p95 ms':>15} "
    print(head + f"{'2T p50/p95 ms':>15} {'nDCG@10':>8} {'ovl@10':>7}")
    for r in rows:
        built = r["bytes_per_token"] is not None  # maxsim-cpu builds nothing: it scores float32 in memory
        bpt, rss = (f"{r['bytes_per_token']:.1f}", f"{r['build_rss_mib']:.0f}") if built else ("—", "—")
        print(
            f"{r['row']:<30} {bpt:>8} {r['build_s']:>8.1f} {rss:>8} "
            f"{r['p1'][0]:>7.1f}/{r['p1'][1]:<7.1f} {r['p2'][0]:>7.1f}/{r['p2'][1]:<7.1f} "
            f"{r['ndcg10']:>8.4f} {r['overlap10']:>7.3f}"
        )
    kb = meta["kayak_bytes"]
    parts = ", ".join(f"{k}/ {v / n_tokens:.1f}" for k, v in sorted(kb.items()))
    print(f"the ingested index folder, B/token: {parts}; catalog (text, FTS) {meta['catalog_bytes'] / n_tokens:.1f}")
    peers = [r for r in rows if r["engine"] in PEERS]
    if not peers:
        return
    best = {
        "B/token": min(r["bytes_per_token"] for r in peers),
        "build": min(r["build_s"] for r in peers),
        "1T p50": min(r["p1"][0] for r in peers),
        "nDCG@10": max(r["ndcg10"] for r in peers),
    }
    print(f"ours against the best peer (fast-plaid, xtr-warp) on each column: {best}")
    for r in rows:
        if r["engine"].startswith("kayak-"):
            print(
                f"  {r['row']:<28} B/token ×{r['bytes_per_token'] / best['B/token']:.2f}  build "
                f"×{r['build_s'] / best['build']:.3f}  1T p50 ×{r['p1'][0] / best['1T p50']:.2f}  "
                f"nDCG@10 {r['ndcg10'] - best['nDCG@10']:+.4f}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", nargs="+", choices=sorted(CORPORA), default=sorted(CORPORA, reverse=True))
    ap.add_argument("--scifact-index", type=Path)
    ap.add_argument("--cranfield-index", type=Path)
    ap.add_argument("--work", type=Path, default=ROOT / "out" / "peers")
    ap.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"))
    ap.add_argument("--k", type=int, default=100, help="passages each engine returns per query (as `workbench eval`)")
    ap.add_argument("--latency-queries", type=int, default=100)
    ap.add_argument("--only", nargs="*", help="engines to run (default: all)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild indexes kept from an earlier run")
    ap.add_argument("--out", type=Path, help="write every row (per-query nDCG@10 included) here as JSON")
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()}", flush=True)
    results = {name: measure(name, args) for name in args.corpus}
    print(f"load after: {os.getloadavg()}", flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
