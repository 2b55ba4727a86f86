"""The compressed vectors of an index that keeps float16 vectors and their codes side by side: the same
passages, scored as a compact storage tier scores them.

A compact index created with ``keep_exact`` (:mod:`workbench.store.tiers`) stores float16 segments and, as
derived data, every token's centroid code and n-bit residual. :func:`compressed_view` joins the two into
coded rows (:func:`~.residuals.coded_rows`) and returns a :class:`~.layouts.LateIndex` over them, so a
search of the view runs exactly what a compact index without the float16 vectors runs — the Mojo backend
scores the packed codes, the NumPy reference decodes and multiplies — and a query can be scored on both
tiers of one index.
"""

from __future__ import annotations

import numpy as np

from .layouts import LateIndex
from .residual_vectors import ResidualVectors
from .residuals import coded_rows
from .segmented import SegmentedVectors


def compressed_view(index: LateIndex) -> LateIndex | None:
    """``index``'s passages over the vectors its centroid and residual indexes encode (``ResidualVectors``,
    float32 ``[T, dim]`` when read), sharing its layout, catalog, query encoder and centroid index; ``None``
    when it has no residual codes to score (no centroids trained yet). The coded rows are built in memory:
    ``T·(4 + dim·nbits/8)`` bytes (68 per token at 4 bits, 128-d)."""
    ci, ri = index.centroid_index, index.residual_index
    if ci is None or ri is None or ri.packed.shape[0] != index.vectors.shape[0]:
        return None
    # Rows no live passage owns carry code -1; no search reads them, and code 0 keeps every row decodable.
    codes = np.maximum(ci.token_codes(), 0)
    parts, bases = (
        (ri.packed.segments, ri.packed.bases) if isinstance(ri.packed, SegmentedVectors) else ((ri.packed,), (0,))
    )
    coded = [  # one coded array per segment, as a compact index's segments are
        ResidualVectors(coded_rows(codes[b : b + part.shape[0]], part), ci.centroids, ri.codec)
        for part, b in zip(parts, bases)
    ]
    return LateIndex(
        coded[0] if len(coded) == 1 else SegmentedVectors(coded),  # type: ignore[arg-type]
        index.starts,
        index.lengths,
        index.passage_ids,
        catalog=index.catalog,
        query_encoder=index.query_encoder,
        name=index.name,
        centroid_index=ci,
    )
