"""The Document tab (pytest-qt, offscreen): a hit opens at its page of the document's pages with its passage's boxes,
the pages turn and clamp (buttons, the page box, keys), zoom renders the page at a new size, a file gone or damaged
is said in plain words, and Enter on a hit routes there; the facade's page counts and renders underneath."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pymupdf  # noqa: E402
from conftest import make_pdf  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt, QThreadPool  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from workbench.core import exhaustive_search_plan  # noqa: E402
from workbench.gui import page_view  # noqa: E402
from workbench.gui.document_controller import DocumentController  # noqa: E402
from workbench.gui.document_view import FIT_MARGIN, MAX_RENDER_WIDTH, DocumentView  # noqa: E402
from workbench.gui.status_line import StatusLine  # noqa: E402
from workbench.gui.workers import JobRunner  # noqa: E402
from workbench.ingest import IngestError  # noqa: E402

PAGES = [
    "Volcanoes erupt when magma rises through the crust and vents as lava, ash and volcanic gas.",
    "Photosynthesis lets green plants turn sunlight, water and carbon dioxide into glucose and oxygen.",
    "The offside rule in football forbids an attacker from being behind the last defender.",
    "Glaciers carve deep valleys as the ice grinds the rock beneath it, century after century.",
]


@pytest.fixture
def science(new_collection, tmp_path):
    """A collection of one four-page PDF, one topic a page; returns ``(collection, its path)``."""
    pdf = make_pdf(tmp_path / "science.pdf", PAGES)
    coll = new_collection()
    assert coll.ingest([pdf]).ok
    return coll, pdf


@pytest.fixture
def reader(qtbot):
    """A Document tab shown at a laptop's column size, with its controller; no worker may outlive the test."""
    view, status = DocumentView(), StatusLine()
    for w in (view, status):
        qtbot.addWidget(w)
    view.resize(480, 640)
    view.show()
    controller = DocumentController(JobRunner(), status, view)
    yield controller
    qtbot.waitUntil(lambda: not controller.busy, timeout=30000)  # what a render delivers lands before the view goes
    QThreadPool.globalInstance().waitForDone(30000)
    assert QThreadPool.globalInstance().activeThreadCount() == 0


def hits_for(coll, text: str):
    return coll.search(text, exhaustive_search_plan(final_k=10)).hits


def shown(qtbot, reader: DocumentController, act) -> int:
    """Do ``act`` and wait until the tab has drawn what it asked for (the page, or why not) and no render is left
    to run; the page shown."""
    with qtbot.waitSignal(reader.view.page_shown, timeout=30000):
        act()
    settled(qtbot, reader)
    return reader.view.page


def settled(qtbot, reader) -> None:
    """Wait until no render is running or waiting (a zoom can take a second render to land)."""
    qtbot.waitUntil(lambda: not reader.busy, timeout=30000)


def page_width(view: DocumentView) -> float:
    return view.canvas.sceneRect().width()


def test_the_facade_counts_and_renders_any_page_and_says_what_it_cannot(science, tmp_path):
    coll, pdf = science
    doc = coll.documents()[0].id
    assert coll.pages.count(doc) == 4
    small, to_pixels = coll.pages.render(doc, 3, 1.0)
    large, _ = coll.pages.render(doc, 3, 2.0)
    assert small.dtype == "uint8" and small.shape[2] == 3 and to_pixels[0] == pytest.approx(1.0)
    assert large.shape[1] == pytest.approx(2 * small.shape[1], abs=1)  # zoom is pixels per point
    with pytest.raises(IngestError, match=r"page 5 is outside 1\.\.4"):
        coll.pages.render(doc, 5)
    hit = hits_for(coll, "green plants sunlight")[0]
    rgb, _ = coll.pages.render_passage(hit.info)
    assert hit.page == 2 and rgb.shape == coll.pages.render(doc, 2)[0].shape

    locked = pymupdf.open(pdf)
    locked.save(tmp_path / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="o")
    locked.close()
    pdf.write_bytes((tmp_path / "locked.pdf").read_bytes())
    with pytest.raises(IngestError, match="encrypted and needs a password"):
        coll.pages.count(doc)
    pdf.unlink()
    with pytest.raises(IngestError, match=r"science\.pdf is no longer in .* \(moved or deleted"):
        coll.pages.count(doc)
    with pytest.raises(IngestError, match="no longer in the index"):
        coll.pages.count(doc + 1000)


def test_a_hit_opens_at_its_page_with_its_boxes_and_the_pages_turn_and_clamp(qtbot, science, reader):
    coll, _ = science
    view = reader.view
    hits = hits_for(coll, "green plants turn sunlight into oxygen")
    hit = hits[0]
    assert hit.page == 2
    assert shown(qtbot, reader, lambda: reader.open_hit(coll, hit, hits)) == 2
    assert view.page_count == 4 and view.spin.value() == 2 and view.spin.text() == "page 2 of 4"
    assert view.title.text() == "science.pdf" and view.folder.text() == f"in {coll.store.root.parent}"
    assert len(view.canvas.box_items) == len(hit.info.boxes) > 0
    page_rect = view.canvas.sceneRect()
    for item in view.canvas.box_items:  # each highlight lies on the page, in its upper part (the text block)
        box = item.rect()
        assert page_rect.adjusted(-3, -3, 3, 3).contains(box) and box.top() < page_rect.height() / 2
    assert not view.canvas.faint_items  # the other hits sit on other pages

    assert shown(qtbot, reader, view.next.click) == 3
    assert not view.canvas.box_items  # another page: not the hit's passage
    first_hit_on_3 = next(h for h in hits if h.page == 3)
    assert len(view.canvas.faint_items) == len(first_hit_on_3.info.boxes) > 0  # another hit of the result, lighter
    assert shown(qtbot, reader, view.previous.click) == 2 and view.canvas.box_items
    assert shown(qtbot, reader, lambda: view.spin.setValue(4)) == 4
    assert not view.next.isEnabled() and view.previous.isEnabled()
    view.next_page()  # at the last page: nothing to turn to, nothing asked for
    view.go_to(99)
    assert view.page == 4 and not reader.busy
    view.canvas.setFocus()
    assert shown(qtbot, reader, lambda: qtbot.keyClick(view.canvas, Qt.Key.Key_Home)) == 1
    assert not view.previous.isEnabled() and view.spin.value() == 1
    assert shown(qtbot, reader, lambda: qtbot.keyClick(view.canvas, Qt.Key.Key_End)) == 4
    assert shown(qtbot, reader, lambda: view.go_to(-3)) == 1
    bar = view.canvas.verticalScrollBar()
    assert bar.maximum() > 0  # at the fitted width the page is taller than the view
    presses = 0
    while view.page == 1 and presses < 20:  # PageDown scrolls down the page, then turns to the next one
        qtbot.keyClick(view.canvas, Qt.Key.Key_PageDown)
        presses += 1
    settled(qtbot, reader)
    assert view.page == 2 and presses > 1 and bar.value() == bar.minimum()  # from its top
    qtbot.keyClick(view.canvas, Qt.Key.Key_PageUp)  # at the top: the previous page, from its bottom
    settled(qtbot, reader)
    assert view.page == 1 and bar.value() == bar.maximum()


def test_zoom_renders_the_page_at_a_new_size_and_fit_width_comes_back(qtbot, science, reader):
    coll, _ = science
    view = reader.view
    hits = hits_for(coll, "volcanoes lava ash")
    shown(qtbot, reader, lambda: reader.open_hit(coll, hits[0], hits))
    settled(qtbot, reader)
    assert view.zoom is None and view.fit_button.isChecked()
    fitted = page_width(view)
    assert fitted == pytest.approx(
        view.canvas.viewport().width() - FIT_MARGIN, abs=3
    )  # the page's width fills the view
    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    settled(qtbot, reader)
    assert page_width(view) == pytest.approx(1.25 * fitted, rel=0.02) and not view.fit_button.isChecked()
    assert view.canvas.horizontalScrollBar().maximum() > 0  # wider than the view now
    view.zoom_out_button.click()
    view.zoom_out_button.click()
    settled(qtbot, reader)
    assert page_width(view) == pytest.approx(fitted / 1.25, rel=0.02)
    assert view.fit_button.text() == f"{round(view.zoom / (96 / 72) * 100)} %" == f"{view.zoom_percent()} %"
    wheel = QWheelEvent(
        QPointF(50, 50),
        QPointF(view.canvas.viewport().mapToGlobal(QPoint(50, 50))),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.canvas.viewport(), wheel)  # Ctrl+wheel up: one step in
    settled(qtbot, reader)
    assert page_width(view) == pytest.approx(fitted, rel=0.02)
    qtbot.keyClick(view.canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    settled(qtbot, reader)
    assert view.zoom is None and page_width(view) == pytest.approx(fitted, abs=3)
    view.resize(640, 640)  # fitted: a wider view renders a wider page once the resize settles
    qtbot.waitUntil(lambda: page_width(view) > fitted * 1.2, timeout=30000)


def test_a_poster_page_zoomed_in_is_rendered_no_wider_than_the_cap_and_shown_at_the_zoom(
    qtbot, new_collection, tmp_path, reader
):
    poster = pymupdf.open()
    page = poster.new_page(width=2384, height=3370)  # A0, in points
    page.insert_textbox(pymupdf.Rect(100, 100, 2200, 400), "Glaciers carve valleys into the rock.", fontsize=40)
    (tmp_path / "poster.pdf").write_bytes(poster.tobytes())
    coll = new_collection()
    assert coll.ingest([tmp_path / "poster.pdf"]).ok
    hits = hits_for(coll, "glaciers")
    view = reader.view
    shown(qtbot, reader, lambda: reader.open_hit(coll, hits[0], hits))
    view.set_zoom(4.0)
    settled(qtbot, reader)
    assert page_width(view) <= MAX_RENDER_WIDTH  # not 2384 × 4 = 9536 pixels wide
    shown_width = view.canvas.mapFromScene(view.canvas.sceneRect()).boundingRect().width()
    assert shown_width == pytest.approx(2384 * 4.0, rel=0.01)  # scaled up to the zoom asked for
    assert view.zoom_percent() == 300


def test_a_document_removed_from_the_index_is_closed_saying_so(qtbot, science, reader):
    coll, pdf = science
    hits = hits_for(coll, "offside rule football")
    shown(qtbot, reader, lambda: reader.open_hit(coll, hits[0], hits))
    reader.drop_if_removed()  # still indexed: stays
    assert reader.view.page == 3 and reader.view.canvas.box_items
    coll.remove([pdf])
    reader.drop_if_removed()
    assert reader.view.document_id is None and not reader.view.external.isEnabled()
    assert reader.view.canvas.message.toPlainText() == "science.pdf was removed from the index."


def test_a_file_gone_or_damaged_is_said_plainly(qtbot, science, reader, tmp_path):
    coll, pdf = science
    view = reader.view
    hits = hits_for(coll, "offside rule football")
    original = pdf.read_bytes()
    pdf.unlink()
    shown(qtbot, reader, lambda: reader.open_hit(coll, hits[0], hits))
    said = view.canvas.message.toPlainText()
    assert said.startswith("Cannot open this document: science.pdf is no longer in ") and "moved or deleted" in said
    assert view.page_count == 0 and not view.next.isEnabled() and not view.spin.isEnabled()

    pdf.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 200)
    view.close_document()
    shown(qtbot, reader, lambda: reader.open_hit(coll, hits[0], hits))
    said = view.canvas.message.toPlainText()
    assert said.startswith("Cannot open this document: not a readable PDF (damaged") and "Traceback" not in said

    pdf.write_bytes(original)  # readable again, then cut down to one page while it is shown: a render fails
    view.close_document()
    assert shown(qtbot, reader, lambda: reader.open_hit(coll, hits[0], hits)) == hits[0].page == 3
    make_pdf(pdf, PAGES[:1])
    shown(qtbot, reader, view.next_page)
    assert view.canvas.message.toPlainText() == "Cannot show page 4: page 4 is outside 1..1"


def test_enter_on_a_hit_opens_it_in_the_document_tab_and_shift_enter_in_the_system_viewer(
    qtbot, window, tmp_path, monkeypatch
):
    pdf = make_pdf(tmp_path / "earth.pdf", PAGES)
    with qtbot.waitSignal(window.ingest_finished, timeout=120000):
        window.collection_panel.add_requested.emit([str(pdf)])
    window.search_bar.query.setText("glaciers carve valleys in the ice")
    with qtbot.waitSignals([window.search_finished, window.detail_ready], timeout=60000):
        window.search()
    hit = window.hits.selected_hit()
    assert hit.page == 4 and window.tabs.currentWidget() is window.detail
    tree, document = window.hits.tree, window.document
    window.activateWindow()
    tree.setFocus()
    qtbot.waitUntil(tree.hasFocus, timeout=5000)
    with qtbot.waitSignal(document.page_shown, timeout=30000):
        qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert window.tabs.currentWidget() is document and document.page == 4 and document.page_count == 4
    assert len(document.canvas.box_items) == len(hit.info.boxes) > 0
    assert document.canvas.hasFocus()  # PageDown, Home, Ctrl+= work at once

    other = window.hits.hits_model.index_of(next(h for h in window.result.hits if h.page == 2))
    with qtbot.waitSignal(document.page_shown, timeout=30000):  # the shown tab follows the selection
        window.hits.select(other)
    assert document.page == 2 and document.canvas.box_items

    monkeypatch.setattr(page_view.shutil, "which", lambda exe: None)  # no PDF viewer, no launcher
    monkeypatch.setattr(page_view.QDesktopServices, "openUrl", lambda url: False)
    window.tabs.setCurrentWidget(window.detail)
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert (
        window.status.text().startswith("could not open earth.pdf") and "install a PDF viewer" in window.status.text()
    )
    assert window.tabs.currentWidget() is window.detail  # the system viewer: the tab stays
    window.status.setText("")
    document.external.click()  # the Document tab's own button: the page it shows
    assert window.status.text().startswith("could not open earth.pdf")

    window.tabs.setCurrentWidget(window.detail)
    qtbot.waitUntil(window.detail.read_button.isEnabled, timeout=30000)
    with qtbot.waitSignal(document.page_shown, timeout=30000):  # the page preview's button, too
        window.detail.read_button.click()
    assert window.tabs.currentWidget() is document and document.page == 2

    window.tabs.setCurrentWidget(window.detail)
    top = window.hits.hits_model.index(0, 0)
    window.hits.select(top)
    with qtbot.waitSignal(document.page_shown, timeout=30000):  # a double-click on a hit
        at = tree.visualRect(top).center()
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=at)  # QTest's DClick sends no press first
        qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert window.tabs.currentWidget() is document and document.page == 4
    window.tabs.setCurrentWidget(window.detail)
    qtbot.waitUntil(lambda: bool(window.detail.page.box_items), timeout=30000)
    document.go_to(1)
    with qtbot.waitSignal(document.page_shown, timeout=30000):  # and on the hit's page preview
        qtbot.mouseDClick(window.detail.page.viewport(), Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is document and document.page == 4


def test_the_zoom_is_kept_for_the_next_start(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from workbench.gui.window_layout import WindowLayout

    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.IniFormat)
    first = WindowLayout(settings)
    qtbot.addWidget(first)
    assert first.document.zoom is None  # a first start: fitted to the width
    first.document.set_zoom(2.0)
    first.save_settings()
    again = WindowLayout(settings)
    qtbot.addWidget(again)
    assert again.document.zoom == 2.0 and not again.document.fit_button.isChecked()
    settings.setValue("document_zoom", "large")  # a hand-edited file: fitted again, no error
    third = WindowLayout(settings)
    qtbot.addWidget(third)
    assert third.document.zoom is None
