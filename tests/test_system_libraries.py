"""The set-up and `workbench gui` name the one apt-get line when Qt's xcb plugin lacks a library."""

from __future__ import annotations

import os
import subprocess
import sys

from workbench.platform import system_libraries


def test_a_missing_library_gives_the_apt_line(tmp_path):
    fake_ldd = tmp_path / "bin" / "ldd"  # what ldd prints on a machine without libxcb-cursor0
    fake_ldd.parent.mkdir()
    fake_ldd.write_text(
        "#!/bin/sh\necho '\tlibxcb-cursor.so.0 => not found'\n"
        "echo '\tlibxcb1.so.1 => /lib/x86_64-linux-gnu/libxcb1.so.1 (0x0001)'\n"
    )
    fake_ldd.chmod(0o755)
    env = dict(os.environ, PATH=f"{fake_ldd.parent}:{os.environ['PATH']}")
    out = subprocess.run(
        [sys.executable, "-m", "workbench.platform.system_libraries"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 1
    assert "missing (libxcb-cursor.so.0)" in out.stderr
    assert "sudo apt-get install libgl1 " in out.stderr and "libxcb-cursor0" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    gui = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "gui"],
        capture_output=True,
        text=True,
        env={**env, "DISPLAY": ":99", "QT_QPA_PLATFORM": "xcb"},
    )
    assert gui.returncode == 1 and "sudo apt-get install" in gui.stderr and "qt.qpa" not in gui.stderr


def test_the_one_list_serves_setup_and_the_deb():
    names = system_libraries.packages()
    assert "libxcb-cursor0" in names and all(" " not in n for n in names)
    build = (system_libraries.PACKAGES_FILE.parent / "build.sh").read_text()
    assert "packaging/qt-packages.txt" in build and "libxcb-cursor0" not in build  # not listed twice
    assert system_libraries.missing_libraries() == []  # this machine (and CI) has them all
