"""The two data layouts the SDK speaks: :class:`LateQuery` and :class:`LateIndex`.

``LateQuery`` holds one vector per query token, either ``nested`` (a 2-D array, row per token) or
``flat_dim128`` (one contiguous float32 buffer of ``n_tokens × 128`` values, as a kernel wants it).
``LateIndex`` holds every passage's token vectors ``packed`` into one ``[T, dim]`` array with per-passage
``starts``/``lengths``; its ``hybrid_flat_dim128`` form adds the stage-1 structures (passage proxies).
Conversions to the ``*_dim128`` layouts check that ``dim == 128`` and say so when it is not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .budgets import kept_counts
from .filters import PassageFilter
from .packed import gather_indices, token_chunks

if TYPE_CHECKING:
    from .centroids import CentroidIndex
    from .residuals import ResidualIndex
    from .segmented import PackedVectors

FLAT_DIM = 128
QUERY_LAYOUTS = ("nested", "flat_dim128")
INDEX_LAYOUTS = ("packed", "hybrid_flat_dim128")


class LayoutError(ValueError):
    """A layout conversion was asked of data that does not fit it (wrong dim, dtype or shape)."""


class EmptyIndex(ValueError):
    """A search of an index that holds no passages (nothing indexed yet, or every document removed)."""

    def __init__(self, name: str = "") -> None:
        where = f"{name} " if name else "this index "
        super().__init__(
            f"no passages indexed yet: {where}holds no passages (nothing was indexed, or every "
            "document was removed); add documents, then search"
        )


class IndexChanged(RuntimeError):
    """A writer changed the index (removed, replaced or merged passages) after this :class:`LateIndex`
    was read, and what a search found can no longer be described from the catalog. Reopen the index
    and search again (:class:`~workbench.collection.Collection` does so itself)."""


def _check_dim128(dim: int, what: str) -> None:
    if dim != FLAT_DIM:
        raise LayoutError(f"{what} has {dim}-dimensional vectors; the flat_dim128 layout needs exactly {FLAT_DIM}")


@dataclass(frozen=True)
class LateQuery:
    """A query encoded as one vector per token.

    ``data`` is float32: ``[n_tokens, dim]`` for ``nested``, ``[n_tokens * 128]`` for ``flat_dim128``.
    ``tokens`` are the token strings aligned with the vectors (for heatmaps); ``text`` the query text.
    ``lexical_text``: what the lexical (BM25) stage searches, where it differs from ``text`` (the query
    syntax's words with ``OR``, :mod:`.query_syntax`); ``""`` searches ``text``.
    """

    data: NDArray[np.float32]
    tokens: tuple[str, ...] = ()
    text: str = ""
    layout: str = "nested"
    dim: int = FLAT_DIM
    lexical_text: str = ""

    def __post_init__(self) -> None:
        if self.layout not in QUERY_LAYOUTS:
            raise LayoutError(f"unknown query layout {self.layout!r}; expected one of {QUERY_LAYOUTS}")
        data = np.ascontiguousarray(self.data, dtype=np.float32)
        if self.layout == "nested":
            if data.ndim != 2:
                raise LayoutError(f"a nested query needs a 2-D [tokens, dim] array, got shape {data.shape}")
            object.__setattr__(self, "dim", int(data.shape[1]))
        else:
            _check_dim128(self.dim, "this query")
            if data.ndim != 1 or data.size % FLAT_DIM:
                raise LayoutError(
                    f"a flat_dim128 query needs a 1-D buffer whose length is a multiple of 128, got shape {data.shape}"
                )
        object.__setattr__(self, "data", data)
        if self.tokens and len(self.tokens) != self.n_vectors:
            raise LayoutError(f"{len(self.tokens)} token strings for {self.n_vectors} query vectors")

    @classmethod
    def from_vectors(
        cls, vectors: Sequence[Sequence[float]] | NDArray[np.floating[Any]], tokens: Sequence[str] = (), text: str = ""
    ) -> LateQuery:
        """A ``nested`` query from a list (or 2-D array) of per-token vectors."""
        return cls(np.asarray(vectors, dtype=np.float32), tuple(tokens), text, "nested")

    @property
    def n_vectors(self) -> int:
        return int(self.data.shape[0]) if self.layout == "nested" else self.data.size // FLAT_DIM

    def matrix(self) -> NDArray[np.float32]:
        """The vectors as a float32 ``[n_vectors, dim]`` view (no copy in either layout)."""
        return self.data if self.layout == "nested" else self.data.reshape(-1, FLAT_DIM)

    def to_flat_dim128(self) -> LateQuery:
        _check_dim128(self.dim, "this query")
        return LateQuery(self.matrix().reshape(-1), self.tokens, self.text, "flat_dim128")

    def to_nested(self) -> LateQuery:
        return LateQuery(self.matrix(), self.tokens, self.text, "nested")


@dataclass(frozen=True)
class PassageInfo:
    """What a person needs to see of a passage; ``page`` is 1-based, ``None`` for unpaged sources."""

    passage_id: int
    document_id: int
    path: str
    page: int | None
    ordinal: int
    text: str
    tokens: tuple[str, ...]
    boxes: tuple[tuple[float, float, float, float], ...] = ()
    source_key: str | None = None
    page_label: str = ""  # the PDF's label for the page ("iii"), "" where it has none
    text_source: str = "text"  # where the words came from: text, ocr, form, xfa
    location: str = ""  # where it is in its format's terms ("slide 3", "sheet “Q1”, A1:F25"); "" for PDF and text


class PassageCatalog(Protocol):
    """Where an index looks up passage metadata (the store implements it; the core never sees SQL)."""

    def describe(self, passage_ids: Sequence[int]) -> list[PassageInfo]:
        """Metadata of ``passage_ids`` in their order; raises :class:`IndexChanged` when some were removed
        by a writer since this index's layout was read."""
        ...

    def lexical_search(
        self, text: str, k: int, where: PassageFilter | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.floating[Any]]]:
        """Best ``k`` passages for ``text`` by a lexical score: ``(passage_ids, scores)``, best first;
        only passages ``where`` admits compete."""
        ...

    def passage_ids_where(self, where: PassageFilter) -> NDArray[np.int64]:
        """Ids (int64) of the live passages whose document matches ``where``."""
        ...


@dataclass
class LateIndex:
    """Token vectors of every live passage, packed.

    ``vectors``: ``[T, dim]`` float16 or float32 (often a read-only memory map, or several segments' maps
    as one :class:`~workbench.core.segmented.SegmentedVectors`, read in place).
    ``starts``, ``lengths``: int64 ``[n]`` — passage row ``r`` owns ``vectors[starts[r]:starts[r]+lengths[r]]``.
    ``passage_ids``: int64 ``[n]`` — the stable id of the passage in row ``r``.
    ``proxies``: stage-1 structures of the ``hybrid_flat_dim128`` layout, keyed by document vector budget:
    float32 ``[n, dim]`` means of each passage's first ``budget`` vectors.
    """

    vectors: PackedVectors
    starts: NDArray[np.int64]
    lengths: NDArray[np.int64]
    passage_ids: NDArray[np.int64]
    catalog: PassageCatalog | None = None
    query_encoder: Callable[[str], LateQuery] | None = None
    proxies: dict[int, NDArray[np.float32]] = field(default_factory=dict)
    name: str = ""
    centroid_index: CentroidIndex | None = None  # of the stage-1 centroid plan (stored, or built on first use)
    residual_index: ResidualIndex | None = None  # compressed vectors for plans that rerank on them
    _id_order: NDArray[np.intp] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2:
            raise LayoutError(f"packed vectors must be 2-D [tokens, dim], got shape {self.vectors.shape}")
        if self.vectors.dtype not in (np.float16, np.float32):
            raise LayoutError(f"packed vectors must be float16 or float32, got {self.vectors.dtype}")
        self.starts = np.ascontiguousarray(self.starts, dtype=np.int64)
        self.lengths = np.ascontiguousarray(self.lengths, dtype=np.int64)
        self.passage_ids = np.ascontiguousarray(self.passage_ids, dtype=np.int64)
        n = self.starts.shape[0]
        if self.lengths.shape != (n,) or self.passage_ids.shape != (n,):
            raise LayoutError("starts, lengths and passage_ids must be 1-D arrays of the same length")
        if n and (
            self.starts.min() < 0
            or (self.starts + self.lengths).max() > self.vectors.shape[0]
            or self.lengths.min() < 1
        ):
            raise LayoutError("a passage's vector range falls outside the packed array or is empty")

    @property
    def layout(self) -> str:
        return "hybrid_flat_dim128" if self.proxies or self.centroid_index is not None else "packed"

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def n_passages(self) -> int:
        return int(self.starts.shape[0])

    @property
    def n_vectors(self) -> int:
        return int(self.lengths.sum())

    @property
    def compressed(self) -> bool:
        """Whether the vectors are residual-coded (a compact storage tier): MaxSim then runs over the
        compressed vectors, not the float vectors the encoder gave."""
        from .backends.base import CodedVectors

        parts = getattr(self.vectors, "segments", (self.vectors,))
        return any(isinstance(part, CodedVectors) for part in parts)

    def passage_vectors(self, row: int, budget: int = 0, decompressed: bool = False) -> NDArray[np.float32]:
        """Float32 ``[kept, dim]`` vectors of passage row ``row`` under a document vector budget — the
        stored ones, or with ``decompressed`` the ones rebuilt from centroid + residual."""
        kept = int(kept_counts(self.lengths[row : row + 1], budget)[0])
        start = int(self.starts[row])
        if decompressed:
            # Only a search that reranked on residuals asks for them, and it built both structures.
            assert self.residual_index is not None and self.centroid_index is not None
            return self.residual_index.decode_rows(self.centroid_index, np.arange(start, start + kept))
        return np.asarray(self.vectors[start : start + kept], dtype=np.float32)

    def row_of(self, passage_id: int) -> int:
        """Row of a passage id (raises ``KeyError`` for an id that is not live in this index)."""
        rows = self.rows_of(np.array([passage_id]))
        if rows[0] < 0:
            raise KeyError(f"passage {passage_id} is not in this index")
        return int(rows[0])

    def rows_of(self, passage_ids: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
        """Rows of passage ids (int64; -1 for ids not live in this index)."""
        if self._id_order is None:
            self._id_order = np.argsort(self.passage_ids, kind="stable")
        ids = np.asarray(passage_ids, dtype=np.int64)
        order, sorted_ids = self._id_order, self.passage_ids[self._id_order]
        pos = np.clip(np.searchsorted(sorted_ids, ids), 0, max(len(order) - 1, 0))
        found = (sorted_ids[pos] == ids) if len(order) else np.zeros(ids.shape, bool)
        return np.where(found, order[pos] if len(order) else -1, -1).astype(np.int64)

    def proxy_vectors(self, document_vector_budget: int) -> NDArray[np.float32]:
        """Float32 ``[n, dim]`` document proxies for a budget, built once and kept (see ``to_hybrid``)."""
        if document_vector_budget not in self.proxies:
            self.proxies[document_vector_budget] = build_proxies(self, document_vector_budget)
        return self.proxies[document_vector_budget]

    def to_hybrid_flat_dim128(self, document_vector_budget: int = 0) -> LateIndex:
        """This index with the stage-1 proxies for ``document_vector_budget`` built (dim must be 128)."""
        _check_dim128(self.dim, "this index")
        self.proxy_vectors(document_vector_budget)
        return self

    def to_packed(self) -> LateIndex:
        """The same vectors without stage-1 structures."""
        return LateIndex(
            self.vectors, self.starts, self.lengths, self.passage_ids, self.catalog, self.query_encoder, {}, self.name
        )

    def encode_query(self, text: str) -> LateQuery:
        """Encode ``text`` with the encoder this index was built with."""
        if self.query_encoder is None:
            raise RuntimeError("this index has no encoder attached; open it with workbench.open_index()")
        return self.query_encoder(text)

    def lexical_search(
        self, text: str, k: int, where: PassageFilter | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.floating[Any]]]:
        if self.catalog is None:
            raise RuntimeError(
                "this index has no catalog attached, so no lexical stage; open it with workbench.open_index()"
            )
        return self.catalog.lexical_search(text, k, where)

    def eligible_rows(self, where: PassageFilter | None) -> NDArray[np.bool_] | None:
        """Boolean ``[n]`` mask of the rows ``where`` admits; ``None`` when every row is (no filter)."""
        if where is None or where.is_empty:
            return None
        if self.catalog is None:
            raise RuntimeError("this index has no catalog attached, so it cannot be filtered by document")
        rows = self.rows_of(self.catalog.passage_ids_where(where))
        mask = np.zeros(self.n_passages, dtype=bool)
        mask[rows[rows >= 0]] = True
        return mask

    def count_eligible(self, eligible: NDArray[np.bool_] | None) -> int:
        """How many passages ``eligible`` (an :meth:`eligible_rows` mask; ``None``: every row) admits."""
        return self.n_passages if eligible is None else int(eligible.sum())

    def describe(self, passage_ids: Sequence[int]) -> list[PassageInfo]:
        if self.catalog is None:
            raise RuntimeError("this index has no catalog attached; open it with workbench.open_index()")
        return self.catalog.describe(passage_ids)


def build_proxies(index: LateIndex, document_vector_budget: int, chunk_tokens: int = 1 << 20) -> NDArray[np.float32]:
    """Mean of each passage's first ``document_vector_budget`` vectors → float32 ``[n, dim]``.

    Works through the packed array in chunks so a memory-mapped float16 index is never converted whole.
    """
    n, dim = index.n_passages, index.dim
    out = np.empty((n, dim), dtype=np.float32)
    kept = kept_counts(index.lengths, document_vector_budget)
    for row, stop in token_chunks(kept, chunk_tokens):
        idx = gather_indices(index.starts[row:stop], kept[row:stop])
        block = np.asarray(index.vectors[idx], dtype=np.float32)
        seg = np.concatenate(([0], np.cumsum(kept[row:stop])[:-1]))
        out[row:stop] = np.add.reduceat(block, seg, axis=0) / kept[row:stop, None]
    return out
