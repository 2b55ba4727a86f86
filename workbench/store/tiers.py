"""Storage tiers: how an index keeps its token vectors, chosen when it is created (the manifest's
``storage_tier``) and changed only by a conversion (:mod:`.tier_conversion`).

* ``exact`` — float16 vectors (256 bytes per 128-d token), MaxSim on the vectors as encoded; the centroid
  codes and 2-bit residuals beside them are derived data for stage 1.
* ``compact-4`` / ``compact-2`` — no float vectors: a token is its centroid code and a 4- or 2-bit residual
  per dimension (68 or 36 bytes), in coded segment files; stage 2 is exact MaxSim over the compressed
  vectors, scored by the kernel without decompressing them. The centroid table is then part of the data:
  it only grows (new centroids are added, old ones never move), so every code stays valid.

A compact index created with ``keep_exact`` keeps both: float16 segments, as the exact tier, and beside each
its coded rows' two parts (centroid codes and residuals of the tier's bits, derived data of the centroid
version, recoded at each training). Searches score the compressed vectors unless told to score the exact
ones, so one query can be scored on both tiers of one index (the compare view, ``search --tier``).
"""

from __future__ import annotations

from .errors import IndexFormatError

TIER_KEY = "storage_tier"
KEEP_EXACT_KEY = "keep_exact"  # manifest: "1" when a compact index keeps its float16 vectors too
TIERS = {"exact": 0, "compact-4": 4, "compact-2": 2}  # tier → residual bits of its coded segments
EXACT = "exact"
DEFAULT_TIER = "compact-4"  # what a new index keeps unless told otherwise (benchmarks.md: storage tiers)


def tier_of(manifest: dict[str, str]) -> str:
    """The index's storage tier (``exact`` for an index written before tiers); :class:`IndexFormatError` for
    one this program does not know."""
    tier = manifest.get(TIER_KEY, EXACT)
    if tier not in TIERS:
        raise IndexFormatError(
            f"the index keeps its vectors in storage tier {tier!r}, which this version does not read "
            f"(it reads {', '.join(TIERS)}); open it with the version that wrote it"
        )
    return tier


def tier_bits(tier: str) -> int:
    """Residual bits of a tier's coded rows (0: the exact tier keeps float16 vectors)."""
    return TIERS[tier]


def check_tier(tier: str) -> str:
    """``tier`` if it is one this program writes; else ``ValueError`` naming the choices."""
    if tier not in TIERS:
        raise ValueError(f"unknown storage tier {tier!r}; choose one of {', '.join(TIERS)}")
    return tier


def keeps_exact(manifest: dict[str, str]) -> bool:
    """Whether a compact index keeps its float16 vectors as well (created or converted with ``keep_exact``)."""
    return manifest.get(KEEP_EXACT_KEY) == "1" and tier_of(manifest) != EXACT


def stored_bits(manifest: dict[str, str]) -> int:
    """Residual bits of the segments this index writes: 0 (float16 vectors) for the exact tier and for a
    compact index that keeps its exact vectors; the tier's bits for coded segments."""
    return 0 if keeps_exact(manifest) else tier_bits(tier_of(manifest))


def scored_tiers(manifest: dict[str, str]) -> list[str]:
    """The tiers a search of this index can score: its own, first (the default), then ``exact`` if kept."""
    tier = tier_of(manifest)
    return [tier, EXACT] if keeps_exact(manifest) else [tier]
