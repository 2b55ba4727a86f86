"""The background maintenance of a :class:`~.facade.Collection`'s index, as the collection offers it: one
:class:`~.maintenance.Maintenance` thread per open index, made on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .maintenance import Maintenance

if TYPE_CHECKING:
    from ..store import IndexStore


class MaintainedIndex:
    """What :class:`~.facade.Collection` says and does about background maintenance (coding new segments,
    merges, retraining); it needs ``store`` and the ``_index`` snapshot that a finished pass invalidates."""

    store: IndexStore
    _maintenance_thread: Maintenance | None

    @property
    def _maintenance(self) -> Maintenance:
        """This collection's maintenance thread, made on first use (a collection being created has no
        store until its encoder has loaded)."""
        if self._maintenance_thread is None:
            self._maintenance_thread = Maintenance(self.store, lambda: setattr(self, "_index", None))
        return self._maintenance_thread

    @property
    def maintaining(self) -> bool:
        """Whether a maintenance thread (coding new segments, merges, retraining) is running."""
        return self._maintenance.running

    @property
    def maintenance_error(self) -> str | None:
        """Why the last background maintenance stopped, if it failed."""
        return self._maintenance.error

    @property
    def centroids_trained_because(self) -> str | None:
        """Why background maintenance last retrained the centroids (a client clears it once shown)."""
        return self._maintenance.centroids_trained_because

    @centroids_trained_because.setter
    def centroids_trained_because(self, why: str | None) -> None:
        self._maintenance.centroids_trained_because = why

    def start_maintenance(self) -> None:
        """Code new segments, carry out the merges that are due and retrain the centroids if needed, on
        a thread of this process that shares the writer lock (a running one takes the new work too).
        Searches never wait for it; another ingest of this process commits while it runs."""
        self._maintenance.start()

    def stop_maintenance(self, timeout_s: float | None = None) -> None:
        """Stop the maintenance thread between chunks (a merge in flight keeps nothing; it is due again
        next time) and wait for it, at most ``timeout_s``."""
        self._maintenance.stop(timeout_s)

    def wait_for_maintenance(self) -> None:
        """Wait until background maintenance has ended."""
        self._maintenance.wait()
