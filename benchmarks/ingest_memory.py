"""Peak memory of a real ``workbench ingest`` (the CLI, default encoder and runtime) in a child process.

    .venv/bin/python benchmarks/ingest_memory.py PATH [PATH ...] [--index DIR] [--keep]
    .venv/bin/python benchmarks/ingest_memory.py PATH [PATH ...] --runtimes torch,onnx [--rounds 2]
    .venv/bin/python benchmarks/ingest_memory.py --make-pdfs 500 /tmp/mem500   # then measure that folder

Prints the child's peak resident set (``ru_maxrss`` from ``wait4``: the ingest alone, not this script),
its resident set sampled every half second (does it grow with the passages?), the passages the index
holds afterwards, the wall time, passages per second and the machine's load average before and after
(on a shared machine the throughput moves with the load; the peak much less). The index is made in a
fresh temporary folder and removed unless ``--keep``. ``--runtimes torch,onnx`` runs the whole ingest once per
encoder runtime (``KAYAK_ENCODER_RUNTIME``) and round, alternating their order, into fresh indexes, and prints
each one's passages per second, with the model load and without it (the CLI's "throughput" line: parsing,
encoding, writing, merges and training), and their ratios: the whole-ingest speed-up. ``--make-pdfs N FOLDER`` writes N ten-page PDFs of
real English (standard-library docstrings, :func:`workbench.measure.bench_corpus.write_pdfs`) instead.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SAMPLE_S = 0.5
THROUGHPUT = re.compile(r"throughput: [\d,]+ passages in [\d.]+ s \(([\d,.]+)/s\)")


def rss_mb(pid: int) -> float | None:
    """``VmRSS`` of process ``pid`` in MB, ``None`` once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure(paths: list[str], index: Path, runtime: str | None = None) -> dict:
    """Run ``workbench ingest PATHS --index INDEX --quiet`` in a child (with ``KAYAK_ENCODER_RUNTIME=runtime``
    when given); its peak RSS (MB), RSS samples ``[(seconds, MB)]``, wall seconds, exit status and the load
    average before and after."""
    load_before = os.getloadavg()[0]
    cmd = [sys.executable, "-m", "workbench.cli", "ingest", *paths, "--index", str(index), "--quiet"]
    env = {**os.environ, **({"KAYAK_ENCODER_RUNTIME": runtime} if runtime else {})}
    t0 = time.monotonic()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    samples: list[tuple[float, float]] = []

    def sample() -> None:
        while (mb := rss_mb(child.pid)) is not None and child.returncode is None:
            samples.append((time.monotonic() - t0, mb))
            time.sleep(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    sampler.join()
    return {
        "peak_mb": usage.ru_maxrss / 1024,  # kB on Linux
        "samples": samples,
        "wall_s": wall,
        "rc": child.returncode,
        "output": output,
        "load": (load_before, os.getloadavg()[0]),
    }


def passages_in(index: Path) -> int:
    from workbench.store import IndexStore

    store = IndexStore.open(index, read_only=True)
    try:
        return store.catalog.counts()["passages"]
    finally:
        store.catalog.close()


def make_pdfs(n: int, folder: Path) -> None:
    from workbench.ingest import approx_token_counts
    from workbench.measure.bench_corpus import page_texts, write_pdfs

    write_pdfs(folder, page_texts(approx_token_counts, n * 10, seed=26), "doc", pages_per_pdf=10)
    print(f"wrote {n} PDFs of 10 pages to {folder}")


def compare_runtimes(paths: list[str], runtimes: list[str], rounds: int, work: Path) -> None:
    """Whole ingests of ``paths`` per runtime, ``rounds`` each in alternating order; prints the rates and ratios."""
    rates: dict[str, list[float]] = {r: [] for r in runtimes}
    peaks: dict[str, list[float]] = {r: [] for r in runtimes}
    ingest: dict[str, list[float]] = {r: [] for r in runtimes}
    for k in range(rounds):
        for runtime in runtimes if k % 2 == 0 else runtimes[::-1]:
            index = work / f"{runtime}-{k}"
            r = measure(paths, index, runtime)
            if r["rc"] != 0:
                print(r["output"][-3000:])
                sys.exit(f"the {runtime} ingest exited with status {r['rc']}")
            rates[runtime].append(passages_in(index) / r["wall_s"])
            peaks[runtime].append(r["peak_mb"])
            inside = THROUGHPUT.search(r["output"])  # the CLI's own figure: model load and start-up left out
            ingest[runtime].append(float(inside.group(1).replace(",", "")) if inside else float("nan"))
            print(
                f"  round {k + 1} {runtime}: {rates[runtime][-1]:.1f} passages/s, peak RSS {r['peak_mb']:,.0f} MB, "
                f"load {r['load'][0]:.1f}→{r['load'][1]:.1f}"
            )
            shutil.rmtree(index, ignore_errors=True)
    base = runtimes[0]
    for runtime in runtimes:
        best, inner = max(rates[runtime]), max(ingest[runtime])
        print(
            f"{runtime:<6} best {best:.1f} passages/s with model load ({best / max(rates[base]):.2f}× {base}), "
            f"{inner:.1f} without ({inner / max(ingest[base]):.2f}×), peak RSS {max(peaks[runtime]):,.0f} MB"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--index", type=Path, help="index folder to create (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the index")
    ap.add_argument("--make-pdfs", nargs=2, metavar=("N", "FOLDER"), help="write N ten-page PDFs and stop")
    ap.add_argument("--runtimes", help="compare whole ingests per encoder runtime, e.g. torch,onnx")
    ap.add_argument("--rounds", type=int, default=2, help="with --runtimes: ingests per runtime")
    args = ap.parse_args()
    if args.make_pdfs:
        make_pdfs(int(args.make_pdfs[0]), Path(args.make_pdfs[1]))
        return
    if not args.paths:
        ap.error("give the files or folders to ingest")
    work = Path(tempfile.mkdtemp(prefix="ingest-memory-"))
    if args.runtimes:
        try:
            compare_runtimes(args.paths, args.runtimes.split(","), args.rounds, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    index = args.index or work / "index"
    try:
        r = measure(args.paths, index)
        if r["rc"] != 0:
            print(r["output"][-3000:])
            sys.exit(f"the ingest exited with status {r['rc']}")
        n = passages_in(index)
        size = sum(
            f.stat().st_size
            for p in map(Path, args.paths)
            for f in ([p] if p.is_file() else p.rglob("*"))
            if f.is_file()
        )
        print(f"input: {', '.join(args.paths)} ({size / 1e6:.1f} MB); {n:,} passages indexed")
        print(f"wall {r['wall_s']:.1f} s, {n / r['wall_s']:.1f} passages/s (model load included)")
        print(f"peak RSS {r['peak_mb']:,.0f} MB; load average {r['load'][0]:.2f} before, {r['load'][1]:.2f} after")
        if r["samples"]:
            marks = [r["samples"][int(q * (len(r["samples"]) - 1))] for q in (0.1, 0.25, 0.5, 0.75, 1.0)]
            top = max(r["samples"], key=lambda s: s[1])
            print("RSS over the run: " + ", ".join(f"{t:.0f} s {mb:,.0f} MB" for t, mb in marks))
            print(f"largest sample: {top[1]:,.0f} MB at {top[0]:.0f} s")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
