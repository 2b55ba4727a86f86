"""Render assets/kayak-workbench.svg to PNGs with Qt:  python render_icon.py OUT_DIR SIZE...

Writes OUT_DIR/<size>x<size>/apps/kayak-workbench.png (the hicolor icon-theme layout)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SVG = Path(__file__).resolve().parent.parent / "assets" / "kayak-workbench.svg"


def main() -> int:
    out, sizes = Path(sys.argv[1]), [int(s) for s in sys.argv[2:]]
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"render_icon: cannot read {SVG}", file=sys.stderr)
        return 1
    for size in sizes:
        image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
        image.fill(Qt.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = out / f"{size}x{size}" / "apps" / "kayak-workbench.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target)):
            print(f"render_icon: cannot write {target}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
