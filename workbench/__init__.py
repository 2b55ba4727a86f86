"""Kayak Workbench: late-interaction (ColBERT-style) search over your own PDFs, with the why of every hit.

The public SDK a script or notebook uses (the CLI and GUI use the same)::

    import workbench as wb
    index = wb.open_index("~/papers.kayak")
    query = index.encode_query("what collapses in single-vector retrieval")
    plan = wb.document_proxy_search_plan(final_k=10, candidate_k=100)
    result = wb.search_with_plan(query, index, plan, backend=wb.NUMPY_REFERENCE_BACKEND)
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

# Idle BLAS and OpenMP worker threads otherwise spin for a long while after each NumPy product or torch
# encode, taking the second core from the Mojo kernel that runs right after (stage 1 → stage 2, query
# encoding → search, NumPy → Mojo in a comparison): measured 1.85× → 1.0× thread scaling. A short spin
# keeps encoding speed (torch's libgomp) and NumPy speed within noise. Must be set before NumPy and torch
# load; a user's own values win.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("GOMP_SPINCOUNT", "20000")
# PyMuPDF switches its layout analysis on at import (an ONNX model loaded in a helper process: +0.3 s and
# +57 MB per process here) whenever onnxruntime is importable — and it is, for stage 3's cross-encoder.
# Text extraction never uses it, and the bundle leaves its model files out (the import would fail there):
# a None entry makes PyMuPDF's own `try: import pymupdf.layout` take its ImportError branch.
sys.modules.setdefault("pymupdf.layout", None)

from .core import (  # noqa: E402 — after the environment above, which must precede NumPy
    MOJO_EXACT_CPU_BACKEND,
    NUMPY_REFERENCE_BACKEND,
    Alignment,
    BackendUnavailable,
    Hit,
    LateIndex,
    LateQuery,
    PassageFilter,
    SearchPlan,
    SearchResult,
    StageProfile,
    auto_search_plan,
    available_backends,
    centroid_search_plan,
    document_proxy_search_plan,
    exhaustive_search_plan,
    hybrid_search_plan,
    iter_search,
    scaled_candidate_k,
    search_with_plan,
)

if TYPE_CHECKING:
    from .collection import Collection

__version__ = "0.1.0"


def open_collection(
    path: str,
    model: str | None = None,
    create: bool = False,
    encoder=None,
    read_only: bool | None = None,
    trust_remote_code: bool = False,
) -> Collection:
    """Open (or with ``create=True`` make, in a new or empty folder) the index folder at ``path``; its
    encoder loads on first use (or pass an already loaded ``encoder``, which must match the index).
    ``read_only=True`` never writes to the index. A model the index recorded loads only if it is the
    default or was named (``model=``) on this machine; ``trust_remote_code`` lets a named model run its
    own Python code. See :meth:`workbench.collection.Collection.open`."""
    from .collection import Collection  # torch and PyMuPDF load only when they are needed

    return Collection.open(
        path, model=model, create=create, encoder=encoder, read_only=read_only, trust_remote_code=trust_remote_code
    )


def open_verifier(model: str | None = None, trust_remote_code: bool = False):
    """The cross-encoder of stage 3 (a plan's ``verify_k``): by default ms-marco-MiniLM-L-12 as INT8 ONNX,
    offline; or an ONNX folder, or a sentence-transformers CrossEncoder folder or hub id. See
    :func:`workbench.encode.cross_encoder.open_verifier`."""
    from .encode.cross_encoder import open_verifier as _open

    return _open(model, trust_remote_code)


def open_index(path: str, model: str | None = None) -> LateIndex:
    """The :class:`LateIndex` of an existing index folder (opened read-only), with ``encode_query`` wired
    to its encoder."""
    return open_collection(path, model=model, read_only=True).late_index()


__all__ = [
    "Alignment",
    "BackendUnavailable",
    "Hit",
    "LateIndex",
    "LateQuery",
    "MOJO_EXACT_CPU_BACKEND",
    "NUMPY_REFERENCE_BACKEND",
    "PassageFilter",
    "SearchPlan",
    "auto_search_plan",
    "centroid_search_plan",
    "SearchResult",
    "StageProfile",
    "available_backends",
    "document_proxy_search_plan",
    "exhaustive_search_plan",
    "hybrid_search_plan",
    "iter_search",
    "open_collection",
    "open_index",
    "open_verifier",
    "scaled_candidate_k",
    "search_with_plan",
    "__version__",
]
