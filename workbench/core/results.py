"""What a search returns: ranked hits, one profile per stage, and token alignments for heatmaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

import numpy as np
from numpy.typing import NDArray

from .budgets import BUDGET_RULE
from .filters import PassageFilter, PassageFilterDict
from .fusion import ScoreParts, ScorePartsDict
from .layouts import LateIndex, LateQuery, PassageInfo
from .plans import SearchPlan, SearchPlanDict
from .query_syntax import ParsedQuery
from .verification import Verified, VerifiedDict


@dataclass(frozen=True)
class StageProfile:
    """Cost and effect of one stage.

    ``pairwise_similarities`` counts query-vector × document-vector dot products actually computed;
    ``setup_ms`` is time spent building stage structures on first use (kept apart from ``ms``).
    A centroid stage also reports ``probed`` (passages on at least one probed list), ``lookups``
    (inverted-list entries read) and ``n_probe`` (lists probed per query vector, widened under a filter).
    A verification stage (stage 3) scores no vectors: it reports ``pairs`` (query–passage pairs the
    cross-encoder read) and ``tokens`` (their tokens after truncation), and its backend is the model runtime.
    """

    name: str
    candidates_in: int
    candidates_out: int
    query_vectors: int
    document_vectors: int
    pairwise_similarities: int
    ms: float
    backend: str
    budget_rule: str = BUDGET_RULE
    setup_ms: float = 0.0
    probed: int = 0
    lookups: int = 0
    n_probe: int = 0
    pairs: int = 0
    tokens: int = 0
    note: str = ""  # why this stage ran: the auto plan's choice, on the first stage it chose

    def to_dict(self) -> StageProfileDict:
        return {
            "name": self.name,
            "candidates_in": self.candidates_in,
            "candidates_out": self.candidates_out,
            "query_vectors": self.query_vectors,
            "document_vectors": self.document_vectors,
            "pairwise_similarities": self.pairwise_similarities,
            "ms": self.ms,
            "backend": self.backend,
            "budget_rule": self.budget_rule,
            "setup_ms": self.setup_ms,
            "probed": self.probed,
            "lookups": self.lookups,
            "n_probe": self.n_probe,
            "pairs": self.pairs,
            "tokens": self.tokens,
            "note": self.note,
        }


class StageProfileDict(TypedDict):
    """:meth:`StageProfile.to_dict`: its fields by name."""

    name: str
    candidates_in: int
    candidates_out: int
    query_vectors: int
    document_vectors: int
    pairwise_similarities: int
    ms: float
    backend: str
    budget_rule: str
    setup_ms: float
    probed: int
    lookups: int
    n_probe: int
    pairs: int
    tokens: int
    note: str


@dataclass(frozen=True)
class Hit:
    """One ranked passage. ``rank`` is 1-based; ``page`` 1-based or ``None`` for unpaged sources.

    ``score`` is what ranked it: exact MaxSim, or under a fused hybrid plan the fused score, whose two
    parts (MaxSim and BM25, each with its rank) are in ``parts``; under stage 3 the cross-encoder's
    score, with stage 2's rank and score in ``verified`` (``None`` below ``verify_k``: stage 2's score)."""

    rank: int
    passage_id: int
    score: float
    row: int
    info: PassageInfo | None = None
    parts: ScoreParts | None = None
    verified: Verified | None = None

    @property
    def path(self) -> str | None:
        return self.info.path if self.info else None

    @property
    def page(self) -> int | None:
        return self.info.page if self.info else None

    @property
    def text(self) -> str | None:
        return self.info.text if self.info else None

    @property
    def location(self) -> str:
        """Where the passage is in its format's terms ("slide 3", "message 4 · “Re: lunch”"); ``""`` where
        the page alone says it (PDF, text)."""
        return self.info.location if self.info else ""

    @property
    def record(self) -> str | None:
        """The record inside the file the passage belongs to (a mail message's key, a BEIR ``_id``);
        ``None`` where the file is the one record."""
        return self.info.source_key if self.info else None

    def to_dict(self) -> HitDict:
        out: HitDict = {
            "rank": self.rank,
            "passage_id": self.passage_id,
            "score": self.score,
            "path": self.path,
            "page": self.page,
            "location": self.location,
            "record": self.record,
            "text": self.text,
        }
        if self.parts is not None:
            out["parts"] = self.parts.to_dict()
        if self.verified is not None:
            out["verified"] = self.verified.to_dict()
        return out


class HitDict(TypedDict):
    """:meth:`Hit.to_dict`: where the passage is and what it says, with ``parts`` under a fused plan and
    ``verified`` under stage 3 (absent otherwise)."""

    rank: int
    passage_id: int
    score: float
    path: str | None
    page: int | None
    location: str
    record: str | None
    text: str | None
    parts: NotRequired[ScorePartsDict]
    verified: NotRequired[VerifiedDict]


@dataclass(frozen=True)
class Alignment:
    """Query-token × passage-token similarities of one hit, under the plan's budgets.

    ``similarities``: float32 ``[n_query_tokens, n_passage_tokens]``; ``best``: int ``[n_query_tokens]``,
    the passage token each query token matched (its argmax); ``row_max`` the matched similarity; their
    sum is the hit's exact score.
    """

    query_tokens: tuple[str, ...]
    passage_tokens: tuple[str, ...]
    similarities: NDArray[np.float32]
    best: NDArray[np.int64]
    row_max: NDArray[np.float32]

    @property
    def score(self) -> float:
        return float(self.row_max.sum())


@dataclass
class SearchResult:
    query: LateQuery
    plan: SearchPlan
    backend: str
    hits: list[Hit]
    stages: list[StageProfile]
    index: LateIndex = field(repr=False)
    stage1_candidates: NDArray[np.int64] | None = field(default=None, repr=False)
    where: PassageFilter | None = None  # the filter searched within (None: every passage)
    eligible: int = 0  # passages the filter admitted (all live ones without a filter)
    requested: SearchPlan | None = None  # the plan asked for, where it differs from ``plan`` (auto, scaled candidate_k)
    syntax: ParsedQuery | None = None  # the query syntax read from the typed text (None: searched as given)
    # Alignments already computed, by (row, passage id): the GUI asks for the same hit's alignment for
    # its snippet, its detail and again on reselection, and a worker can compute them ahead.
    _alignments: dict[tuple[int, int], Alignment] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def total_ms(self) -> float:
        return sum(s.ms + s.setup_ms for s in self.stages)

    def alignment(self, hit: Hit) -> Alignment:
        """Token alignment of ``hit``: the vectors the exact stage scored, same budgets, same math.
        Computed once per hit; the arrays are shared between callers (treat them as read-only)."""
        key = (hit.row, hit.passage_id)
        al = self._alignments.get(key)
        if al is None:
            al = self._alignments[key] = self._compute_alignment(hit)
        return al

    def _compute_alignment(self, hit: Hit) -> Alignment:
        q = self.query.matrix()
        nq = q.shape[0] if self.plan.query_vector_budget == 0 else min(q.shape[0], self.plan.query_vector_budget)
        q = q[:nq]
        d = self.index.passage_vectors(
            hit.row,
            self.plan.document_vector_budget,
            decompressed=self.plan.rerank_vectors == "residual" and not self.index.compressed,
        )
        sims = q @ d.T
        best = sims.argmax(axis=1) if sims.shape[1] else np.zeros(nq, dtype=np.int64)
        q_tokens = tuple(self.query.tokens[:nq]) if self.query.tokens else tuple(f"q{i}" for i in range(nq))
        d_tokens = (
            tuple(hit.info.tokens[: d.shape[0]])
            if hit.info and hit.info.tokens
            else tuple(f"d{j}" for j in range(d.shape[0]))
        )
        row_max = sims[np.arange(nq), best] if sims.shape[1] else np.zeros(nq, np.float32)
        return Alignment(q_tokens, d_tokens, sims, best, row_max)

    def to_dict(self) -> SearchResultDict:
        return {
            "query": self.query.text,
            "plan": self.plan.to_dict(),
            "backend": self.backend,
            "where": self.where.to_dict() if self.where else None,
            "eligible_passages": self.eligible,
            "hits": [h.to_dict() for h in self.hits],
            "stages": [s.to_dict() for s in self.stages],
        }


class SearchResultDict(TypedDict):
    """:meth:`SearchResult.to_dict`: the query text, the plan run, the filter and how many passages it
    admitted, the hits best first and one profile per stage."""

    query: str
    plan: SearchPlanDict
    backend: str
    where: PassageFilterDict | None
    eligible_passages: int
    hits: list[HitDict]
    stages: list[StageProfileDict]
