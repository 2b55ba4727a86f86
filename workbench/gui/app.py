"""``workbench gui``: the application object, settings, the demo collection and screenshot mode."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QRect, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from ..platform.user_dirs import config_dir
from .main_window import MainWindow

SCREENSHOT_TIMEOUT_S = 600
SCREENSHOT_SCREEN = (0, 0, 1366, 768)


def settings_store() -> QSettings:
    """Settings in an INI file under the user's config folder (``KAYAK_CONFIG_DIR`` overrides it)."""
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return QSettings(str(folder / "workbench.ini"), QSettings.IniFormat)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def run_gui(
    index: str | None = None, query: str | None = None, screenshot: str | None = None, compare: bool = False
) -> int:
    """Open the window on ``index`` (default: the last one, else the demo collection)."""
    if not has_display():
        print(
            "workbench: no display found (DISPLAY/WAYLAND_DISPLAY unset). Run 'workbench demo' for the "
            "headless demo, or set QT_QPA_PLATFORM=offscreen together with --screenshot.",
            file=sys.stderr,
        )
        return 1
    if os.environ.get("QT_QPA_PLATFORM", "xcb") == "xcb" and os.environ.get("DISPLAY"):
        from ..platform.system_libraries import message, missing_libraries

        missing = missing_libraries()
        if missing:  # Qt would abort with its own plugin error, naming no package
            print(f"workbench: {message(missing)}", file=sys.stderr)
            return 1
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Kayak Workbench")
    settings = settings_store()
    initial: list[str] = []
    if index is None and not settings.value("last_index"):
        from ..demo import DEMO_QUERY, build_demo_pdfs, demo_index_dir

        target = demo_index_dir()
        initial = [str(p) for p in build_demo_pdfs(target.parent / "demo-pdfs")]
        index = str(target)
        query = query or DEMO_QUERY
    window = MainWindow(Path(index or settings.value("last_index")).expanduser(), settings, initial)
    if screenshot:  # the README's screen size, whatever screen (often a small offscreen one) is present
        window.fit_to(QRect(*SCREENSHOT_SCREEN))
        window.show()
    else:
        window.show_fitted()
    if query:
        window.search_bar.query.setText(query)
    else:  # the last query, restored with the window's settings, is searched again once the index is open
        query = window.search_bar.query.text() or None
    if screenshot:
        _arm_screenshot(app, window, Path(screenshot), bool(query), compare)
    else:
        window.collection_ready.connect(lambda: query and not window.ingester.pending and window.search())
        window.ingest_finished.connect(lambda: query and window.result is None and window.search())
    window.open_collection()
    code = app.exec()
    return code


def _arm_screenshot(app: QApplication, window: MainWindow, path: Path, search: bool, compare: bool) -> None:
    """Search once the index is ready, then save the window when the first hit's detail is drawn."""
    state = {"code": 1}

    def start_search() -> None:
        if not window.ingester.running:
            window.search() if search else save()

    def after_detail() -> None:
        if compare:
            window.compare_finished.connect(lambda: QTimer.singleShot(300, save))
            window.tabs.setCurrentIndex(1)
        else:
            QTimer.singleShot(300, save)  # let pyqtgraph finish its deferred layout

    def save() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(path))
        print(f"screenshot {'saved to' if ok else 'FAILED for'} {path}")
        state["code"] = 0 if ok else 1
        window.close()
        app.exit(state["code"])

    def give_up() -> None:
        print(
            f"workbench: screenshot not taken within {SCREENSHOT_TIMEOUT_S} s: {window.status.text()}", file=sys.stderr
        )
        window.close()
        app.exit(1)

    window.collection_ready.connect(lambda: QTimer.singleShot(0, start_search))
    window.ingest_finished.connect(lambda: QTimer.singleShot(0, start_search))
    window.detail_ready.connect(after_detail)
    QTimer.singleShot(SCREENSHOT_TIMEOUT_S * 1000, give_up)
