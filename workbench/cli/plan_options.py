"""The search options ``search`` and ``eval`` share: the plan, its budgets, the backend, the encoder and
the filter — declared on a parser, and read back into a :class:`SearchPlan`, a backend name and a
:class:`PassageFilter`. Bad values are a :class:`UsageError`."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from ..core import (
    PassageFilter,
    SearchPlan,
    auto_search_plan,
    centroid_search_plan,
    document_proxy_search_plan,
    exhaustive_search_plan,
    hybrid_search_plan,
)
from ..core.backends import resolve_name
from ..core.fusion import FUSIONS
from ..core.plans import DEFAULT_FUSION, DEFAULT_FUSION_WEIGHT
from ..store import canonical_path
from .terminal import UsageError

if TYPE_CHECKING:
    from ..collection import Collection

QDRANT_BACKEND = "qdrant"
CLI_PLANS = ("auto", "exhaustive", "proxy", "hybrid", "centroid")


def add_plan_options(p: argparse.ArgumentParser) -> None:
    """Declare on ``p`` the plan, budget, backend, encoder, ``--json`` and filter options."""
    p.add_argument(
        "--plan",
        choices=CLI_PLANS,
        default="auto",
        help="auto (default): exhaustive while exact search costs ~20 ms or less, else centroid; "
        "exhaustive exact MaxSim; document proxies then exact rerank; "
        "hybrid: proxies + BM25 candidates, exact MaxSim, then fused with BM25 (--fusion); centroid: token-centroid "
        "probes and centroid interaction then exact rerank",
    )
    p.add_argument("--final-k", type=int, default=10)
    p.add_argument(
        "--candidate-k",
        type=int,
        default=0,
        help="passages stage 1 passes to exact MaxSim; 0 (default): ⌈2√N⌉ of the N passages searched, at least 100",
    )
    p.add_argument("--lexical-k", type=int, default=100, help="passages the BM25 stage passes on (hybrid)")
    p.add_argument(
        "--fusion",
        choices=FUSIONS,
        default=DEFAULT_FUSION,
        help=f"hybrid: how MaxSim and BM25 rank together — rrf (reciprocal rank fusion), linear "
        f"(min-max MaxSim and BM25/max, weighted), or none (MaxSim alone); default {DEFAULT_FUSION}",
    )
    p.add_argument(
        "--fusion-weight",
        type=float,
        default=None,
        help=f"hybrid: the BM25 share of the fused score, 0 to 1 (default {DEFAULT_FUSION_WEIGHT:g})",
    )
    p.add_argument("--n-probe", type=int, default=8, help="centroid lists probed per query vector (centroid)")
    p.add_argument(
        "--verify-k",
        type=int,
        default=0,
        help="stage 3: a cross-encoder rereads stage 2's best N passages with the query and reranks "
        "them (0 = off; ≈30 ms per 170-token passage on two cores)",
    )
    p.add_argument(
        "--verifier",
        default=None,
        metavar="MODEL",
        help="stage 3's cross-encoder: a folder (model.onnx + tokenizer.json, or a sentence-transformers "
        "CrossEncoder) or a Hugging Face id (default: ms-marco-MiniLM-L-12-v2, INT8 ONNX, offline)",
    )
    p.add_argument(
        "--rerank-vectors",
        choices=("float16", "residual"),
        default="float16",
        help="centroid plan: exact stage on the stored float16 vectors or on vectors rebuilt from "
        "centroid + 2-bit residual (36 instead of 256 bytes per token)",
    )
    p.add_argument(
        "--query-vector-budget",
        type=int,
        default=None,
        help="keep the first N query vectors (0 = all; proxy and hybrid default 32, others 0)",
    )
    p.add_argument(
        "--document-vector-budget",
        type=int,
        default=None,
        help="keep each passage's first N vectors (0 = all; proxy and hybrid default 64, others 0)",
    )
    p.add_argument(
        "--backend",
        default="numpy",
        help="numpy or mojo (exact stage executor), or qdrant (the plan "
        "run on an exported collection: --qdrant, --collection)",
    )
    p.add_argument("--qdrant", default=None, metavar="URL_OR_PATH", help="--backend qdrant: the server or local folder")
    p.add_argument("--collection", default=None, help="--backend qdrant: the collection 'workbench export' wrote")
    p.add_argument(
        "--model",
        default=None,
        help="encoder: a checkpoint folder or Hugging Face id (must match the "
        "index; default: the index's own when it is the built-in one or "
        "was named on this machine before)",
    )
    p.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="let the named model run Python code of its own (modules.json classes, auto_map)",
    )
    p.add_argument("--json", action="store_true")
    f = p.add_argument_group(
        "filter",
        "search only passages of matching documents (options of one kind "
        "are alternatives; different kinds must all hold)",
    )
    f.add_argument(
        "--folder", action="append", default=[], metavar="DIR", help="documents under this folder (repeatable)"
    )
    f.add_argument(
        "--type",
        action="append",
        default=[],
        metavar="EXT",
        help="documents with this extension, e.g. pdf, md, txt (repeatable; any case)",
    )
    f.add_argument(
        "--modified-after",
        metavar="DATE",
        help="files modified at or after DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM, local time)",
    )
    f.add_argument("--modified-before", metavar="DATE", help="files modified before DATE (same forms)")
    f.add_argument(
        "--document",
        action="append",
        default=[],
        metavar="ID_OR_PATH",
        help="this indexed document, by id (see 'workbench info') or path (repeatable)",
    )


def plan_from(args: argparse.Namespace) -> SearchPlan:
    """The plan the options describe, stage 3's ``--verify-k`` included; options that contradict the
    plan kind are a :class:`UsageError`."""
    try:
        return replace(_stages_from(args), verify_k=args.verify_k)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _stages_from(args: argparse.Namespace) -> SearchPlan:
    """The plan's stages 1–2 (and fusion) as the options give them."""
    if args.plan == "exhaustive":
        return exhaustive_search_plan(args.final_k, args.query_vector_budget or 0, args.document_vector_budget or 0)
    if args.plan == "auto":
        return auto_search_plan(
            args.final_k,
            args.candidate_k,
            args.n_probe,
            args.query_vector_budget or 0,
            args.document_vector_budget or 0,
        )
    budgets = (
        32 if args.query_vector_budget is None else args.query_vector_budget,
        64 if args.document_vector_budget is None else args.document_vector_budget,
    )
    if args.plan == "hybrid":
        return hybrid_search_plan(
            args.final_k,
            args.candidate_k,
            args.lexical_k,
            *budgets,
            args.fusion,
            DEFAULT_FUSION_WEIGHT if args.fusion_weight is None else args.fusion_weight,
        )
    if args.fusion_weight is not None:
        raise ValueError("--fusion-weight needs --plan hybrid (the only plan with a BM25 ranking to fuse)")
    if args.plan == "centroid":
        return centroid_search_plan(
            args.final_k,
            args.candidate_k,
            args.n_probe,
            budgets[0],
            args.document_vector_budget or 0,
            args.rerank_vectors,
        )
    if args.rerank_vectors != "float16":
        raise ValueError("--rerank-vectors residual needs --plan centroid (it reranks on centroid codes)")
    return document_proxy_search_plan(args.final_k, args.candidate_k, *budgets)


def backend_from(args: argparse.Namespace) -> str:
    """The exact stage's full backend name for ``--backend`` (a full name or ``numpy``, ``mojo``); an
    unknown one is a :class:`UsageError`."""
    try:
        return resolve_name(args.backend)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def filter_from(args: argparse.Namespace, coll: Collection) -> PassageFilter | None:
    """The search filter the options describe (``None`` without any); bad input is a :class:`UsageError`."""
    try:
        where = PassageFilter(
            folders=tuple(str(canonical_path(f)) for f in args.folder),
            file_types=tuple(args.type),
            modified_from=_timestamp(args.modified_after, "--modified-after"),
            modified_to=_timestamp(args.modified_before, "--modified-before"),
            document_ids=_document_ids(coll, args.document),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return None if where.is_empty else where


def _timestamp(text: str | None, option: str) -> float | None:
    """POSIX seconds of an ISO date or date-time; one without a zone is local time."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None


def _document_ids(coll: Collection, refs: list[str]) -> tuple[int, ...]:
    """The ids of indexed documents given by id number or path."""
    if not refs:
        return ()
    indexed = {d.id for d in coll.documents() if d.status == "indexed"}
    ids = []
    for ref in refs:
        if ref.isdigit() and int(ref) in indexed:
            ids.append(int(ref))
            continue
        row = coll.store.catalog.document(os.fsencode(canonical_path(ref)))
        if row is None or row.id not in indexed:
            raise UsageError(
                f"--document {ref}: no indexed document has this id or path "
                "(ids are listed by 'workbench info --index ...')"
            )
        ids.append(row.id)
    return tuple(ids)
