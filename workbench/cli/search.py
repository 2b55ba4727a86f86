"""``workbench search`` (the plan on this index, or with ``--backend qdrant`` on its exported Qdrant
collection) and ``workbench export`` (write or sync that collection)."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from ..core import Hit, OnlyExclusions, PassageFilter, SearchPlan, SearchResult, parse_query
from ..core.grouping import DocumentGroup
from ..core.relevance import Relevance
from ..store.tiers import TIERS
from .plan_options import QDRANT_BACKEND, add_plan_options, backend_from, filter_from, plan_from
from .terminal import UsageError, one_line, warn

if TYPE_CHECKING:
    from ..collection import Collection

T = TypeVar("T")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``search`` and ``export`` subcommands."""
    p = sub.add_parser(
        "search",
        help="search an index",
        description='Query syntax: "a phrase" must occur in the passage\'s text; -word and -"a phrase" '
        "exclude passages holding them (both case-insensitive, applied as a filter before stage 1); OR in "
        "capitals between two words is an alternative for the lexical side of the hybrid plan; every other "
        "word goes to the encoder. A quote left open is dropped (the words are searched without a phrase), "
        "with a notice on stderr. Put -- before a query that starts with - and holds no space. "
        "Beside each score: cos, the mean over query tokens of their best cosine (comparable across queries, "
        "where the score grows with the query's length). When even the best hit is below this index's "
        "relevance floor (learnt once from nonsense queries, a few seconds, kept in the index folder) the "
        "output says 'no good match' and lists the closest passages; weaker hits follow a divider. "
        "--json has it as 'relevance'.",
    )
    p.add_argument(
        "query",
        help="what to search for, e.g. '\"exact search\" budget -mojo' (quote it for the shell; see above)",
    )
    p.add_argument("--index", required=True)
    view = p.add_mutually_exclusive_group()
    view.add_argument(
        "--per-document",
        dest="per_document",
        action="store_true",
        default=True,
        help="one entry per document (the default): its best passage, then '+N more in this document'; "
        "files with the same content are one entry listing every path. The plan's final_k still counts passages",
    )
    view.add_argument(
        "--passages", dest="per_document", action="store_false", help="one entry per passage, in rank order"
    )
    p.add_argument(
        "--tier",
        choices=list(TIERS),
        help="which stored vectors stage 2 scores on an index that keeps two tiers (created with --keep-exact): "
        "exact, or its compact tier (the default: the index's own tier)",
    )
    add_plan_options(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "export",
        help="export the index to a Qdrant collection, or sync one exported before "
        "(needs the cluster extra: requirements-cluster.lock)",
    )
    p.add_argument("--index", required=True)
    p.add_argument(
        "--qdrant",
        required=True,
        metavar="URL_OR_PATH",
        help="a Qdrant server or cluster (http://host:6333) or a folder for Qdrant's local mode",
    )
    p.add_argument("--collection", required=True)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_export)


def cmd_search(args: argparse.Namespace) -> int:
    """Search the index and print the hits with the table of stages, or the result as JSON (``--json``)."""
    from ..collection import Collection

    plan = plan_from(args)
    on_qdrant = args.backend == QDRANT_BACKEND
    backend = "" if on_qdrant else backend_from(args)  # before the index opens: a wrong name fails fast
    query = _query_text(args.query)
    coll = Collection.open(args.index, model=args.model, read_only=True, trust_remote_code=args.trust_remote_code)
    where = filter_from(args, coll)
    coll.verifier_model = args.verifier
    if on_qdrant:
        result = _qdrant_search(args, coll, query, plan, where)
    else:
        result = _local_search(coll, query, plan, backend, where, args.tier)
    warn(coll)
    if result.syntax is not None and result.syntax.notice:
        print(f"notice: {result.syntax.notice}", file=sys.stderr)
    relevance = _judge(coll, result)
    if args.json:
        groups = coll.document_groups(result)
        out = _result_json(result, relevance)
        print(json.dumps({**out, "documents": [_group_json(g) for g in groups]}, indent=2))
        return 0
    if result.where is not None:
        print(
            f"filter: {result.where.describe()} — {result.eligible} of {coll.late_index().n_passages} "
            "passages eligible\n"
        )
    if result.where is not None and result.eligible == 0:
        print("no indexed passage matches the filter; nothing was searched")
        return 0
    cos = {h.passage_id: c for h, c in zip(result.hits, relevance.cosines)}
    weak = {h.passage_id for h, w in zip(result.hits, relevance.weak) if w}
    if relevance.good_match is False:
        print(f"no good match in this index — the closest passages follow ({relevance.why})\n")
    if args.per_document:
        groups = coll.document_groups(result)  # catalog look-ups: only when the entries are shown
        for group in _strong_then_weak(groups, [g.best.passage_id in weak for g in groups], relevance):
            _print_hit(group.best, plan, cos[group.best.passage_id], group.paths)
            if group.more:
                others = ", ".join(f"#{h.rank}" + (f" p.{h.page}" if h.page else "") for h in group.hits[1:])
                print(f"       +{group.more} more in this document: {others}")
    else:
        for hit in _strong_then_weak(result.hits, [h.passage_id in weak for h in result.hits], relevance):
            _print_hit(hit, plan, cos[hit.passage_id])
    print()
    if relevance.good_match is None:
        print(f"relevance: {relevance.why}")
    if result.stages and result.stages[0].note:
        print(result.stages[0].note)
    width = max([24] + [len(s.name) + 2 for s in result.stages])
    print(f"{'stage':<{width}}{'in':>8}{'out':>6}{'q vec':>7}{'doc vec':>10}{'pairwise':>13}{'ms':>9}  backend")
    for s in result.stages:
        print(
            f"{s.name:<{width}}{s.candidates_in:>8}{s.candidates_out:>6}{s.query_vectors:>7}"
            f"{s.document_vectors:>10}{s.pairwise_similarities:>13,}{s.ms:>9.2f}  {s.backend}"
        )
    for s in result.stages:
        if s.pairs:
            print(f"{s.name}: {s.pairs} query–passage pairs, {s.tokens:,} tokens read ({s.budget_rule})")
    return 0


def _local_search(
    coll: Collection, query: str, plan: SearchPlan, backend: str, where: PassageFilter | None, tier: str | None
) -> SearchResult:
    """``coll.search`` scoring ``tier``; a tier the index does not keep is a usage error."""
    try:
        coll.scored_tier(tier)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return coll.search(query, plan, backend, where, tier)


def _judge(coll: Collection, result: SearchResult) -> Relevance:
    """``result`` judged against the index's relevance floor, learnt first where it is due (said on stderr)."""
    from ..collection.relevance_floor import CALIBRATION_QUERIES, floor_due, judge_result, learn_floor

    if result.hits and floor_due(coll):
        print(
            f"learning this index's relevance floor from {CALIBRATION_QUERIES} nonsense queries (once)…",
            file=sys.stderr,
        )
        learn_floor(coll)
    return judge_result(coll, result, learn=False)


def _strong_then_weak(entries: Sequence[T], weak: Sequence[bool], relevance: Relevance) -> Iterator[T]:
    """``entries`` at or above the floor, then a divider line and those below it (each part in rank order);
    no divider where every entry is weak (the "no good match" line said so) or none is."""
    strong = [e for e, w in zip(entries, weak) if not w]
    yield from strong
    below = [e for e, w in zip(entries, weak) if w]
    if strong and below:
        print(f"  ---- below this index's relevance floor (mean cosine < {relevance.floor:.3f}) ----")
    yield from below


def _print_hit(hit: Hit, plan: SearchPlan, cos: float | None, paths: Sequence[str] = ()) -> None:
    """One hit as text: rank, score and mean cosine, path and page, snippet, and how stage 3 or fusion scored
    it. ``paths``: every file holding the hit's document (a per-document entry); the first is the hit's own
    line, the others follow as "same content:" lines."""
    first, *copies = paths or [hit.path or ""]
    where = one_line(first) + (f" p.{hit.page}" if hit.page else "") + _label_and_source(hit.info)
    snippet = textwrap.shorten(hit.text or "", 100, placeholder=" …")
    print(f"{hit.rank:>3}  {hit.score:8.4f}  cos {'  —  ' if cos is None else f'{cos:.3f}'}  {where}")
    for copy in copies:
        print(f"       same content: {one_line(copy)}")
    print(f"       {snippet}")
    if hit.verified is not None:
        print(f"       {hit.verified.describe()}")
    elif plan.verify_k:
        print("       not verified (below verify_k): stage 2's score")
    if hit.parts is not None:
        print(f"       {hit.parts.describe()}")


def _group_json(group: DocumentGroup) -> dict:
    """One entry of ``search --json``'s ``documents``: every path of the content, the best hit's rank,
    score (rounded to 6 places) and page, and each of its hits as ``{"rank", "passage_id"}``."""
    out = dict(group.to_dict())
    out["score"] = round(group.best.score, 6)
    return out


def _query_text(text: str) -> str:
    """The query as typed; bytes that are not UTF-8 (a terminal in another encoding) and a query that only
    excludes words are usage errors, raised before the index and its encoder are opened."""
    from ..collection import require_utf8

    try:
        text = require_utf8(text, "query")
    except ValueError as exc:
        raise UsageError(f"{exc}; set the terminal to UTF-8 and type it again") from None
    try:
        parse_query(text)
    except OnlyExclusions as exc:
        raise UsageError(str(exc)) from None
    return text


def _qdrant_search(
    args: argparse.Namespace, coll: Collection, text: str, plan: SearchPlan, where: PassageFilter | None
):
    """``--backend qdrant``: the plan run on the exported collection (``--qdrant``, ``--collection``)."""
    from ..cluster.qdrant_schema import connect
    from ..cluster.qdrant_search import qdrant_search

    if not (args.qdrant and args.collection):
        raise UsageError("--backend qdrant needs --qdrant URL_OR_PATH and --collection NAME (see 'workbench export')")
    query, where, parsed = coll.prepare(text, where)
    if parsed.phrases or parsed.excluded:
        raise UsageError(
            'phrases ("…") and exclusions (-word) are filtered by the index\'s catalog, which --backend '
            "qdrant does not search: drop them, or search without --backend qdrant"
        )
    try:
        result = coll.retrying(
            lambda index: qdrant_search(query, index, connect(args.qdrant), args.collection, plan, where)
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    result.syntax = parsed
    return result


def _label_and_source(info) -> str:
    """ " (label iii)" where the page's label differs from its number, " · slide 3" where the format has its
    own location, " [OCR]" for words read by OCR."""
    if info is None:
        return ""
    label = f" (label {info.page_label})" if info.page_label and info.page_label != str(info.page) else ""
    where = f" · {info.location}" if info.location else ""
    return label + where + (" [OCR]" if info.text_source == "ocr" else "")


def _result_json(result: SearchResult, relevance: Relevance) -> dict:
    """``search --json``: the query and its tokens, the plan run and the one asked for, the filter, the hits
    (scores and mean cosines rounded to 6 places), each stage's counts and timings (ms, rounded to 3
    places), the query syntax read (``syntax``: the encoder's text, phrases, exclusions, the lexical text
    and any notice) and the judgement (``relevance``: floor, best mean cosine, good_match, method, why)."""
    full = result.to_dict()
    return {
        "query": result.syntax.text if result.syntax is not None else result.query.text,
        "query_tokens": list(result.query.tokens),
        "plan": result.plan.to_dict(),
        "requested_plan": (result.requested or result.plan).to_dict(),
        "backend": result.backend,
        "where": full["where"],
        "eligible_passages": full["eligible_passages"],
        "hits": [
            {
                "rank": h.rank,
                "path": h.path,
                "page": h.page,
                "location": h.location,
                "record": h.record,
                "passage_id": h.passage_id,
                "score": round(h.score, 6),
                "mean_cosine": round(cos, 6) if cos is not None else None,
                "text": h.text,
                "page_label": h.info.page_label if h.info else "",
                "text_source": h.info.text_source if h.info else "text",
                **{k: v for k, v in h.to_dict().items() if k in ("parts", "verified")},
            }
            for h, cos in zip(result.hits, relevance.cosines)
        ],
        "stages": [
            {
                "name": s.name,
                "candidates_in": s.candidates_in,
                "candidates_out": s.candidates_out,
                "query_vectors": s.query_vectors,
                "document_vectors": s.document_vectors,
                "pairwise_similarities": s.pairwise_similarities,
                "ms": round(s.ms, 3),
                "setup_ms": round(s.setup_ms, 3),
                "probed": s.probed,
                "lookups": s.lookups,
                "pairs": s.pairs,
                "tokens": s.tokens,
                "backend": s.backend,
                "budget_rule": s.budget_rule,
                "note": s.note,
            }
            for s in result.stages
        ],
        "syntax": result.syntax.to_dict() if result.syntax is not None else None,
        "relevance": relevance.to_dict(),
    }


def cmd_export(args: argparse.Namespace) -> int:
    """Export the index to a Qdrant collection, or bring one exported before up to date."""
    from tqdm import tqdm

    from ..cluster.qdrant_export import iter_export
    from ..cluster.qdrant_schema import connect
    from ..collection import Collection

    client = connect(args.qdrant)  # first: without the extra, say how to get it before anything else
    coll = Collection.open(args.index, read_only=True)
    gen = iter_export(coll, client, args.collection)
    with tqdm(unit="passage", desc=f"export to {args.collection}", disable=args.quiet) as bar:
        while True:
            try:
                done, total = next(gen)
            except StopIteration as finished:
                report = finished.value
                break
            bar.total = total
            bar.update(done - bar.n)
    print(
        f"{'created' if report.created else 'synced'} Qdrant collection {report.collection!r}: "
        f"{report.upserted} passages uploaded, {report.deleted} removed, {report.kept} already there; "
        f"{report.points} points = the index's live passages"
    )
    return 0
