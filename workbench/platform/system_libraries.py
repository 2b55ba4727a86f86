"""Does this machine have the shared libraries the Qt window needs? (Checked before Qt is imported.)

Qt's own failure is a multi-line plugin error that names one library and no package. This module asks
``ldd`` which libraries of the xcb platform plugin do not resolve and answers with the one
``apt-get install`` line of ``packaging/qt-packages.txt`` (the same list the ``.deb`` depends on).

    python -m workbench.platform.system_libraries [--install]   # exit 0: all resolve (or were installed), 1: missing
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES_FILE = Path(__file__).resolve().parents[2] / "packaging" / "qt-packages.txt"


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin (``libqxcb.so``), without importing Qt."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path | None = None) -> list[str]:
    """Sonames the plugin needs that the dynamic loader cannot find (``[]`` when all resolve, or when
    there is no plugin or no ``ldd`` to ask)."""
    plugin = plugin or xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None:
        return []
    out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True).stdout
    return sorted({line.split("=>")[0].strip() for line in out.splitlines() if "not found" in line})


def packages() -> list[str]:
    """The Debian/Ubuntu packages of the Qt libraries (one list, shared with the ``.deb``)."""
    lines = PACKAGES_FILE.read_text().splitlines() if PACKAGES_FILE.is_file() else []
    return [p.strip() for p in lines if p.strip() and not p.startswith("#")]


def install_line() -> str:
    names = packages()
    return (
        ("sudo apt-get install " + " ".join(names))
        if names
        else "your distribution's packages for Qt 6's xcb platform plugin (libxcb-cursor0 and the other libxcb-* libraries)"
    )


def message(missing: list[str]) -> str:
    return (
        f"the Qt window needs system libraries that are missing ({', '.join(missing)}); install them with: "
        f"{install_line()}"
    )


def install() -> bool:
    """Install the packages with apt-get where this process can (root, apt-get present)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet = {"stdout": subprocess.DEVNULL, "env": env}
    if subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages()], **quiet).returncode:
        subprocess.run(["apt-get", "update", "-qq"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages()], **quiet)
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    missing = missing_libraries()
    if missing and "--install" in args and install():
        missing = missing_libraries()
    if missing:
        print(f"workbench: {message(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
