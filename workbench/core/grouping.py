"""Results per document: a ranked hit list grouped by document, the best hit of each first.

A document is known by a *content key* the caller supplies per document id (the facade passes the
catalog's content hash), so that two files holding the same bytes — one PDF indexed from two folders —
make one group that lists both paths. A file that holds many records — a mailbox's messages, a BEIR
corpus's documents — groups per record (the passage's ``source_key``), as a mail reader lists messages,
not mailboxes. Grouping reorders nothing and scores nothing: every group keeps its hits in the ranking's
order, and the groups are ordered by their best hit's rank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TypedDict, TypeVar

from .results import Hit

T = TypeVar("T")
RECORD_SEP = "\x1f"  # between a content key and a record inside the file (never in either)


@dataclass(frozen=True)
class DocumentGroup:
    """The hits of one document (or of several files with the same content).

    ``key``: the content key the group was made by (with the record, :data:`RECORD_SEP`-joined, for a
    record inside a file); ``hits``: its hits best first (ascending rank,
    never empty); ``paths``: every path of the content, those of its hits first in rank order, then any
    other copies the caller named; ``document_ids``: the documents its hits came from, in rank order.
    """

    key: str
    hits: tuple[Hit, ...]
    paths: tuple[str, ...]
    document_ids: tuple[int, ...]

    @property
    def best(self) -> Hit:
        """The group's best-ranked hit (the row a per-document list shows)."""
        return self.hits[0]

    @property
    def more(self) -> int:
        """How many further hits the document has in the ranking ("N more in this document")."""
        return len(self.hits) - 1

    @property
    def record(self) -> str | None:
        """The record inside the file the group stands for (a mail message's key), ``None`` for a whole file."""
        return self.best.record

    def to_dict(self) -> DocumentGroupDict:
        """JSON-ready: the paths, the record, the best hit's rank, score, page and location, and every hit as
        passage id and rank."""
        return {
            "paths": list(self.paths),
            "record": self.record,
            "best_rank": self.best.rank,
            "score": self.best.score,
            "page": self.best.page,
            "location": self.best.location,
            "hits": [{"rank": h.rank, "passage_id": h.passage_id} for h in self.hits],
        }


class GroupHitDict(TypedDict):
    """One hit of a group: its rank in the ranking and its passage id."""

    rank: int
    passage_id: int


class DocumentGroupDict(TypedDict):
    """:meth:`DocumentGroup.to_dict`."""

    paths: list[str]
    record: str | None
    best_rank: int
    score: float
    page: int | None
    location: str
    hits: list[GroupHitDict]


def content_key(hit: Hit, keys: Mapping[int, str]) -> str:
    """The key ``hit`` groups under: its document's entry in ``keys`` (document id → content key),
    ``"document:<id>"`` for a document ``keys`` does not know, ``"passage:<id>"`` for a hit without
    metadata (it stays alone); a hit from a record inside a file adds the record after :data:`RECORD_SEP`."""
    if hit.info is None:
        return f"passage:{hit.passage_id}"
    key = keys.get(hit.info.document_id, f"document:{hit.info.document_id}")
    return key if hit.record is None else f"{key}{RECORD_SEP}{hit.record}"


def group_hits(
    hits: Sequence[Hit], keys: Mapping[int, str], paths: Mapping[str, Sequence[str]] | None = None
) -> list[DocumentGroup]:
    """Group ``hits`` by document content, best group first.

    ``hits``: a ranking (any order; each group sorts its own by rank). ``keys``: document id → content
    key (documents with equal keys collapse into one group). ``paths``: content key → every path known
    to hold that content, added after the paths of the group's hits (duplicates dropped). Groups are
    ordered by their best hit's rank; a hit list of ``n`` hits gives between 1 and ``n`` groups (none
    for none), and every hit is in exactly one group.
    """
    by_key: dict[str, list[Hit]] = {}
    for hit in sorted(hits, key=lambda h: h.rank):
        by_key.setdefault(content_key(hit, keys), []).append(hit)
    groups = []
    for key, members in by_key.items():  # dicts keep insertion order: the order of each group's best hit
        known = [h.path for h in members if h.path is not None]
        known += list((paths or {}).get(key.split(RECORD_SEP, 1)[0], ()))
        ids = [h.info.document_id for h in members if h.info is not None]
        groups.append(DocumentGroup(key, tuple(members), _unique(known), _unique(ids)))
    return groups


def distinct_names(paths: Sequence[str]) -> dict[str, str]:
    """A short name for each of ``paths`` that tells same-named files apart.

    A file whose name no other path shares is shown by its name alone; files sharing a name get the
    fewest parent folders (counted from the file up) that make them differ, and where that takes more
    than two folders the middle ones are elided: ``"projects/…/guide.pdf"``. Two paths that differ in
    nothing but their folder count get as many folders as one of them has.
    """
    by_name: dict[str, list[PurePath]] = {}
    for p in dict.fromkeys(paths):
        by_name.setdefault(PurePath(p).name, []).append(PurePath(p))
    out: dict[str, str] = {}
    for name, same in by_name.items():
        if len(same) == 1:
            out[str(same[0])] = name
            continue
        parents = [p.parent.parts for p in same]
        depth = max(len(parts) for parts in parents)
        k = next(
            (k for k in range(1, depth + 1) if len({parts[-k:] for parts in parents}) == len(parents)),
            depth,
        )
        for path, parts in zip(same, parents):
            tail = [part.rstrip("/\\") or part for part in parts[-k:]]
            out[str(path)] = "/".join(tail + [name]) if len(tail) <= 2 else f"{tail[0]}/…/{name}"
    return {p: out[str(PurePath(p))] for p in paths}


def _unique(items: Sequence[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(items))
