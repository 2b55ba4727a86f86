"""The Qt-free, torch-free core: layouts, budgets, plans, backends, staged search, metrics.

Nothing here imports Qt, torch, PyMuPDF or sqlite3 (a test enforces it): a script, the CLI and the
GUI all reach the same code.
"""

from .backends import (
    MOJO_EXACT_CPU_BACKEND,
    NUMPY_REFERENCE_BACKEND,
    BackendUnavailable,
    available_backends,
    get_backend,
)
from .budgets import BUDGET_RULE, kept_count
from .filters import PassageFilter
from .fusion import FUSIONS, ScoreParts
from .layouts import EmptyIndex, IndexChanged, LateIndex, LateQuery, LayoutError, PassageInfo
from .plans import (
    SearchPlan,
    auto_search_plan,
    centroid_search_plan,
    document_proxy_search_plan,
    exhaustive_search_plan,
    hybrid_search_plan,
    scale_candidates,
    scaled_candidate_k,
)
from .query_syntax import OnlyExclusions, ParsedQuery, parse_query
from .results import Alignment, Hit, SearchResult, StageProfile
from .search import iter_search, search_with_plan

__all__ = [
    "Alignment",
    "BUDGET_RULE",
    "BackendUnavailable",
    "EmptyIndex",
    "FUSIONS",
    "Hit",
    "IndexChanged",
    "LateIndex",
    "LateQuery",
    "LayoutError",
    "MOJO_EXACT_CPU_BACKEND",
    "NUMPY_REFERENCE_BACKEND",
    "OnlyExclusions",
    "ParsedQuery",
    "PassageFilter",
    "PassageInfo",
    "SearchPlan",
    "SearchResult",
    "ScoreParts",
    "StageProfile",
    "auto_search_plan",
    "available_backends",
    "centroid_search_plan",
    "document_proxy_search_plan",
    "exhaustive_search_plan",
    "get_backend",
    "hybrid_search_plan",
    "iter_search",
    "kept_count",
    "parse_query",
    "scaled_candidate_k",
    "scale_candidates",
    "search_with_plan",
]
