"""How well a search's hits match its query, in a number comparable across queries, and whether any of
them is a good match at all.

**Mean cosine.** A hit's MaxSim is the sum over the query's token vectors of each one's best cosine in
the passage, so it grows with the query's length (6.19 for an eight-token question, 1.60 for three
words): it orders the passages of one query, but says nothing across queries. Divided by the query
vectors the exact stage scored it is the *mean* over query tokens of their best cosine, in [-1, 1]:
with the default encoder at most 0.35–0.45 for phrases the index does not speak and 0.55–0.85 for a
question its passages answer, whatever the query's length (``docs/benchmarks.md``). It is known for every hit the exact stage scored —
under a fused plan from the MaxSim part of the fused score, under stage 3 from stage 2's score.

**The judgement.** The best hit's mean cosine is compared with a *floor* learnt from the index itself
(:mod:`workbench.collection.relevance_floor` learns it and says how): below it, no hit is a good match
and a client says so instead of listing the hits as answers; hits below the floor after good ones are
weak. A query of symbols alone (no letter or digit, such as ``???``) is never a good match: punctuation
tokens match punctuation in any passage with a high cosine, which says nothing about relevance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from .results import Hit, SearchResult

SYMBOLS_ONLY = "symbols only"  # the method named when a query without letters or digits is judged


@dataclass(frozen=True)
class Floor:
    """A relevance floor learnt from an index: ``value`` (a mean cosine), how it was learnt (``method``,
    one line), from how many nonsense queries (``samples``) on how many passages (``passages``), and
    the seconds learning took (``seconds``)."""

    value: float
    method: str
    samples: int
    passages: int
    seconds: float = 0.0

    def describe(self) -> str:
        """One line for people: ``floor 0.459 (the 10th percentile of random-word queries: 120 queries on
        449 passages)``."""
        return f"floor {self.value:.3f} (the {self.method}: {self.samples} queries on {self.passages} passages)"


@dataclass(frozen=True)
class Relevance:
    """The judgement of one result.

    ``cosines``: each hit's mean cosine in the result's hit order (``None`` where unknown); ``best``
    their maximum; ``floor`` the index's floor (``None``: no floor yet, ``why`` says why);
    ``good_match``: ``True`` when the best hit reaches the floor, ``False`` when it does not (or the
    query is symbols only), ``None`` when it cannot be told. ``weak``: per hit, whether it sits below
    the floor (every hit of a query judged no good match). ``method`` names the rule; ``why`` is one
    line for people with the figures.
    """

    cosines: tuple[float | None, ...]
    best: float | None
    floor: float | None
    good_match: bool | None
    weak: tuple[bool, ...]
    method: str
    why: str

    def to_dict(self) -> RelevanceDict:
        return {
            "floor": _rounded(self.floor),
            "best": _rounded(self.best),
            "good_match": self.good_match,
            "method": self.method,
            "why": self.why,
        }


class RelevanceDict(TypedDict):
    """:meth:`Relevance.to_dict`: floor and best mean cosine (6 places, ``None`` where unknown), the
    verdict, the rule and its reason."""

    floor: float | None
    best: float | None
    good_match: bool | None
    method: str
    why: str


def mean_cosine(result: SearchResult, hit: Hit) -> float | None:
    """``hit``'s MaxSim divided by the query vectors the exact stage scored: the mean over those query
    tokens of their best cosine in the passage. Taken from the MaxSim part of a fused score, and under
    stage 3 from stage 2's score (the cross-encoder's logit is no cosine). ``None`` where no exact
    stage scored the hits."""
    exact = next((s for s in result.stages if "exact_maxsim" in s.name), None)
    if exact is None or exact.query_vectors == 0:
        return None
    if hit.parts is not None:
        maxsim = hit.parts.maxsim
    elif hit.verified is not None:
        maxsim = hit.verified.stage2_score  # not fused (no parts), so stage 2 ranked by MaxSim
    else:
        maxsim = hit.score
    return maxsim / exact.query_vectors


def symbols_only(text: str) -> bool:
    """Whether ``text`` holds no letter and no digit (``???``, ``...``, ``%%``)."""
    return not any(ch.isalnum() for ch in text)


def judge(result: SearchResult, floor: Floor | None, why_no_floor: str = "no floor yet") -> Relevance:
    """Judge ``result`` against ``floor`` (``None``: not learnt, for the reason ``why_no_floor``).

    The best hit is the one with the highest mean cosine (under fusion or stage 3 it need not be ranked
    first). A query whose encoder text is symbols only is judged no good match whatever its cosines.
    """
    cosines = tuple(mean_cosine(result, h) for h in result.hits)
    known = [c for c in cosines if c is not None]
    best = max(known) if known else None
    if not result.hits:
        return Relevance((), None, floor.value if floor is not None else None, None, (), "", "no hits to judge")
    if symbols_only(result.query.text):
        return Relevance(
            cosines,
            best,
            floor.value if floor is not None else None,
            False,
            (True,) * len(cosines),
            SYMBOLS_ONLY,
            "the query holds no letter or digit: punctuation matches punctuation in any passage, so no hit "
            "is a good match",
        )
    if floor is None:
        return Relevance(cosines, best, None, None, (False,) * len(cosines), "", why_no_floor)
    weak = tuple(c is not None and c < floor.value for c in cosines)
    if best is None:
        return Relevance(
            cosines, None, floor.value, None, weak, floor.method, "no mean cosine: no exact stage scored the hits"
        )
    good = best >= floor.value
    return Relevance(
        cosines,
        best,
        floor.value,
        good,
        weak,
        floor.method,
        f"best mean cosine {best:.3f} {'≥' if good else '<'} this index's relevance {floor.describe()}",
    )


def _rounded(value: float | None) -> float | None:
    return round(value, 6) if value is not None else None
