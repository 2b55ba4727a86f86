"""Stage 3, text-aware verification: a cross-encoder rescoring the best ``verify_k`` passages of stage 2.

A cross-encoder reads the query and one passage together (one transformer pass per pair) and returns a
relevance logit, so it sees word order and interactions MaxSim's independent encodings cannot; it costs
one model call per pair, which is why only the top ``verify_k`` of stage 2 get one ("retrieve, then
rerank": Nogueira & Cho, *Passage Re-ranking with BERT*, 2019; the seed SDK's stage 3).

The core only defines what a verifier must do (:class:`Verifier`); the models live in
:mod:`workbench.encode.cross_encoder`, so nothing here imports onnxruntime or torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypedDict

import numpy as np
from numpy.typing import NDArray

VERIFY_BATCH = 8  # pairs scored between two cancellation points (≈0.1–0.2 s on two cores)


class Verifier(Protocol):
    """A cross-encoder: relevance scores for (query, passage) pairs.

    ``name`` identifies the model (its hub id or folder); ``backend`` the runtime (``onnxruntime-cpu``,
    ``torch-cpu``); ``max_tokens`` the longest pair it reads (a longer pair is truncated, the longer of
    query and passage first — in practice the passage).
    """

    name: str
    backend: str
    max_tokens: int

    def score(self, query: str, passages: Sequence[str]) -> tuple[NDArray[np.float32], int]:
        """``(scores, tokens)``: float32 ``[len(passages)]`` logits (higher is more relevant) and the
        number of tokens the model read for all pairs together (after truncation, without padding)."""
        ...

    def estimate_ms(self, pairs: int, tokens_per_pair: float) -> float:
        """Expected milliseconds for ``pairs`` pairs of about ``tokens_per_pair`` tokens on this machine."""
        ...


@dataclass(frozen=True)
class Verified:
    """Stage 3's judgement of one hit: its cross-encoder ``score`` and where stage 2 had ranked it
    (``stage2_rank`` 1-based, ``stage2_score`` the MaxSim or fused score stage 2 ranked by)."""

    score: float
    stage2_rank: int
    stage2_score: float

    def describe(self) -> str:
        """One line for people: ``cross-encoder 6.2104 · stage 2 #4 (0.0258)``."""
        return f"cross-encoder {self.score:.4f} · stage 2 #{self.stage2_rank} ({self.stage2_score:.4f})"

    def to_dict(self) -> VerifiedDict:
        return {"score": self.score, "stage2_rank": self.stage2_rank, "stage2_score": self.stage2_score}


class VerifiedDict(TypedDict):
    """:meth:`Verified.to_dict`: its fields by name."""

    score: float
    stage2_rank: int
    stage2_score: float


@dataclass(frozen=True)
class VerifyProgress:
    """Yielded by a search between two batches of stage 3: ``done`` of ``total`` pairs scored so far."""

    done: int
    total: int
    ms: float
