"""Watched folders: renames keep passages, a rescan catches up with changes made while closed, the live
watcher hands out settled paths, and ``workbench watch`` follows a folder end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from workbench.collection.watch import FolderWatcher, sync_events
from workbench.core import exhaustive_search_plan

TEXTS = {
    "volcano.txt": "Volcanoes erupt when magma rises through the crust and lava escapes from vents.",
    "tides.txt": "Ocean tides follow the moon; spring tides are higher than neap tides.",
    "bees.txt": "Bees pollinate flowers while they collect nectar and pollen for the hive.",
}


def write_all(folder: Path, texts: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text)


def passage_ids(coll, name: str) -> list[int]:
    doc = next(d for d in coll.documents() if d.path.endswith(name))
    hits = coll.search(TEXTS.get(name, name), exhaustive_search_plan(20)).hits
    return sorted(h.passage_id for h in hits if h.info.document_id == doc.id)


def on_disk_and_indexed(coll, folder: Path) -> tuple[set[str], set[str]]:
    disk = {p.name for p in folder.iterdir() if p.is_file()}
    indexed = {Path(d.path).name for d in coll.documents() if d.status == "indexed"}
    return disk, indexed


def test_a_renamed_file_keeps_its_passages_and_is_not_encoded_again(tmp_path, new_collection):
    docs = tmp_path / "docs"
    write_all(docs, TEXTS)
    coll = new_collection()
    assert coll.ingest([docs]).ok
    before = passage_ids(coll, "volcano.txt")
    (docs / "volcano.txt").rename(docs / "magma.txt")
    events = {Path(e.path).name: e for e in coll.iter_ingest([docs]) if e.status != "committed"}
    assert events["magma.txt"].status == "renamed" and "volcano.txt" in events["magma.txt"].message
    assert coll.ingest_times.seconds["encode"] == 0.0  # nothing went through the model
    doc = next(d for d in coll.documents() if d.path.endswith("magma.txt"))
    hits = coll.search(TEXTS["volcano.txt"], exhaustive_search_plan(20)).hits
    assert sorted(h.passage_id for h in hits if h.info.document_id == doc.id) == before
    assert hits[0].path.endswith("magma.txt")
    assert not any(d.path.endswith("volcano.txt") for d in coll.documents())
    # a copy (the old name still exists) is a new document, encoded on its own
    (docs / "copy.txt").write_text(TEXTS["tides.txt"])
    assert [e.status for e in coll.iter_ingest([docs / "copy.txt"]) if e.path.endswith("copy.txt")][-1] == "indexed"


def test_rescan_catches_up_with_changes_made_while_nobody_watched(tmp_path, new_collection):
    docs = tmp_path / "docs"
    write_all(docs, TEXTS)
    coll = new_collection()
    assert coll.set_watched([docs]) == [docs.resolve()]
    statuses = {Path(e.path).name: e.status for e in coll.iter_rescan() if e.status not in ("committed", "centroids")}
    assert statuses == dict.fromkeys(TEXTS, "indexed")
    kept = passage_ids(coll, "tides.txt")
    # the app is closed: one file added, one changed, one deleted, one renamed into a new subfolder
    (docs / "glacier.txt").write_text("Glaciers carve valleys as the ice slowly flows downhill.")
    (docs / "bees.txt").write_text("Bumblebees and honeybees both visit clover; wasps hunt other insects.")
    (docs / "volcano.txt").unlink()
    (docs / "sub").mkdir()
    (docs / "tides.txt").rename(docs / "sub" / "moon.txt")
    statuses = {
        Path(e.path).name: e.status
        for e in coll.iter_rescan()
        if e.status in ("indexed", "renamed", "removed", "failed")
    }
    assert statuses == {
        "glacier.txt": "indexed",
        "bees.txt": "indexed",
        "moon.txt": "renamed",
        "volcano.txt": "removed",
    }
    assert passage_ids(coll, "moon.txt") == kept
    indexed = {Path(d.path).relative_to(docs.resolve()).as_posix() for d in coll.documents()}
    assert indexed == {"glacier.txt", "bees.txt", "sub/moon.txt"}
    # the list of watched folders lives in the index: another program opening it sees it
    from workbench.collection import Collection

    assert Collection.open(coll.store.root, encoder=coll.encoder, read_only=True).watched_folders() == [docs.resolve()]


def test_rescan_does_not_read_files_whose_size_and_time_are_unchanged(tmp_path, new_collection, monkeypatch):
    docs = tmp_path / "docs"
    write_all(docs, TEXTS)
    coll = new_collection()
    coll.set_watched([docs])
    list(coll.iter_rescan())
    import workbench.collection.ingest_pipeline as collection

    opened, read = [], []

    class Counting:  # the file handle, counting reads of its content
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def fileno(self):
            return self.fh.fileno()

        def read(self, n=-1):
            read.append(n)
            return self.fh.read(n)

    real = collection.open_regular
    monkeypatch.setattr(collection, "open_regular", lambda p: opened.append(p) or Counting(real(p)))
    statuses = [e.status for e in coll.iter_rescan() if e.path.endswith(".txt")]
    assert statuses == ["unchanged"] * 3 and len(opened) == 3 and read == []  # stat only, no content read
    # an explicit ingest still hashes: a same-size rewrite with its time put back is found changed there
    target = docs / "bees.txt"
    st = target.stat()
    target.write_text(TEXTS["bees.txt"].replace("Bees", "Ants"))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert [e.status for e in coll.iter_rescan() if e.path.endswith("bees.txt")] == ["unchanged"]
    assert [e.status for e in coll.iter_ingest([target]) if e.path.endswith("bees.txt")][-1] == "indexed"


def test_a_missing_watched_folder_keeps_its_documents(tmp_path, new_collection):
    docs = tmp_path / "docs"
    write_all(docs, TEXTS)
    coll = new_collection()
    coll.set_watched([docs])
    list(coll.iter_rescan())
    docs.rename(tmp_path / "unplugged")
    events = list(coll.iter_rescan())
    assert [e.status for e in events] == ["failed"] and "missing" in events[0].message
    assert coll.store.catalog.counts()["documents"] == 3


def wait_for_due(watcher: FolderWatcher, timeout_s: float = 10.0) -> list[Path]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if due := watcher.due():
            return due
        time.sleep(0.05)
    return []


def test_the_watcher_follows_adds_changes_renames_and_deletes(tmp_path, new_collection):
    docs = tmp_path / "docs"
    docs.mkdir()
    coll = new_collection()
    coll.set_watched([docs])
    watcher = FolderWatcher([docs.resolve()], debounce_s=0.3)
    watcher.start()
    try:

        def step(action, wait_s: float = 10.0) -> dict[str, str]:
            action()
            out = {}
            for _ in range(3):  # a rename may arrive as two settled paths
                due = wait_for_due(watcher, wait_s if not out else 1.0)
                if not due:
                    break
                out.update(
                    {
                        Path(e.path).name: e.status
                        for e in sync_events(coll, watcher, due)
                        if e.status in ("indexed", "renamed", "removed", "failed")
                    }
                )
            return out

        assert step(lambda: write_all(docs, {"volcano.txt": TEXTS["volcano.txt"]})) == {"volcano.txt": "indexed"}
        assert step(lambda: (docs / "volcano.txt").write_text(TEXTS["tides.txt"])) == {"volcano.txt": "indexed"}
        assert coll.search("spring tides", exhaustive_search_plan(1)).hits[0].path.endswith("volcano.txt")
        assert step(lambda: (docs / "volcano.txt").rename(docs / "tides.txt")) == {"tides.txt": "renamed"}
        assert step(lambda: (docs / "tides.txt").unlink()) == {"tides.txt": "removed"}
        assert step(lambda: (docs / "notes.xyz").write_text("not a document"), 1.5) == {}  # types not read: ignored

        def hidden():
            (docs / ".git").mkdir()
            (docs / ".git" / "README.txt").write_text("a repository's own file")

        assert step(hidden, 1.5) == {}  # nor hidden entries
        assert coll.store.catalog.counts()["documents"] == 0
    finally:
        watcher.stop()


def test_a_file_still_being_written_waits_until_it_settles(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    target = docs / "big.txt"
    target.write_text("first part")
    watcher = FolderWatcher([docs], debounce_s=0.2)
    watcher.touch(target)
    time.sleep(0.25)
    with open(target, "a") as fh:  # the writer appends again without a fresh event reaching us yet
        fh.write(" and more")
    assert watcher.due() == []  # its size changed since the event: not settled
    time.sleep(0.25)
    assert watcher.due() == [target]
    assert watcher.pending == 0


def test_a_failed_file_that_just_changed_is_retried(tmp_path, new_collection):
    docs = tmp_path / "docs"
    docs.mkdir()
    coll = new_collection()
    half = docs / "report.pdf"
    half.write_bytes(b"%PDF-1.7\n1 0 obj\n<<")  # a PDF cut off by a writer that paused
    watcher = FolderWatcher([docs], debounce_s=0.1)
    events = [e for e in sync_events(coll, watcher, [half]) if e.status == "failed"]
    assert len(events) == 1 and "trying again" in events[0].message and watcher.pending == 1
    old = time.time() - 3600  # a file that failed long after it was written
    os.utime(half, (old, old))
    assert not watcher.retry_later(half)


def test_workbench_watch_follows_a_folder_and_rescans_on_the_next_start(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "idx"
    docs.mkdir()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}
    # Ctrl+C as a terminal sends it. A test run started in the background of a non-interactive shell
    # inherits SIGINT ignored (POSIX), and Python then leaves it ignored: give the child the default back.
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "watch", str(docs), "--index", str(index), "--for", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout.readline().startswith("watching ")
        time.sleep(0.5)
        (docs / "volcano.txt").write_text(TEXTS["volcano.txt"])
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and not line.startswith("indexed"):
            line = proc.stdout.readline()
        assert line.startswith("indexed") and "volcano.txt" in line
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # say where it hangs: every thread's stack
            proc.send_signal(signal.SIGABRT)
            raise AssertionError("watch did not stop on Ctrl+C:\n" + proc.communicate()[1][-8000:]) from None
    assert proc.returncode == 130
    (docs / "bees.txt").write_text(TEXTS["bees.txt"])  # while nobody watches
    (docs / "volcano.txt").unlink()
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "watch", "--index", str(index), "--for", "0.5"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "indexed" in out.stdout and "bees.txt" in out.stdout
    assert "removed" in out.stdout and "volcano.txt" in out.stdout
