"""'Open at page in viewer' says what really happened: never a success when nothing could open the file."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")
from workbench.gui import page_view  # noqa: E402


@pytest.fixture
def no_page_viewer(monkeypatch):
    monkeypatch.setattr(page_view.shutil, "which", lambda exe: None)


def test_no_launcher_is_said_plainly_with_what_to_install(no_page_viewer, monkeypatch):
    opened = []
    monkeypatch.setattr(page_view.QDesktopServices, "openUrl", lambda url: opened.append(url) or False)
    said = page_view.open_at_page(Path("/papers/a.pdf"), 3)
    assert opened and opened[0].toLocalFile() == "/papers/a.pdf"
    assert said.startswith("could not open a.pdf") and "opened" not in said.replace("could not open", "")
    assert "install a PDF viewer" in said and "xdg-utils" in said


def test_the_default_viewer_counts_only_when_qt_says_it_started(no_page_viewer, monkeypatch):
    monkeypatch.setattr(page_view.QDesktopServices, "openUrl", lambda url: True)
    assert (
        page_view.open_at_page(Path("/papers/a.pdf"), 3)
        == "opened a.pdf in the default viewer (it may not jump to page 3)"
    )
    assert page_view.open_at_page(Path("/papers/a.pdf"), None) == "opened a.pdf in the default viewer"


def test_a_page_viewer_that_will_not_start_is_named_and_the_next_tried(monkeypatch):
    monkeypatch.setattr(page_view.shutil, "which", lambda exe: f"/usr/bin/{exe}" if exe == "evince" else None)

    def broken(argv, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(page_view.subprocess, "Popen", broken)
    monkeypatch.setattr(page_view.QDesktopServices, "openUrl", lambda url: False)
    said = page_view.open_at_page(Path("/papers/a.pdf"), 2)
    assert said.startswith("could not open a.pdf") and "evince could not start (Permission denied)" in said


def test_a_page_viewer_opens_at_the_page(monkeypatch):
    monkeypatch.setattr(page_view.shutil, "which", lambda exe: f"/usr/bin/{exe}" if exe == "okular" else None)
    started = []
    monkeypatch.setattr(page_view.subprocess, "Popen", lambda argv, **kw: started.append(argv))
    assert page_view.open_at_page(Path("/papers/a.pdf"), 7) == "opened a.pdf at page 7 in okular"
    assert started == [["okular", "-p", "7", "/papers/a.pdf"]]
