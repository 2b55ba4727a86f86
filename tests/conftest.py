"""Shared fixtures: the real default encoder (loaded once), generated PDFs, fresh collections."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The models a user has named (and GUI settings) live in the config folder: never the real user's.
os.environ["KAYAK_CONFIG_DIR"] = tempfile.mkdtemp(prefix="kayak-test-config-")
# Encoder exports for ONNX Runtime are built per test run, never into the real user's cache.
os.environ["KAYAK_ENCODER_CACHE"] = tempfile.mkdtemp(prefix="kayak-test-encoders-")
# Nothing in the tests downloads: a model hub id is only ever looked up in the cache.
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def encoder():
    from workbench.encode import Encoder

    return Encoder()


@pytest.fixture
def searcher(qtbot):
    """A search controller over bare widgets (no window): search bar, filter row, hit list, detail, stage
    panel and status line; afterwards no worker (a search, a relevance floor being learnt) outlives it."""
    from PySide6.QtCore import QThreadPool

    from workbench.gui.filter_bar import FilterBar
    from workbench.gui.hit_detail import HitDetail
    from workbench.gui.hits_view import HitsView
    from workbench.gui.search_bar import SearchBar
    from workbench.gui.search_controller import SearchController
    from workbench.gui.stage_panel import StagePanel
    from workbench.gui.status_line import StatusLine
    from workbench.gui.workers import JobRunner

    parts = [SearchBar(), FilterBar(), HitsView(), HitDetail(), StagePanel(), StatusLine()]
    for w in parts:
        qtbot.addWidget(w)
    bar, filters, hits, detail, stages, status = parts
    yield SearchController(JobRunner(), status, bar, filters, lambda: filters.where([]), hits, detail, stages)
    hits.judge.cancel()
    QThreadPool.globalInstance().waitForDone(30000)


@pytest.fixture
def new_collection(tmp_path, encoder):
    """Factory: a fresh index folder under tmp_path, sharing the session's encoder."""
    from workbench.collection import Collection

    def make(name: str = "idx.kayak", tier: str | None = None):
        """A new index in ``tier`` (default: the default tier; ``exact`` where a test reads float vectors)."""
        return Collection.open(tmp_path / name, create=True, encoder=encoder, **({"tier": tier} if tier else {}))

    return make


def make_pdf(path: Path, pages: list[str]) -> Path:
    """A PDF with one text block per page (PyMuPDF wraps the text inside the page margins)."""
    import pymupdf

    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        page.insert_textbox(pymupdf.Rect(56, 56, 540, 780), text, fontsize=11)
    path.write_bytes(doc.tobytes())  # by bytes: PyMuPDF cannot save to a non-UTF-8 file name
    doc.close()
    return path


def random_packed(rng: np.random.Generator, lengths, dim: int = 128, dtype=np.float32):
    """Packed vectors for passages of the given lengths: (vectors, starts, lengths)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    vectors = rng.standard_normal((int(lengths.sum()), dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(dtype), starts, lengths


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def synthetic_store(
    root: Path, n_docs: int, tokens: int, seed: int = 0, manifest: dict | None = None, segments: int = 1
):
    """An index of ``n_docs`` one-passage documents (``/d/<i>.txt``) of ``tokens`` clustered 128-d vectors
    each, committed in ``segments`` batches (one segment each) — the store alone, no encoder."""
    from workbench.store import IndexStore, NewDocument, NewPassage

    rng = np.random.default_rng(seed)
    concepts = rng.standard_normal((64, 128)).astype(np.float32)
    vectors = concepts[rng.integers(0, 64, n_docs * tokens)] + 0.3 * rng.standard_normal((n_docs * tokens, 128))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = IndexStore.create(root, {"model": "synthetic", "dim": "128", **(manifest or {})})
    bounds = [int(b) for b in np.linspace(0, n_docs, segments + 1)]  # Python ints: SQLite stores NumPy ones as blobs
    with store.writer():
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            docs = [
                NewDocument(
                    f"/d/{i}.txt",
                    f"/d/{i}.txt".encode(),
                    f"h{i}",
                    1,
                    0.0,
                    0,
                    [NewPassage(None, 0, f"passage {i}", ["x"] * tokens, [], (i - lo) * tokens)],
                )
                for i in range(lo, hi)
            ]
            store.add_documents(docs, vectors[lo * tokens : hi * tokens].astype(np.float16))
    return store


def train_now(store) -> None:
    """Train the store's token centroids on its live passages (the caller holds the writer lock)."""
    from workbench.core import LateIndex

    packed = store.packed_segments()
    store.centroids.train(
        LateIndex(packed.vectors, packed.starts, packed.lengths, packed.passage_ids), packed.files, packed.sizes
    )


@pytest.fixture
def window(qtbot, tmp_path, encoder):
    """The main window on a fresh index ``tmp_path/gui.kayak`` (settings in ``tmp_path``), opened and ready;
    afterwards it is shut down and no worker thread may outlive it."""
    from PySide6.QtCore import QSettings, QThreadPool

    from workbench.gui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(tmp_path / "gui.kayak", settings, encoder=encoder)
    qtbot.addWidget(win)
    win.resize(1500, 950)
    win.show()
    with qtbot.waitSignal(win.collection_ready, timeout=60000):
        win.open_collection()
    yield win
    win.shutdown()
    assert QThreadPool.globalInstance().activeThreadCount() == 0  # no worker outlives the test


COPIED_GUIDE = [
    "Volcanoes erupt lava and ash when magma rises through the crust.",
    "Lava flows cool into basalt; ash clouds from a volcano travel far.",
    "Glaciers carve valleys as the ice grinds the rock beneath it.",
]
BREAD = ["Sourdough bread rises because wild yeast ferments the dough."]


@pytest.fixture
def pdf_copies(new_collection, tmp_path):
    """An index of one PDF copied into two folders (``a/guide.pdf``, ``b/guide.pdf``: the same content)
    and another PDF (``bread.pdf``); returns ``(collection, first, second, other)`` with the paths as str."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    first = make_pdf(tmp_path / "a" / "guide.pdf", COPIED_GUIDE)
    second = tmp_path / "b" / "guide.pdf"
    second.write_bytes(first.read_bytes())
    other = make_pdf(tmp_path / "bread.pdf", BREAD)
    coll = new_collection()
    assert coll.ingest([first, second, other]).ok
    return coll, str(first), str(second), str(other)


def kill_child_after(script: str, root: Path, ready: str, delay: float) -> bool:
    """Run ``script`` on index ``root`` in a child Python, wait for its ``ready`` line, SIGKILL it ``delay``
    seconds later; returns whether it was still running when killed (the kill hit the work, not its end)."""
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-c", script, str(root)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == ready
    time.sleep(delay)
    running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return running
