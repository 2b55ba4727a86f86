#!/usr/bin/env python3
"""The faults harness: kill -9 and a full disk at every marked step of the writers, kills at random moments,
two writers at once, hostile index files and hostile queries — and what each cost.

    .venv/bin/python benchmarks/faults.py [--quick] [--json] [--work DIR]

Every writer step marked by :mod:`workbench.platform.faults` is hit twice in a child process running the
`workbench` command that reaches it (ingest, remove, compact --merge, compact --tier): killed there
(SIGKILL), and failed there with ENOSPC. After each, the index is reopened and checked: every passage committed before is still there (a
removal that committed is the one expected change), a search runs, and the next ingest works. Then an
ingest is killed at random moments; two CLI ingests run at once; six kinds of damaged index files are
searched through the CLI; and a query fuzzer runs hostile queries through the Python API (every plan ×
backend, Qdrant's local mode included when installed), the CLI and the window's search box (offscreen).

It prints: cases tried, committed passages lost, indexes that failed to reopen, and tracebacks or
library messages shown to the user — each should be 0 (and it checks that every armed step was reached).
``--quick`` runs a kill or a full disk for each kind of writer, half the damaged files and fewer queries
through the CLI and the window (the test suite runs it: ``tests/test_faults.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.platform.faults import ENV, STEPS  # noqa: E402

TOPICS = {
    "volcano.txt": "Volcanoes erupt when magma rises through the crust. Lava and ash escape from vents.",
    "tides.txt": "Tides follow the moon. Spring tides are higher than neap tides when sun and moon align.",
    "bread.txt": "Sourdough bread rises because wild yeast ferments the dough overnight in a warm kitchen.",
}
MORE = {
    f"more-{i}.txt": f"Report {i}: "
    + " ".join(
        [
            "Glaciers carve valleys as ice grinds the rock beneath it.",
            "Coral reefs grow from the skeletons of tiny animals in warm seas.",
            "Coffee beans are roasted until their sugars caramelise.",
            "Earthquakes release stress where tectonic plates lock together.",
        ][i % 4 :]
    )
    * 3
    for i in range(16)
}
# The `workbench` command that reaches each step ({index}, {docs}: the case's index and the documents).
GROW = ["ingest", "{docs}/more", "--index", "{index}", "--quiet"]
OPERATIONS = {
    "ingest.segment-written": GROW,
    "ingest.committed": GROW,
    "lists.written": GROW,
    "centroids.version-written": GROW,  # fourfold growth: the ingest retrains the centroids at its end
    "centroids.manifest-set": GROW,
    "remove.tombstoned": ["remove", "{docs}/base/tides.txt", "--index", "{index}"],
    "merge.segment-written": ["compact", "--index", "{index}", "--merge"],
    "merge.lists-written": ["compact", "--index", "{index}", "--merge"],
    "merge.committed": ["compact", "--index", "{index}", "--merge"],
    "convert.segments-written": ["compact", "--index", "{index}", "--tier", "compact-2"],
    "convert.committed": ["compact", "--index", "{index}", "--tier", "compact-2"],
}
QUICK = (  # a kill and a full disk for each kind of writer, as few as that takes
    ("ingest.committed", "kill"),
    ("remove.tombstoned", "kill"),
    ("merge.segment-written", "enospc"),
    ("centroids.version-written", "kill"),
    ("convert.segments-written", "enospc"),
)
QUERIES = [
    "",
    "   \t\n ",
    "tides " * 20_000,  # 120 KB
    "\x00\x01\x02 lava \x1b[31m",
    "\ud800 lone surrogate \udfff",
    'OR OR "" - -- " NOT AND ( ) * ^ : NEAR',
    '-lava -"magma"',
    "the of and a to in",
    "\u202e\u200f\u200e tides \u202c",
    "\ufeff\u00ad\u200b",
    "كَتَبَ الطَّالِبُ",
    "火山の溶岩",
    '"unclosed phrase',
    "folder:/etc/passwd type:pdf",
]
# What a plain message is not: a library's words reaching the user.
LIBRARY = re.compile(
    r"Traceback|File \"|sqlite3\.|fts5|syntax error|broadcast|operands|dtype|ndarray|NoneType|object has no"
    r"|index \d+ is out of bounds|KeyError|AttributeError|TypeError|IndexError|UnicodeEncodeError|surrogates",
)


@dataclass
class Tally:
    cases: int = 0
    lost: int = 0  # committed passages missing afterwards
    unopenable: int = 0  # indexes that failed to reopen, search or take the next ingest
    shown: int = 0  # tracebacks or library messages shown to the user
    unreached: int = 0  # armed steps the operation never reached (the harness's own check)
    failures: list[str] = field(default_factory=list)

    def fail(self, kind: str, case: str, detail: str, count: int = 1) -> None:
        setattr(self, kind, getattr(self, kind) + count)
        self.failures.append(f"{kind}: {case}: {detail[:300]}")


def write_docs(folder: Path, docs: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text)
    return [folder / n for n in docs]


def passages(root: Path) -> dict[int, str]:
    from workbench.store import IndexStore

    store = IndexStore.open(root, read_only=True)
    with store.catalog.snapshot() as db:
        return dict(db.execute("SELECT id, text FROM passages WHERE deleted = 0").fetchall())


def run_child(args: list[str], index: Path, docs: Path, env: dict[str, str], timeout: float = 600):
    """``workbench args…`` in a child process; returns (returncode, stderr)."""
    argv = [sys.executable, "-m", "workbench.cli", *(a.format(index=index, docs=docs) for a in args)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    return done.returncode, done.stderr


def check_after(t: Tally, case: str, index: Path, before: dict[int, str], may_lose: set[int], coll_open) -> None:
    """Reopen ``index``: nothing committed lost (but ``may_lose``), a search runs, the next ingest works."""
    from workbench.core import exhaustive_search_plan

    try:
        after = passages(index)
        coll = coll_open(index)
        coll.search("tides and the moon", exhaustive_search_plan(final_k=3))
    except Exception as exc:  # noqa: BLE001 — counted, not raised
        t.fail("unopenable", case, f"{type(exc).__name__}: {exc}")
        return
    missing = [pid for pid, text in before.items() if after.get(pid) != text and pid not in may_lose]
    if missing:
        t.fail("lost", case, f"{len(missing)} committed passages missing", len(missing))
    try:
        extra = write_docs(index.parent / f"{index.name}-next", {"next.txt": "A next ingest after the fault works."})
        if not coll.ingest(extra).ok:
            raise RuntimeError("the next ingest did not index its file")
    except Exception as exc:  # noqa: BLE001
        t.fail("unopenable", case, f"next ingest: {type(exc).__name__}: {exc}")


def shown(t: Tally, case: str, stderr: str) -> None:
    if LIBRARY.search(stderr):
        t.fail("shown", case, stderr.strip().splitlines()[-1] if stderr.strip() else stderr)


def faults_at_steps(t: Tally, base: Path, docs: Path, work: Path, quick: bool, coll_open) -> None:
    cases = QUICK if quick else [(step, mode) for step in STEPS for mode in ("kill", "enospc")]
    for step, mode in cases:
        case = f"{step}:{mode}"
        index = work / case.replace(":", "-").replace(".", "_")
        shutil.copytree(base, index)
        before = passages(index)
        code, err = run_child(OPERATIONS[step], index, docs, {**os.environ, ENV: case})
        t.cases += 1
        # Reached: killed there, or the full disk said — as the injected error, or as the plain "the disk
        # holding … is full" an ingest turns it into.
        full = f"injected at {step}" in err or "is full" in err
        if (mode == "kill" and code != -9) or (mode == "enospc" and not full):
            t.fail("unreached", case, f"exit code {code}: {err.strip()[-200:]}")
        if mode == "enospc":
            shown(t, case, err)
        removed = (
            {pid for pid, text in before.items() if text.startswith("Tides")} if step.startswith("remove") else set()
        )
        check_after(t, case, index, before, removed, coll_open)


def random_kills(t: Tally, base: Path, docs: Path, work: Path, n: int, coll_open) -> None:
    rng = random.Random(7)
    for k in range(n):
        index = work / f"random-{k}"
        shutil.copytree(base, index)
        before = passages(index)
        argv = [sys.executable, "-m", "workbench.cli", "ingest", str(docs / "more"), "--index", str(index), "--quiet"]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        time.sleep(rng.uniform(3.0, 14.0))  # the model loads in a few seconds; the ingest follows
        proc.kill()
        proc.wait()
        t.cases += 1
        check_after(t, f"random kill {k}", index, before, set(), coll_open)


def two_writers(t: Tally, base: Path, docs: Path, work: Path, coll_open) -> None:
    index = work / "two-writers"
    shutil.copytree(base, index)
    before = passages(index)
    argv = [sys.executable, "-m", "workbench.cli", "ingest", "{}", "--index", str(index), "--quiet"]
    procs = [
        subprocess.Popen([a.format(docs / d) for a in argv], stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for d in ("more", "two")
    ]
    errs = [p.communicate()[1] for p in procs]
    t.cases += 1
    for err in errs:
        shown(t, "two writers", err)
    check_after(t, "two writers", index, before, set(), coll_open)


def hostile_files(t: Tally, base: Path, work: Path, quick: bool) -> None:
    def truncate_segment(ix: Path) -> None:
        seg = next((ix / "segments").iterdir())
        seg.write_bytes(seg.read_bytes()[: seg.stat().st_size // 2])

    def garble_catalog(ix: Path) -> None:
        data = bytearray((ix / "catalog.sqlite").read_bytes())
        data[len(data) // 2 : len(data) // 2 + 4096] = os.urandom(4096)
        (ix / "catalog.sqlite").write_bytes(bytes(data))

    def future_version(ix: Path) -> None:
        import sqlite3

        with sqlite3.connect(ix / "catalog.sqlite") as db:
            db.execute("UPDATE manifest SET value = '99' WHERE key = 'format_version'")

    def linked_segments(ix: Path) -> None:
        shutil.rmtree(ix / "segments")
        (ix / "segments").symlink_to("/etc")

    def garbled_lists(ix: Path) -> None:
        for f in (ix / "centroids").rglob("lists-*"):
            f.write_bytes(os.urandom(f.stat().st_size))

    def garbled_codec(ix: Path) -> None:
        for f in (ix / "centroids").rglob("codec.npy"):
            f.write_bytes(b"\x93NUMPY" + os.urandom(200))

    damages = [truncate_segment, garble_catalog, future_version, linked_segments, garbled_lists, garbled_codec]
    for damage in damages[::2] if quick else damages:
        index = work / f"hostile-{damage.__name__}"
        shutil.copytree(base, index)
        damage(index)
        done = subprocess.run(
            [sys.executable, "-m", "workbench.cli", "search", "tides", "--index", str(index)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        t.cases += 1
        shown(t, f"hostile {damage.__name__}", done.stderr + done.stdout)
        if done.returncode not in (0, 1, 2):
            t.fail("shown", f"hostile {damage.__name__}", f"exit code {done.returncode}")


def fuzz_api(t: Tally, coll, queries: list[str]) -> None:
    from workbench.core import (
        MOJO_EXACT_CPU_BACKEND,
        NUMPY_REFERENCE_BACKEND,
        auto_search_plan,
        centroid_search_plan,
        document_proxy_search_plan,
        exhaustive_search_plan,
        hybrid_search_plan,
    )

    plans = [
        auto_search_plan(),
        exhaustive_search_plan(),
        centroid_search_plan(final_k=5, candidate_k=10),
        document_proxy_search_plan(final_k=5, candidate_k=10),
        hybrid_search_plan(final_k=5, candidate_k=10),
    ]
    for q in queries:
        for plan in plans:
            for backend in (NUMPY_REFERENCE_BACKEND, MOJO_EXACT_CPU_BACKEND):
                t.cases += 1
                case = f"api {plan.kind}/{backend} {q[:20]!r}"
                try:
                    coll.search(q, plan, backend)
                except ValueError as exc:
                    if LIBRARY.search(str(exc)):
                        t.fail("shown", case, str(exc))
                except Exception as exc:  # noqa: BLE001 — anything else reaches the user as a library error
                    t.fail("shown", case, f"{type(exc).__name__}: {exc}")


def fuzz_qdrant(t: Tally, coll, queries: list[str], work: Path) -> None:
    try:
        from workbench.cluster.qdrant_export import iter_export
        from workbench.cluster.qdrant_schema import connect
        from workbench.cluster.qdrant_search import qdrant_search
        from workbench.core import auto_search_plan, exhaustive_search_plan
        from workbench.core.generators import run_to_end
    except ImportError:
        return
    try:
        client = connect(str(work / "qdrant"))
    except Exception:  # noqa: BLE001 — qdrant-client not installed: the cluster extra is optional
        return
    run_to_end(iter_export(coll, client, "fuzz"))
    index = coll.late_index()
    for q in queries:
        for plan in (auto_search_plan(final_k=5, candidate_k=10), exhaustive_search_plan(final_k=5)):
            t.cases += 1
            case = f"qdrant {plan.kind} {q[:20]!r}"
            try:
                qdrant_search(coll.encode_query(q), index, client, "fuzz", plan)
            except ValueError as exc:
                if LIBRARY.search(str(exc)):
                    t.fail("shown", case, str(exc))
            except Exception as exc:  # noqa: BLE001
                t.fail("shown", case, f"{type(exc).__name__}: {exc}")


def fuzz_cli(t: Tally, index: Path, queries: list[str]) -> None:
    for q in queries:
        # As a terminal passes them: bytes, where a lone surrogate is invalid UTF-8 (an argv holds no NUL).
        arg = q.replace("\x00", "").encode("utf-8", "surrogatepass")
        done = subprocess.run(
            [sys.executable.encode(), b"-m", b"workbench.cli", b"search", arg, b"--index", bytes(index), b"--json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        t.cases += 1
        shown(t, f"cli {q[:20]!r}", done.stderr)
        if done.returncode not in (0, 1, 2):
            t.fail("shown", f"cli {q[:20]!r}", f"exit code {done.returncode}")


def fuzz_gui(t: Tally, index: Path, queries: list[str], work: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
    except ImportError:
        return
    from workbench.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    escaped: list[str] = []
    old_hook = sys.excepthook
    sys.excepthook = lambda kind, exc, tb: escaped.append(f"{kind.__name__}: {exc}")
    win = MainWindow(index, QSettings(str(work / "gui.ini"), QSettings.Format.IniFormat))
    win.show()
    win.open_collection()
    _wait(app, lambda: win.coll is not None, 120)
    try:
        for q in queries:
            t.cases += 1
            win.status.setText("")
            win.search_bar.query.setText(q)
            win.search_bar.query.returnPressed.emit()
            asked = time.monotonic()
            while time.monotonic() - asked < 60:  # until the search says how it ended
                app.processEvents()
                said = win.status.text()
                if (said and "searching" not in said) or (not said and time.monotonic() - asked > 2):
                    break  # (a query with nothing to search may say nothing)
                time.sleep(0.02)
            text = win.status.text()
            if LIBRARY.search(text):
                t.fail("shown", f"gui {q[:20]!r}", text)
            for e in escaped:
                t.fail("shown", f"gui {q[:20]!r}", e)
            escaped.clear()
    finally:
        win.shutdown()
        sys.excepthook = old_hook


def _wait(app, ready, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not ready():
        app.processEvents()
        time.sleep(0.02)


def run(quick: bool, work: Path) -> Tally:
    from workbench.collection import Collection

    docs = work / "docs"
    base_docs = write_docs(docs / "base", TOPICS)
    write_docs(docs / "more", MORE)
    write_docs(docs / "two", {f"two-{i}.txt": f"Second writer's note {i} on harbour pilots." for i in range(4)})
    base = work / "base.kayak"
    coll = Collection.open(base, create=True)
    assert coll.ingest(base_docs[:2]).ok and coll.ingest(base_docs[2:]).ok  # two segments, centroids trained
    opened: dict[Path, Collection] = {}

    def coll_open(index: Path) -> Collection:
        return opened.setdefault(index, Collection.open(index, encoder=coll.encoder))

    t = Tally()
    faults_at_steps(t, base, docs, work, quick, coll_open)
    random_kills(t, base, docs, work, 1 if quick else 4, coll_open)
    two_writers(t, base, docs, work, coll_open)
    hostile_files(t, base, work, quick)
    queries = QUERIES[:6] + QUERIES[8:9] if quick else QUERIES
    fuzz_api(t, coll, queries)
    fuzz_qdrant(t, coll, queries, work)
    fuzz_cli(t, base, queries if not quick else queries[2:5])
    fuzz_gui(t, base, queries if not quick else queries[2:5], work)
    return t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one kill and one full disk per writer, fewer queries")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--work", type=Path, help="folder for the indexes (default: a new temporary folder)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="kayak-faults-"))
    started = time.perf_counter()
    t = run(args.quick, work)
    out = {
        "cases": t.cases,
        "committed_passages_lost": t.lost,
        "indexes_failed_to_reopen": t.unopenable,
        "tracebacks_or_library_messages_shown": t.shown,
        "steps_not_reached": t.unreached,
        "seconds": round(time.perf_counter() - started),
        "failures": t.failures,
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(
            f"faults: {t.cases} cases in {out['seconds']} s — committed passages lost {t.lost}, indexes that "
            f"failed to reopen {t.unopenable}, tracebacks or library messages shown {t.shown}"
        )
        for line in t.failures:
            print("  " + line)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if t.lost == t.unopenable == t.shown == t.unreached == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
