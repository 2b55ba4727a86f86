"""Watched folders: file-system events turned into settled batches of changed paths.

:class:`FolderWatcher` listens with watchdog (inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW
on Windows) to every watched folder, recursively, and hands out a path once it has been quiet for
``debounce_s`` *and* its size and modification time stayed the same meanwhile — a file still being
written (a download, a copy) keeps changing and waits. A file that fails to parse although it changed
within ``retry_window_s`` may be half-written by a writer that paused: :meth:`FolderWatcher.retry_later`
puts it back for another try (at most ``MAX_RETRIES`` times) instead of leaving it failed.
:func:`sync_events` does one batch through :meth:`~workbench.collection.Collection.iter_sync`.

Nothing here knows of Qt: ``workbench watch`` polls :meth:`FolderWatcher.due` in a loop, the GUI from a
timer, and both run :func:`sync_events` (the GUI on its worker thread).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..ingest import is_supported

if TYPE_CHECKING:
    from .events import IngestEvent
    from .facade import Collection

DEBOUNCE_S = 1.0  # quiet time after a path's last event before it is handed out
RETRY_WINDOW_S = 60.0  # a failed file modified this recently may be half-written: try it again
RETRY_AFTER_S = 5.0
MAX_RETRIES = 3


class FolderWatcher:
    """Collects changed paths under ``folders`` (recursively) from file-system events."""

    def __init__(self, folders: Iterable[Path], debounce_s: float = DEBOUNCE_S) -> None:
        self.folders = [Path(f) for f in folders]
        self.debounce_s = debounce_s
        self._lock = threading.Lock()
        self._pending: dict[Path, tuple[float, tuple[int, float] | None]] = {}  # path → (due at, stat seen)
        self._retries: dict[Path, int] = {}
        self._observer = None

    def start(self) -> None:
        """Begin listening (a background thread of watchdog's); folders that do not exist are skipped."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return  # reads change nothing
                if event.is_directory and event.event_type == "modified":
                    return  # a folder's own time: its entries send their own events
                watcher.touch(os.fsdecode(event.src_path))
                if getattr(event, "dest_path", ""):
                    watcher.touch(os.fsdecode(event.dest_path))

        self._observer = Observer()
        for folder in self.folders:
            if folder.is_dir():
                self._observer.schedule(Handler(), os.fsdecode(folder), recursive=True)
        self._observer.daemon = True
        self._observer.start()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def touch(self, path: str | Path, delay_s: float | None = None) -> None:
        """Note that ``path`` changed (an event); it is handed out once quiet for ``debounce_s`` (or
        ``delay_s``). Hidden names and files of types the ingest does not read are ignored."""
        p = Path(path)
        if (
            self._hidden(p)
            or (not p.is_dir() and os.path.lexists(p) and not is_supported(p))
            or (not os.path.lexists(p) and p.suffix and not is_supported(p))
        ):
            return
        with self._lock:
            self._pending[p] = (time.monotonic() + (self.debounce_s if delay_s is None else delay_s), _stat(p))

    def _hidden(self, path: Path) -> bool:
        """Whether ``path`` is, or lies in, a hidden entry below its watched folder (``.git/…``, an
        editor's ``.swp``): the ingest skips those in folders too."""
        for folder in self.folders:
            if path.is_relative_to(folder):
                return any(part.startswith(".") for part in path.relative_to(folder).parts)
        return path.name.startswith(".")

    def retry_later(self, path: str | Path) -> bool:
        """Put a file that failed back for another try, if it changed within ``RETRY_WINDOW_S`` and has
        not been retried ``MAX_RETRIES`` times; returns whether it will be retried."""
        p = Path(path)
        st = _stat(p)
        tries = self._retries.get(p, 0)
        if st is None or time.time() - st[1] > RETRY_WINDOW_S or tries >= MAX_RETRIES:
            self._retries.pop(p, None)
            return False
        self._retries[p] = tries + 1
        self.touch(p, RETRY_AFTER_S)
        return True

    def due(self) -> list[Path]:
        """Paths that have settled — quiet since their debounce and with the same size and time as at
        their last event — taken out of the pending set, oldest first. A path that changed meanwhile
        (still being written) waits another ``debounce_s``."""
        now = time.monotonic()
        out = []
        with self._lock:
            for p, (at, seen) in list(self._pending.items()):
                if at > now:
                    continue
                st = _stat(p)
                if st != seen:
                    self._pending[p] = (now + self.debounce_s, st)
                    continue
                out.append(p)
                del self._pending[p]
        return out

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)


def sync_events(coll: Collection, watcher: FolderWatcher, paths: list[Path]) -> Iterator[IngestEvent]:
    """:meth:`Collection.iter_sync` over a settled batch; a file that failed while it may still be
    being written is put back for a retry (its event then says so) instead of staying failed."""
    from dataclasses import replace

    for ev in coll.iter_sync(paths):
        if ev.status == "failed" and watcher.retry_later(ev.path):
            ev = replace(ev, message=f"{ev.message} (it changed moments ago: trying again in {RETRY_AFTER_S:.0f} s)")
        yield ev


def _stat(path: Path) -> tuple[int, float] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime
