"""Regenerate the README screenshots from the real app: the window and each of its parts.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py [--index DIR] [--query Q]

Opens the demo index (built by ``workbench gui`` or ``workbench demo`` on first run) unless ``--index``
is given, runs the search, selects the first hit, runs the backend comparison and saves PNGs of the
whole window and of each panel under ``docs/screenshots/``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from workbench.demo import demo_index_dir  # noqa: E402
from workbench.gui.main_window import MainWindow  # noqa: E402

OUT = Path(__file__).resolve().parent / "screenshots"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=demo_index_dir())
    ap.add_argument("--query", default="what collapses in single-vector retrieval")
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.IniFormat)
    win = MainWindow(args.index, settings)
    win.resize(1680, 1050)
    win.show()
    OUT.mkdir(parents=True, exist_ok=True)

    def save_parts() -> None:
        parts = {"window": win, "collection": win.collection_panel, "hits": win.hits,
                 "heatmap": win.detail.heatmap, "passage_and_page": win.detail, "stages": win.stages}
        for name, widget in parts.items():
            widget.grab().save(str(OUT / f"{name}.png"))
        win.compare_finished.connect(lambda: QTimer.singleShot(300, finish))
        win.tabs.setCurrentIndex(1)

    def finish() -> None:
        win.grab().save(str(OUT / "compare.png"))
        print(f"saved {len(list(OUT.glob('*.png')))} screenshots to {OUT}")
        win.close()
        app.exit(0)

    win.collection_ready.connect(lambda: (win.search_bar.query.setText(args.query), win.search()))
    win.detail_ready.connect(lambda: QTimer.singleShot(400, save_parts))
    win.open_collection()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
