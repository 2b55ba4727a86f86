"""The storage tiers a new index may choose, in words for the window's New index dialog
(:mod:`workbench.store.tiers` holds what they are)."""

from __future__ import annotations

from ..store.tiers import DEFAULT_TIER, EXACT

__all__ = ["DEFAULT_TIER", "EXACT", "TIER_CHOICES"]

# (tier, what it costs and gives) in the order the dialog lists them
TIER_CHOICES = (
    (
        "compact-4",
        "Compact, 4-bit: 68 bytes per token (a centroid code and a 4-bit residual per dimension), 3.8× smaller "
        "than exact; MaxSim over the compressed vectors. On SciFact and Cranfield nDCG@10 within 0.002 of "
        "exact, 96 % of the exact top-10.",
    ),
    (
        "compact-2",
        "Compact, 2-bit: 36 bytes per token, 7× smaller than exact; nDCG@10 within 0.003 of exact on SciFact "
        "and Cranfield, 91 % of the exact top-10.",
    ),
    (EXACT, "Exact: float16 vectors, 256 bytes per token; MaxSim over the vectors as the encoder gave them."),
)
