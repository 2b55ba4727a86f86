"""Which stored vectors a search scores: an index's own storage tier, or — for a compact index that keeps its
float16 vectors too (``keep_exact``, :mod:`workbench.store.tiers`) — either tier, one query on both."""

from __future__ import annotations

from ..core import LateIndex
from ..core.compressed_view import compressed_view
from ..store import IndexStore
from ..store.tiers import EXACT, scored_tiers


class ScoredTiers:
    """The tiers ``store`` can score, and the index of a snapshot that scores one of them."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self._compressed: tuple[LateIndex, LateIndex | None] | None = None  # (snapshot, its compressed view)

    @property
    def tiers(self) -> list[str]:
        """The index's own tier first (what searches score by default), then ``exact`` if it keeps those."""
        return scored_tiers(self.store.manifest)

    def check(self, tier: str | None) -> str:
        """``tier`` (``None``: the index's own) if a search of this index can score it; else ``ValueError``."""
        kept = self.tiers
        if tier is None:
            return kept[0]
        if tier not in kept:
            how = "" if self.store.tier == EXACT else " (an index created with --keep-exact keeps both)"
            raise ValueError(f"{self.store.root} keeps its vectors in the {' and '.join(kept)} tier only{how}")
        return tier

    def view(self, snapshot: LateIndex, tier: str | None) -> LateIndex:
        """``snapshot`` scoring ``tier``: itself, or (a compact tier of an index keeping both) its compressed
        view, built once per snapshot. Before its first centroids such an index has only float16 vectors,
        and those are scored (the profile then says ``exact_maxsim``)."""
        if self.check(tier) == EXACT or not self.store.keeps_exact:
            return snapshot
        if self._compressed is None or self._compressed[0] is not snapshot:
            self._compressed = (snapshot, compressed_view(snapshot))
        return self._compressed[1] or snapshot
