"""Vector budgets: which token vectors of a query or passage take part in scoring.

The rule is the Kayak SDK's *prefix* rule: a budget ``B`` keeps the **first B vectors**; ``B == 0`` or
``B`` at least the number available keeps all of them. For a ColBERT query the trailing vectors are the
query-expansion ([MASK]) vectors, so a budget drops those first; for a passage it keeps the opening
tokens, which is where titles and first sentences are. The rule is cheap, deterministic and easy to
reason about, which is why every stage of every plan uses it and names it in its profile.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

BUDGET_RULE = "prefix"


def kept_count(available: int, budget: int) -> int:
    """How many of ``available`` vectors a budget keeps (``budget`` 0 means all)."""
    if budget < 0:
        raise ValueError(f"a vector budget cannot be negative (got {budget})")
    if budget == 0 or budget >= available:
        return int(available)
    return int(budget)


def kept_counts(lengths: NDArray[np.integer[Any]], budget: int) -> NDArray[np.int64]:
    """Vectorised :func:`kept_count`: ``lengths`` int64 [n] → kept counts int64 [n]."""
    if budget < 0:
        raise ValueError(f"a vector budget cannot be negative (got {budget})")
    lengths64 = np.asarray(lengths, dtype=np.int64)
    if budget == 0:
        return lengths64.copy()
    kept: NDArray[np.int64] = np.minimum(lengths64, np.int64(budget))  # NumPy types ufunc results as Any
    return kept
