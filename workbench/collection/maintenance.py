"""Background maintenance of a growing index: coding new segments under the current centroids, the merges
the tiered policy asks for, and retraining the centroids after growth or drift.

An ingest either runs these steps itself after its commit (:func:`merge_due`,
:func:`retrain_centroids_if_needed`: the CLI's one-shot ingest), or hands them to a :class:`Maintenance`
thread (long-lived programs: the window, ``watch``), so that the next change is indexed without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from ..core import LateIndex
from ..store import IndexStore, display_path
from ..store.centroid_meta import TrainingReason
from ..store.centroid_store import RESIDUAL_BITS
from ..store.compaction import pending, rewrite_segments
from ..store.merge import MergeStopped
from ..store.segment_listing import list_segments
from ..store.tiers import stored_bits, tier_bits
from .errors import plain_disk_full
from .events import IngestEvent
from .ingest_times import IngestTimes


def code_new_segments(store: IndexStore) -> None:
    """Give every new segment its codes under the current centroids (growth without retraining); in a
    compact index, code the float16 segments written before its centroids existed into coded ones."""
    coding = store.centroids.coding(store.dim)
    if pending(store) and coding is not None and coding[1].nbits == tier_bits(store.tier):
        rewrite_segments(store, store.tier, coding)
    store.code_float16_segments()


def merge_due(store: IndexStore, done: int, total: int, times: IngestTimes) -> Iterator[IngestEvent]:
    """Carry out the merges the tiered policy asks for, each announced by a ``merging`` event. The new
    documents are committed (searchable) before the first; searches never wait for a merge."""
    while due := store.next_merge():
        files, live = due
        yield IngestEvent(
            display_path(store.root),
            "merging",
            done,
            total,
            f"{len(files)} segments, {live:,} live token vectors",
            vectors=live,
        )
        with times.phase("merge"):
            store.merge(files)


# Why a training runs, in words for people who do not know what a centroid is.
PLAIN_REASONS = {
    "first": "the first set for this index",
    "damaged": "the previous set was damaged",
    "grown": "the collection has grown fourfold since the last set",
    "drift": "new documents differ from those the last set was trained on",
}


def training_line(why: TrainingReason, n_live: int, n_centroids: int) -> str:
    """The ``centroids`` event's message: why in plain words, what is trained, and the store's figures
    where they say more ("…: 1,024 centroids for 262,144 token vectors")."""
    line = f"{PLAIN_REASONS[why.kind]}: {n_centroids:,} centroids for {n_live:,} token vectors"
    return line + (f" ({why.detail})" if why.kind in ("damaged", "drift") else "")


def retrain_centroids_if_needed(store: IndexStore, done: int, total: int, times: IngestTimes) -> Iterator[IngestEvent]:
    """Train the centroids (announced by a ``centroids`` event) when there are none yet, the collection
    outgrew them or new vectors drifted from them. Readers keep the old set until the new one is
    committed whole."""
    n_live = store.live_vectors()
    why = store.centroids.needs_training(n_live, store.dim)
    if why:  # the passage layout is read only when there is training to do
        line = training_line(why, n_live, store.centroids.planned_count(n_live))
        yield IngestEvent(display_path(store.root), "centroids", done, total, line)
        with times.phase("centroids"):
            packed = store.packed_segments()
            index = LateIndex(packed.vectors, packed.starts, packed.lengths, packed.passage_ids)
            bits = stored_bits(store.manifest)
            coding = store.centroids.coding(store.dim) if bits else None
            if coding is not None and coding[1].nbits == bits:
                # A compact index's codes refer to its centroids: new ones are added, none moves.
                if pending(store):
                    rewrite_segments(store, store.tier, coding)
                    packed = store.packed_segments()
                    index = LateIndex(packed.vectors, packed.starts, packed.lengths, packed.passage_ids)
                store.centroids.train(index, packed.files, packed.sizes, keep=coding)
            elif bits:  # no usable table: no coded segment is live (handed back when the writer began)
                store.centroids.train(index, packed.files, packed.sizes, nbits=bits, code_segments=False)
                rewrite_segments(store, store.tier, store.centroids.coding(store.dim))
            else:  # float16 segments, coded as derived data: 4 or 2 bits if a compact index keeps them
                store.centroids.train(index, packed.files, packed.sizes, nbits=tier_bits(store.tier) or RESIDUAL_BITS)
            # the new version's lists: linked from the old one where the codes stayed, else listed now
            list_segments(store.centroids, store.catalog, store.segments())


class Maintenance:
    """One maintenance thread per open index: :meth:`start` asks for a pass (a running thread takes the
    new work too). The thread holds the index's writer lock while it works, so nothing else tidies its
    files; searches never wait for it. ``on_change`` is called when it ends (the index changed)."""

    def __init__(self, store: IndexStore, on_change: Callable[[], None]) -> None:
        self.store = store
        self.error: str | None = None  # why the last pass stopped, if it failed
        self.centroids_trained_because: str | None = None  # set when a pass retrained the centroids
        self._on_change = on_change
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._wanted = False
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        """Whether a maintenance thread (coding new segments, merges, retraining) is running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Code new segments, carry out the merges that are due and retrain the centroids if needed, on a
        thread of this process that shares the writer lock. Another ingest of this process commits
        while it runs."""
        with self._lock:
            self._wanted = True
            if self.running:
                return
            self.store.acquire_writer()  # taken here, released by the thread: nothing tidies its files
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="kayak-maintenance", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Stop the thread between chunks (a merge in flight keeps nothing; it is due again next time)
        and wait for it, at most ``timeout_s`` (a centroid training is not cut short; the thread is a
        daemon, and a process that exits meanwhile loses nothing committed)."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def wait(self) -> None:
        """Wait until the running pass (and any asked for meanwhile) has ended."""
        thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                with self._lock:
                    if not self._wanted:
                        self._thread = None
                        return
                    self._wanted = False
                code_new_segments(self.store)
                self.store.maybe_merge(self._stop)
                if not self._stop.is_set():
                    for event in retrain_centroids_if_needed(self.store, 0, 0, IngestTimes()):
                        self.centroids_trained_because = event.message
        except MergeStopped:
            pass
        except Exception as exc:  # noqa: BLE001 — reported in words; the committed documents are safe
            if isinstance(exc, OSError):
                exc = plain_disk_full(self.store, exc, "a merged segment")
            self.error = f"index maintenance stopped: {exc}"
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
            self.store.release_writer()
            self._on_change()
