"""Index ▸ New index… / Open index…: the encoder picker, the download with byte progress and cancel, and the
window switching to the new index. Nothing here reaches the internet: hub ids are looked up in a fake
Hugging Face cache, or fetched from a fake hub served on 127.0.0.1 to a child process."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from workbench.collection import Collection  # noqa: E402
from workbench.collection.index_folders import index_folder_problem  # noqa: E402
from workbench.core import exhaustive_search_plan  # noqa: E402
from workbench.encode.known_models import KNOWN_MODELS, cached_snapshot, is_cached  # noqa: E402
from workbench.gui.index_jobs import open_index_steps  # noqa: E402
from workbench.gui.new_index_dialog import FOLDER_ENTRY, HUB_ENTRY, NewIndexDialog  # noqa: E402
from workbench.gui.workers import CancelToken  # noqa: E402

REVISION = "0123456789abcdef0123456789abcdef01234567"
HUB_MODEL = "answerdotai/answerai-colbert-small-v1"  # a known model with a 96-d projection
NOTE = "Magma rises through the crust and erupts as lava from volcanoes."


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache of this test's own (the user's real one is never looked at)."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return cache


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, encoder):
    """A genuine PyLate checkpoint folder (the default model saved as is), as tests/test_model_trust.py makes."""
    folder = tmp_path_factory.mktemp("models") / "checkpoint"
    encoder.model.save(str(folder))
    return folder


def lay_out_snapshot(cache: Path, hub_id: str, source: Path | None, files: dict[str, bytes] | None = None) -> Path:
    """``hub_id`` in ``cache`` as a download leaves it: snapshots/<revision>/ (a copy of ``source``, or just
    ``files``) and refs/main."""
    repo = cache / ("models--" + hub_id.replace("/", "--"))
    snapshot = repo / "snapshots" / REVISION
    if source is not None:
        shutil.copytree(source, snapshot)
    for name, data in (files or {}).items():
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        (snapshot / name).write_bytes(data)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REVISION)
    return snapshot


# -- the picker --------------------------------------------------------------------------------------------
def test_the_picker_lists_the_default_then_the_known_models_with_their_dims(qtbot, hf_cache):
    dialog = NewIndexDialog()
    qtbot.addWidget(dialog)
    entries = dialog.entries()
    assert [data for data, _ in entries] == [k.model for k in KNOWN_MODELS] + [HUB_ENTRY, FOLDER_ENTRY]
    assert entries[0][0] == "default" and "128-d" in entries[0][1] and "ships with the app" in entries[0][1]
    small = dict(entries)[HUB_MODEL]
    assert small == "answerai-colbert-small-v1 · 33M params · 96-d · downloads ≈270 MB"  # not cached here
    assert dict(entries)["colbert-ir/colbertv2.0"].startswith("ColBERTv2.0 · 110M params · 128-d · downloads ≈")
    assert [t for _, t in entries[-2:]] == ["Hugging Face id…", "Local folder…"]
    # A model that is not 128-d says what that costs, next to it; a 128-d one does not.
    dialog.select_model(HUB_MODEL)
    assert "96-d vectors: the Mojo exact backend needs 128-d" in dialog.description.text()
    assert "Apache-2.0" in dialog.description.text()
    dialog.select_model("default")
    assert "needs 128-d" not in dialog.description.text()
    assert dialog.hub_id.isHidden() and dialog._folder_row.isHidden()
    dialog.select_model(HUB_ENTRY)
    assert not dialog.hub_id.isHidden() and dialog._folder_row.isHidden()
    dialog.select_model(FOLDER_ENTRY)
    assert dialog.hub_id.isHidden() and not dialog._folder_row.isHidden()


def test_in_the_cache_only_when_the_whole_model_is(qtbot, hf_cache, checkpoint):
    assert not is_cached(HUB_MODEL)
    lay_out_snapshot(hf_cache, HUB_MODEL, checkpoint)
    assert cached_snapshot(HUB_MODEL) is not None and is_cached(HUB_MODEL)
    dialog = NewIndexDialog()
    qtbot.addWidget(dialog)
    assert dict(dialog.entries())[HUB_MODEL] == "answerai-colbert-small-v1 · 33M params · 96-d · in the cache"
    # A download stopped after the small files: config.json but no weights, so not "in the cache".
    lay_out_snapshot(hf_cache, "colbert-ir/colbertv2.0", None, {"config.json": b"{}"})
    assert cached_snapshot("colbert-ir/colbertv2.0") is None
    again = NewIndexDialog()
    qtbot.addWidget(again)
    assert "downloads ≈877 MB" in dict(again.entries())["colbert-ir/colbertv2.0"]


def test_the_dialog_refuses_what_it_cannot_create_in_plain_words(qtbot, tmp_path, checkpoint, new_collection):
    dialog = NewIndexDialog()
    qtbot.addWidget(dialog)
    with pytest.raises(ValueError, match="Choose a folder"):
        dialog.choice()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.pdf").write_bytes(b"%PDF")
    dialog.folder.setText(str(tmp_path / "docs"))
    with pytest.raises(ValueError, match="already holds files \\(thesis.pdf\\)"):
        dialog.choice()
    new_collection("made.kayak")
    dialog.folder.setText(str(tmp_path / "made.kayak"))
    with pytest.raises(ValueError, match="already holds a Kayak index: open it with Index ▸ Open index…"):
        dialog.choice()
    dialog.accept()  # refused: the reason is shown, the dialog stays
    assert "already holds a Kayak index" in dialog.error.text() and dialog.result() == 0

    dialog.folder.setText(str(tmp_path / "new.kayak"))
    dialog.select_model(HUB_ENTRY)
    dialog.hub_id.setText("not a hub id")
    with pytest.raises(ValueError, match="is not a Hugging Face model id"):
        dialog.choice()
    dialog.hub_id.setText("  lightonai/GTE-ModernColBERT-v1 ")
    assert dialog.choice() == (tmp_path / "new.kayak", "lightonai/GTE-ModernColBERT-v1")
    dialog.select_model(FOLDER_ENTRY)
    dialog.model_folder.setText(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="Choose the folder of a PyLate"):
        dialog.choice()
    code = tmp_path / "with-code"
    shutil.copytree(checkpoint, code)
    modules = json.loads((code / "modules.json").read_text())
    (code / "modules.json").write_text(json.dumps(modules + [{"idx": 2, "name": "2", "path": "", "type": "evil.Mod"}]))
    dialog.model_folder.setText(str(code))
    with pytest.raises(ValueError, match="names its own code in modules.json"):
        dialog.choice()
    dialog.model_folder.setText(str(checkpoint))
    assert dialog.choice() == (tmp_path / "new.kayak", str(checkpoint))
    # Open index…: a folder that is not an index is refused with the store's own message.
    assert "is not a Kayak index (no catalog.sqlite)" in index_folder_problem(tmp_path / "docs")
    assert index_folder_problem(tmp_path / "made.kayak") is None


def test_a_local_model_folder_makes_an_index_that_records_it(tmp_path, checkpoint):
    """The job the window runs, driven step by step: a folder model needs no download."""
    steps = open_index_steps(tmp_path / "local.kayak", str(checkpoint), CancelToken(), None, True)
    seen = []
    with pytest.raises(StopIteration) as done:
        while True:
            seen.append(next(steps))
    coll: Collection = done.value.value
    assert seen == [("loading", str(checkpoint))]  # nothing to download
    assert coll.store.manifest["model"] == str(checkpoint.resolve())
    assert coll.store.manifest["encoder_identity"] == str(checkpoint)
    (tmp_path / "note.txt").write_text(NOTE)
    assert coll.ingest([tmp_path / "note.txt"]).ok
    assert coll.search("lava", exhaustive_search_plan()).hits[0].path.endswith("note.txt")


# -- the window --------------------------------------------------------------------------------------------
def test_new_index_with_the_default_model_then_search_it(qtbot, window, tmp_path):
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&Edit", "&View", "&Help"]
    assert window.new_index_action.shortcut().toString() == "Ctrl+N"
    first = window.coll
    dialog = NewIndexDialog(window)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(tmp_path / "second.kayak"))
    dialog.select_model("default")
    assert [dialog.tier.itemData(i) for i in range(dialog.tier.count())] == ["compact-4", "compact-2", "exact"]
    assert dialog.storage_tier() == "compact-4"  # the default tier is preselected
    dialog.tier.setCurrentIndex(2)
    assert not dialog.keep_exact_box.isEnabled()  # the exact tier keeps them anyway
    dialog.tier.setCurrentIndex(1)
    assert dialog.storage_tier() == "compact-2" and "36 bytes per token" in dialog.tier_description.text()
    dialog.keep_exact_box.setChecked(True)
    assert dialog.keep_exact()
    with qtbot.waitSignal(window.switch_finished, timeout=60000) as switched:
        window.switch_index(*dialog.choice(), create=True, tier=dialog.storage_tier(), keep_exact=dialog.keep_exact())
    assert switched.args == [True]
    assert window.coll.storage_tier == "compact-2" and "(compact-2 + exact vectors)" in window.status.toolTip()
    assert window.coll.store.keeps_exact
    assert window.coll is not first and window.index_path == tmp_path / "second.kayak"
    assert window.windowTitle() == "Kayak Workbench — second.kayak"
    assert window.coll.store.manifest["model"] == "default"
    assert window.settings.value("last_index") == str(tmp_path / "second.kayak")
    (tmp_path / "note.txt").write_text(NOTE)
    with qtbot.waitSignal(window.ingest_finished, timeout=60000):
        window.collection_panel.add_requested.emit([str(tmp_path / "note.txt")])
    window.search_bar.query.setText("lava from volcanoes")
    with qtbot.waitSignal(window.search_finished, timeout=60000):
        window.search_bar.query.returnPressed.emit()
    assert window.last_run.result.hits[0].path == str(tmp_path / "note.txt")
    assert first.documents() == []  # the note went into the new index only
    # Index ▸ Open index… back to the first one: the note stays where it was put.
    with qtbot.waitSignal(window.switch_finished, timeout=60000) as switched:
        window.switch_index(tmp_path / "gui.kayak")
    assert switched.args == [True] and window.coll.documents() == [] and window.index_path == tmp_path / "gui.kayak"
    # What a download shows, in the collection panel:
    window.switcher.show_step(("download", "owner/model", 120_000_000, 430_000_000))
    assert window.collection_panel.current.text() == "downloading owner/model: 120 of 430 MB (Esc cancels)"
    assert (window.collection_panel.progress.value(), window.collection_panel.progress.maximum()) == (117187, 419921)


def test_an_index_of_96_d_vectors_is_searched_by_numpy(qtbot, window, tmp_path):
    """A local PyLate checkpoint with a 96-d projection: the window picks the backend that can search it, and
    says why."""
    from pylate_checkpoint import write_pylate_checkpoint

    from workbench.core import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND

    folder = write_pylate_checkpoint(tmp_path / "model-96", dim=96)
    bar = window.search_bar
    bar.backend.setCurrentIndex(bar.backend.findData(MOJO_EXACT_CPU_BACKEND))
    dialog = NewIndexDialog(window)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(tmp_path / "small.kayak"))
    dialog.select_model(FOLDER_ENTRY)
    dialog.model_folder.setText(str(folder))
    with qtbot.waitSignal(window.switch_finished, timeout=60000) as switched:
        window.switch_index(*dialog.choice(), create=True)
    assert switched.args == [True] and window.coll.store.dim == 96
    assert window.coll.store.manifest["model"] == str(folder.resolve())
    assert bar.backend_name() == NUMPY_REFERENCE_BACKEND
    assert "96-d vectors: the Mojo exact backend needs 128-d" in window.collection_panel.current.text()
    (tmp_path / "note.txt").write_text(NOTE)
    with qtbot.waitSignal(window.ingest_finished, timeout=60000):
        window.collection_panel.add_requested.emit([str(tmp_path / "note.txt")])
    bar.query.setText("lava")
    with qtbot.waitSignal(window.search_finished, timeout=60000):
        bar.query.returnPressed.emit()
    assert window.last_run.result.hits[0].path == str(tmp_path / "note.txt")


def test_a_hub_id_not_in_the_cache_fails_offline_in_one_line(qtbot, window, tmp_path, hf_cache):
    first = window.coll
    target = tmp_path / "hub.kayak"
    with qtbot.waitSignal(window.switch_finished, timeout=60000) as switched:
        window.switch_index(target, "kayak-test/absent-colbert", create=True)
    assert switched.args == [False]
    expected = (
        f"cannot open {target}: could not load model 'kayak-test/absent-colbert': offline mode is on "
        "(HF_HUB_OFFLINE) and the model is not in the Hugging Face cache"
    )
    assert window.collection_panel.current.text() == expected and window.status.text() == expected
    assert window.coll is first and window.index_path == tmp_path / "gui.kayak"  # the index shown stays
    assert not target.exists() and not window.collection_panel.progress.isVisible()
    assert window.collection_panel.add_files.isEnabled()


# -- byte progress and cancel, against a fake hub on 127.0.0.1 ---------------------------------------------
FAKE_REPO = "kayak-test/tiny-colbert"
CHUNK = 10 * 1024 * 1024  # huggingface_hub reads downloads in 10 MiB chunks
FILES = {
    "config.json": json.dumps({"model_type": "bert"}).encode(),
    "tokenizer.json": b"{}" * 1000,
    "model.safetensors": bytes(range(256)) * (CHUNK // 256) + b"tail",
}


class FakeHub(BaseHTTPRequestHandler):
    """The four requests snapshot_download makes: revision info, file listing, HEAD and GET of a file. The
    weights pause after their first chunk, so that a cancel made on that chunk's report meets the next one."""

    def log_message(self, *args) -> None:
        pass

    def _file(self) -> tuple[str, bytes] | None:
        prefix = f"/{FAKE_REPO}/resolve/{REVISION}/"
        path = urlparse(self.path).path
        name = path[len(prefix) :] if path.startswith(prefix) else None
        return (name, FILES[name]) if name in FILES else None

    def _send(self, body: bytes, headers: dict, head: bool = False) -> None:
        self.send_response(200)
        for k, v in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(k, v)
        self.end_headers()
        if head:
            return
        first, rest = body[:CHUNK], body[CHUNK:]
        self.wfile.write(first)
        if rest:
            self.wfile.flush()
            time.sleep(1.0)
            self.wfile.write(rest)

    def do_HEAD(self) -> None:  # noqa: N802 (http.server API)
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:  # noqa: N802
        path = urlparse(self.path).path
        if path == f"/api/models/{FAKE_REPO}/revision/main":
            return self._send(
                json.dumps({"id": FAKE_REPO, "sha": REVISION}).encode(), {"Content-Type": "application/json"}
            )
        if path == f"/api/models/{FAKE_REPO}/tree/{REVISION}":
            listing = [
                {"type": "file", "path": n, "size": len(b), "oid": hashlib.sha1(b).hexdigest()}
                for n, b in FILES.items()
            ]
            return self._send(json.dumps(listing).encode(), {"Content-Type": "application/json"})
        found = self._file()
        if found is None:
            self.send_response(404)
            self.end_headers()
            return
        name, body = found
        self._send(body, {"X-Repo-Commit": REVISION, "ETag": f'"{hashlib.sha1(body).hexdigest()}"'}, head)


@pytest.fixture
def fake_hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run_child(code: str, cache: Path, endpoint: str, offline: bool = False) -> dict:
    """Run ``code`` in a fresh interpreter against ``cache`` and the fake hub; it prints one JSON object."""
    env = dict(
        os.environ,
        HF_HUB_CACHE=str(cache),
        HF_ENDPOINT=endpoint,
        HF_HUB_OFFLINE="1" if offline else "0",
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
    )
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


CANCEL_FROM_THE_JOB = """
    import json
    from workbench.gui.index_jobs import download_steps
    from workbench.gui.workers import CancelToken
    token, steps = CancelToken(), []
    try:
        for step in download_steps({repo!r}, token):
            steps.append(step[2:])
            if step[2] >= {chunk}:      # the weights' first chunk is in: the user presses Esc
                token.cancel()
        error = None
    except Exception as exc:
        error = [type(exc).__name__, str(exc)]
    print(json.dumps({{"steps": steps, "error": error}}))
"""

RESOLVE = """
    import json
    from workbench.encode.encoder import EncoderError, resolve_model
    from workbench.encode.known_models import cached_snapshot
    calls = []
    try:
        folder, error = str(resolve_model({repo!r}, progress=lambda done, total: calls.append([done, total]))), None
    except EncoderError as exc:
        folder, error = None, str(exc)
    print(json.dumps({{"calls": calls, "folder": folder, "error": error,
                      "cached": cached_snapshot({repo!r}) is not None}}))
"""


def test_download_progress_in_bytes_cancel_and_resume(tmp_path, fake_hub):
    cache = tmp_path / "hf-cache"
    # 1. The job's download, cancelled (Esc) once the weights' first chunk is reported.
    first = run_child(CANCEL_FROM_THE_JOB.format(repo=FAKE_REPO, chunk=CHUNK), cache, fake_hub)
    assert first["error"] == ["DownloadCancelled", f"could not load model '{FAKE_REPO}': download cancelled"]
    assert any(done >= CHUNK for done, _ in first["steps"])
    snapshot = cache / f"models--{FAKE_REPO.replace('/', '--')}" / "snapshots" / REVISION
    assert (snapshot / "config.json").is_file() and not (snapshot / "model.safetensors").exists()
    assert not [p for p in cache.rglob("*") if p.name.endswith(".incomplete") or p.stat().st_size >= CHUNK]
    still_missing = sum(len(b) for n, b in FILES.items() if not (snapshot / n).is_file())
    # 2. Offline, the half download is not taken for the model.
    offline = run_child(RESOLVE.format(repo=FAKE_REPO), cache, fake_hub, offline=True)
    assert offline["folder"] is None and not offline["cached"] and offline["calls"] == []
    assert offline["error"] == (
        f"could not load model '{FAKE_REPO}': only part of it is in the Hugging Face cache "
        "(a download that did not finish) and offline mode is on (HF_HUB_OFFLINE): connect "
        "once to finish it"
    )
    # 3. Online again: the rest arrives, reported in bytes, and the model is whole.
    done = run_child(RESOLVE.format(repo=FAKE_REPO), cache, fake_hub)
    assert done["error"] is None and done["cached"] and Path(done["folder"]) == snapshot
    assert (snapshot / "model.safetensors").read_bytes() == FILES["model.safetensors"]
    calls = done["calls"]
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and all(d <= t for d, t in calls)
    assert any(CHUNK <= d < t for d, t in calls)  # a report in the middle of the weights
    assert calls[-1] == [still_missing, still_missing]  # only what was missing, to the byte
