"""Regenerate the README screenshots from the real app, at the screen sizes users have.

    .venv/bin/python docs/make_screenshots.py [--index DIR] [--query Q] [--sizes 1366x768,1920x1080,1280x720]
                                              [--plan hybrid] [--verify-k N] [--beir DIR] [--out DIR]
                                              [--qdrant DIR]

For each size, a fresh process opens the window offscreen on a virtual screen of that size, as a first
run (no saved settings, so the window sizes itself to the screen), runs the search, selects the first
hit and saves ``docs/screenshots/window-WxH.png``, then opens that hit in the Document tab (as Enter does)
and saves ``document-WxH.png``. The first size also saves each panel and the
backend comparison, and with ``--beir`` the Evaluate tab run on that BEIR set against exhaustive MaxSim.
``--qdrant``: the index is first exported to a Qdrant local-mode folder there (collection ``screenshots``,
the cluster extra), and the comparison shows Qdrant beside NumPy and Mojo.
``--index`` defaults to the demo index (built here with ``workbench demo`` when it is not yet). 1280×720 stands for the first-run window a window manager had not maximised yet.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "screenshots"
DEFAULT_SIZES = "1366x768,1920x1080,1280x720"
QDRANT_COLLECTION = "screenshots"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--query", default=None, help="default: the demo's opening question")
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated WxH screen sizes")
    ap.add_argument("--plan", default="auto", help="the search bar's plan kind (auto, hybrid, centroid, …)")
    ap.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (default docs/screenshots)")
    ap.add_argument("--verify-k", type=int, default=0, help="the search bar's stage 3 depth (0: off)")
    ap.add_argument("--beir", type=Path, default=None, help="a BEIR set of the index's corpus for the Evaluate tab")
    ap.add_argument("--qdrant", type=Path, default=None, help="a Qdrant local-mode folder to export to and compare")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: render one size here
    ap.add_argument("--parts", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    from workbench.demo import DEMO_QUERY, demo_index_dir

    args.index = args.index or demo_index_dir()
    args.query = args.query or DEMO_QUERY
    if args.one:
        return render(
            args.index, args.query, args.one, args.parts, args.plan, args.out, args.verify_k, args.beir, args.qdrant
        )
    if args.index == demo_index_dir():  # on a fresh machine: build it (a built one is only checked)
        subprocess.check_call(
            [sys.executable, "-m", "workbench.cli", "demo", "--index", str(args.index)], stdout=subprocess.DEVNULL
        )
    if args.qdrant:
        subprocess.check_call(
            [
                sys.executable,
                "-m",
                "workbench.cli",
                "export",
                "--index",
                str(args.index),
                "--qdrant",
                str(args.qdrant),
                "--collection",
                QDRANT_COLLECTION,
                "--quiet",
            ]
        )
    status = 0
    for i, size in enumerate(args.sizes.split(",")):
        status |= render_in_process(
            args.index, args.query, size.strip(), i == 0, args.plan, args.out, args.verify_k, args.beir, args.qdrant
        )
    return status


def render_in_process(
    index: Path,
    query: str,
    size: str,
    parts: bool,
    plan: str,
    out: Path,
    verify_k: int,
    beir: Path | None,
    qdrant: Path | None,
) -> int:
    """Run this script for one screen size on an offscreen screen of exactly that size."""
    width, height = (int(v) for v in size.split("x"))
    screen = {
        "screens": [
            {
                "name": "screen",
                "x": 0,
                "y": 0,
                "width": width,
                "height": height,
                "logicalDpi": 96,
                "logicalBaseDpi": 96,
                "dpr": 1,
            }
        ]
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(screen, f)
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={f.name}")
    cmd = (
        [
            sys.executable,
            __file__,
            "--index",
            str(index),
            "--query",
            query,
            "--one",
            size,
            "--plan",
            plan,
            "--out",
            str(out),
            "--verify-k",
            str(verify_k),
        ]
        + (["--beir", str(beir)] if beir else [])
        + (["--qdrant", str(qdrant)] if qdrant else [])
    )
    try:
        return subprocess.call(cmd + (["--parts"] if parts else []), env=env)
    finally:
        os.unlink(f.name)


def render(
    index: Path,
    query: str,
    size: str,
    parts: bool,
    plan: str,
    out: Path,
    verify_k: int = 0,
    beir: Path | None = None,
    qdrant: Path | None = None,
) -> int:
    """Open the window as on a first run, search, and save the PNGs; 0 when all were saved."""
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.gui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.IniFormat)
    win = MainWindow(index, settings)
    win.show_fitted()
    out.mkdir(parents=True, exist_ok=True)
    kind = win.search_bar.kind.findData(plan)
    if kind < 0:
        raise SystemExit(f"unknown plan {plan!r}")
    win.search_bar.kind.setCurrentIndex(kind)
    win.search_bar.verify_k.setValue(verify_k)
    if qdrant is not None and parts:  # one client may hold a local-mode folder: only the panels' run
        win.compare.qdrant_target.setText(str(qdrant))
        win.compare.qdrant_collection.setText(QDRANT_COLLECTION)
        win.compare.qdrant_on.setChecked(True)
    state = {"code": 1}

    def save_window() -> None:
        state["code"] = 0 if win.grab().save(str(out / f"window-{size}.png")) else 1
        if parts:
            save_panels()
        win.document.page_shown.connect(lambda _page: QTimer.singleShot(300, save_document))
        win.searcher.open_document()  # the selected (first) hit, as Enter in the hit list opens it

    def save_document() -> None:
        if state.get("document") or win.searcher.reader.busy:
            return  # saved already, or the page is rendered again at the zoom that fits the view
        state["document"] = True
        if not win.grab().save(str(out / f"document-{size}.png")):
            state["code"] = 1
        if not parts:
            return finish()
        win.compare_finished.connect(lambda: QTimer.singleShot(300, save_compare))
        win.tabs.setCurrentWidget(win.compare)

    def save_panels() -> None:
        for name, widget in {
            "collection": win.collection_panel,
            "hits": win.hits,
            "heatmap": win.detail.heatmap,
            "passage_and_page": win.detail,
            "stages": win.stages,
        }.items():
            widget.grab().save(str(out / f"{name}.png"))

    def save_compare() -> None:
        win.grab().save(str(out / "compare.png"))
        if beir is None:
            return finish()
        win.tabs.setCurrentWidget(win.evaluation)
        win.evaluation.load_set(beir)
        win.evaluation_finished.connect(lambda: QTimer.singleShot(300, save_evaluation))
        win.evaluation.run_button.click()

    def save_evaluation() -> None:
        win.grab().save(str(out / "evaluate.png"))
        finish()

    def finish() -> None:
        print(f"{size}: saved window-{size}.png, document-{size}.png" + (" and the panels" if parts else ""))
        win.close()
        app.exit(state["code"])

    win.collection_ready.connect(lambda: (win.search_bar.query.setText(query), win.search()))
    win.detail_ready.connect(lambda: QTimer.singleShot(400, save_window))  # pyqtgraph lays out lazily
    win.open_collection()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
