"""The Compare backends tab: the shown result's query, plan and filter run again on every executor at hand
(the NumPy reference, Mojo where it runs, Qdrant where the tab names a collection) — and on the index's other
storage tier where it keeps two (``--keep-exact``) — and the index exported to that Qdrant collection on
request."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..collection import Collection
from ..core import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND, SearchResult, available_backends, search_with_plan
from ..platform.messages import first_line
from .compare_view import CompareView
from .qdrant_link import QdrantLink
from .status_line import ERROR_CHARS
from .workers import CancelToken, JobRunner


class CompareController(QObject):
    """Compares :meth:`set_result`'s result in ``compare`` whenever the tab is shown (:meth:`set_active`), a
    search ends while it is (:meth:`refresh`) or Qdrant is switched on or off; Sync exports to Qdrant."""

    finished = Signal()  # a comparison is shown (or why none could run)

    def __init__(self, runner: JobRunner, compare: CompareView) -> None:
        super().__init__()
        self.runner, self.compare = runner, compare
        self.coll: Collection | None = None
        self.result: SearchResult | None = None
        self.active = False  # whether the tab is on screen
        self._sync_token: CancelToken | None = None  # an export to Qdrant
        self._qdrant: QdrantLink | None = None
        compare.qdrant_toggled.connect(lambda _on: self.run())
        compare.sync_requested.connect(self.sync_qdrant)

    def set_collection(self, coll: Collection | None) -> None:
        """Compare on ``coll``'s index, and sync it (``None``: none is open)."""
        self.coll = coll

    def set_result(self, result: SearchResult | None) -> None:
        """The result the next comparison runs again (``None``: none is shown)."""
        self.result = result

    def set_active(self, active: bool) -> None:
        """The tab was shown (compare now) or hidden."""
        self.active = active
        if active:
            self.run()

    def refresh(self) -> None:
        """A new result is on screen: compare it if the tab is."""
        if self.active:
            self.run()

    def clear(self) -> None:
        """Forget the result and empty the tab (another index is shown)."""
        self.result = None
        self.compare.clear()

    def cancel(self) -> None:
        """Stop a sync after the batch in flight (the next one sends the rest)."""
        if self._sync_token is not None:
            self._sync_token.cancel()

    def close(self) -> None:
        """Release the Qdrant client (a local-mode folder is unlocked for the next program)."""
        if self._qdrant is not None:
            self._qdrant.close()

    def run(self) -> None:
        """The shown result's query, plan and filter on every executor at hand: the NumPy reference, Mojo where
        it runs, Qdrant where the compare tab names a collection — and on the index's other stored tier, if it
        keeps two, with the fastest local executor; on a worker, one index snapshot."""
        if self.result is None or self.coll is None:
            return
        problems = {}
        ok, why = available_backends()[MOJO_EXACT_CPU_BACKEND]
        local = [NUMPY_REFERENCE_BACKEND] + ([MOJO_EXACT_CPU_BACKEND] if ok else [])
        if not ok:
            problems[MOJO_EXACT_CPU_BACKEND] = why
        link = self._qdrant_link()
        own, *other_tiers = self.coll.scored_tiers  # a compact index that keeps its exact vectors: both tiers
        if len(local) == 1 and link is None and not other_tiers:
            self.compare.show_unavailable(f"the Mojo backend is not available: {why}")
            self.finished.emit()
            return
        query, plan, where, coll = self.result.query, self.result.plan, self.result.where, self.coll

        def run(index):
            verifier = coll.verifier_for(plan)  # stage 3, if the plan has it, runs on both (same model)
            results = [search_with_plan(query, index, plan, backend, where, verifier) for backend in local]
            tiers = [
                (t, search_with_plan(query, coll.late_index(t), plan, local[-1], where, verifier)) for t in other_tiers
            ]
            found = dict(problems)
            if link is not None:
                try:
                    results.append(link.search(query, index, plan, where))
                except (ValueError, RuntimeError, OSError) as exc:  # the local comparison still stands
                    found["qdrant"] = first_line(exc, ERROR_CHARS)
            return results, found, tiers, own

        self.runner.start(
            lambda: coll.retrying(run),
            on_return=self._compare_done,
            on_error=lambda e: self.compare.show_unavailable(first_line(e, ERROR_CHARS)),
        )

    def _compare_done(self, outcome) -> None:
        self.compare.set_results(*outcome)
        self.finished.emit()

    def _qdrant_link(self) -> QdrantLink | None:
        """The link to the Qdrant collection the compare tab names (kept while the names stay), or ``None``."""
        choice = self.compare.qdrant_choice()
        if self._qdrant is not None and (self._qdrant.target, self._qdrant.collection) != choice:
            self._qdrant.close()
            self._qdrant = None
        if choice is not None and self._qdrant is None:
            self._qdrant = QdrantLink(*choice)
        return self._qdrant

    def sync_qdrant(self) -> None:
        """Export the index to the compare tab's Qdrant collection (or bring it up to date) on a worker, with
        progress under the Qdrant row; Esc stops it after the batch in flight (the next sync sends the rest)."""
        self.compare.qdrant_on.setChecked(True)
        link = self._qdrant_link()
        if self.coll is None or link is None or self._sync_token is not None:
            if link is None:
                self.compare.qdrant_status.setText("name a Qdrant URL or folder and a collection first")
            return
        token = self._sync_token = CancelToken()
        self.compare.sync.setEnabled(False)
        self.compare.qdrant_status.setText(f"syncing {link.collection!r}… (Esc stops)")
        self.runner.start(
            link.sync_steps,
            self.coll,
            token,
            on_yield=lambda step: self.compare.qdrant_status.setText(
                f"syncing {link.collection!r}: {step[0]:,} of {step[1]:,} passages sent (Esc stops)"
            ),
            on_return=self._synced,
            on_error=self._sync_failed,
        )

    def _synced(self, report) -> None:
        self._sync_token = None
        self.compare.sync.setEnabled(True)
        if report is None:
            self.compare.qdrant_status.setText("sync stopped; what was sent stays, Sync again sends the rest")
            return
        self.compare.qdrant_status.setText(
            f"{'created' if report.created else 'synced'} {report.collection!r}: {report.upserted:,} sent, "
            f"{report.deleted:,} removed, {report.points:,} points = the index's live passages"
        )
        self.run()

    def _sync_failed(self, exc: Exception) -> None:
        self._sync_token = None
        self.compare.sync.setEnabled(True)
        self.compare.qdrant_status.setText(f"sync failed: {first_line(exc, ERROR_CHARS)}")
