"""Ingest on Ray beside a local ingest, on this machine: passages per second with 1 and 2 Ray workers.

    .venv/bin/python benchmarks/ray_ingest.py [--pages 1200] [--work DIR]

The corpus is ``--pages`` one-passage pages of English (Python docstrings) in 10-page PDFs. Each
configuration ingests it into a fresh index with the real default encoder: local (this process, torch
on every core), a local Ray cluster with 1 worker, with 2 workers, then local again to show the drift.
For each: the start-up (local: a fresh process importing torch and loading the model; Ray: starting the
cluster until the first worker has loaded its encoder), the seconds from then to the commit, and passages per second over both. Ratios
are to the mean of the two local runs. The Ray outputs are compared with the local one: texts exactly, vectors value by value.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from workbench.cluster.ray_ingest import RayEncoding
from workbench.collection import Collection
from workbench.encode import Encoder
from workbench.measure.bench_corpus import page_texts, write_pdfs

HERE = Path(__file__).resolve().parent


def ingest(corpus: Path, index: Path, encoder: Encoder, workers: int | None) -> dict:
    """One ingest into a fresh ``index``; seconds to the first file sent, from there to the commit."""
    shutil.rmtree(index, ignore_errors=True)
    coll = Collection.open(index, create=True, encoder=encoder)
    if workers is None:
        # what a local ingest pays before its first file: a fresh process importing torch and loading the model
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from workbench.encode import Encoder; Encoder()"], check=True)
        startup = time.perf_counter() - t
        coll = Collection.open(index, encoder=encoder)
        encoding = None
    else:
        coll = Collection.open(index)  # the driver loads no encoder: its workers do
        encoding = RayEncoding(address="local", workers=workers)
    t0 = time.perf_counter()
    first = None
    passages = 0
    for ev in coll.iter_ingest([corpus], encoding=encoding):
        if first is None and ev.status == "encoding":
            first = time.perf_counter()
        if ev.status == "committed":
            passages = ev.passages
            break
    end = time.perf_counter()
    if workers is not None:
        startup = first - t0
    work = end - (first if workers is not None else t0)
    return {"startup_s": startup, "work_s": work, "passages": passages, "coll": Collection.open(index)}


def vectors_by_passage(coll: Collection) -> dict:
    index = coll.late_index()
    infos = index.catalog.describe(index.passage_ids.tolist())
    return {
        (Path(i.path).name, i.ordinal): (i.text, np.asarray(index.vectors[s : s + n]))
        for i, s, n in zip(infos, index.starts, index.lengths)
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1200)
    ap.add_argument("--work", type=Path, default=HERE.parent / "out" / "ray_ingest")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    encoder = Encoder()
    corpus = args.work / "corpus"
    if not corpus.exists() or len(list(corpus.glob("*.pdf"))) * 10 != args.pages:
        shutil.rmtree(corpus, ignore_errors=True)
        corpus.mkdir(parents=True)
        write_pdfs(corpus, page_texts(encoder.count_tokens, args.pages, seed=7), "doc", pages_per_pdf=10)
    import torch

    print(
        f"{args.pages} pages in {len(list(corpus.glob('*.pdf')))} PDFs; {os.cpu_count()} CPUs; local torch "
        f"threads {torch.get_num_threads()}; Ray workers 1 thread each"
    )
    runs = {}
    for name, workers in [("local", None), ("ray 2 workers", 2), ("ray 1 worker", 1), ("local again", None)]:
        runs[name] = ingest(corpus, args.work / name.replace(" ", "_"), encoder, workers)
        r = runs[name]
        print(
            f"  {name:14s} start-up {r['startup_s']:5.1f} s, then {r['passages']} passages in {r['work_s']:6.1f} s",
            flush=True,
        )
    local_rate = np.mean([runs[n]["passages"] / runs[n]["work_s"] for n in ("local", "local again")])
    local_total = np.mean(
        [runs[n]["passages"] / (runs[n]["work_s"] + runs[n]["startup_s"]) for n in ("local", "local again")]
    )
    print(
        f"\n{'':14s} {'passages/s after start-up':>26s} {'× local':>8s} {'passages/s with start-up':>25s} {'× local':>8s}"
    )
    for name, r in runs.items():
        rate = r["passages"] / r["work_s"]
        total = r["passages"] / (r["work_s"] + r["startup_s"])
        print(f"{name:14s} {rate:26.1f} {rate / local_rate:8.2f} {total:25.1f} {total / local_total:8.2f}")
    want = vectors_by_passage(runs["local"]["coll"])
    for name in ("ray 2 workers", "ray 1 worker"):
        got = vectors_by_passage(runs[name]["coll"])
        same_text = got.keys() == want.keys() and all(got[k][0] == want[k][0] for k in want)
        diffs = [np.abs(got[k][1].astype(np.float32) - want[k][1].astype(np.float32)) for k in want if k in got]
        changed = sum(int((d > 0).sum()) for d in diffs)
        print(
            f"{name}: {len(got)} passages, texts and tokens {'identical' if same_text else 'DIFFERENT'}; "
            f"{changed:,} of {sum(d.size for d in diffs):,} vector values differ, by at most "
            f"{max(float(d.max()) for d in diffs):.1e}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
